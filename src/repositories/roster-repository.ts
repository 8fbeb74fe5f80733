import { and, asc, eq, gt, gte, inArray, or, sql, type AnyColumn, type SQL } from 'drizzle-orm';

import type { Executor } from '../db/client.js';
import {
  classes,
  courses,
  enrollmentPeriods,
  enrollments,
  schools,
  sisChangeEvents,
  sisExternalLinks,
  sisProviders,
  terms,
  users,
} from '../db/schema/index.js';
import type { EntityType, MatchRule } from '../domain/entity.js';
import type { ProviderType } from '../domain/provider-type.js';

/*
 * Reading the canonical roster and its change feed. Lists are keyset-paged on id (the tables'
 * key is (tenant_id, id) and ids are time-ordered), never by offset, so a page costs the same
 * at row ten and row ten million and a record is never skipped or repeated while paging.
 */

export const ROSTER_TABLES = { schools, terms, courses, classes, users, enrollments } as const;
export type RosterRows = { [E in EntityType]: (typeof ROSTER_TABLES)[E]['$inferSelect'] };

interface CommonFilter {
  active?: boolean;
  updatedSince?: Date;
  /** Records a provider record with this external id is linked to. */
  externalId?: string;
  /** With externalId: that provider's record only. */
  providerId?: string;
}

/** The filters each entity has; all given must hold. */
export interface RosterFilters {
  schools: CommonFilter & { parentId?: string };
  terms: CommonFilter & { parentId?: string };
  courses: CommonFilter & { schoolId?: string };
  classes: CommonFilter & { schoolId?: string; courseId?: string; termId?: string };
  users: CommonFilter & { schoolId?: string; classId?: string; role?: string; email?: string };
  enrollments: CommonFilter & {
    schoolId?: string;
    classId?: string;
    userId?: string;
    role?: string;
    /** YYYY-MM-DD: enrollments with a period that covers the day. */
    activeOn?: string;
  };
}

/** An entity with its filters, so that one narrows the other. */
export type RosterQuery = { [E in EntityType]: { entity: E; filter: RosterFilters[E] } }[EntityType];

export interface RosterLinkRow {
  entityId: string;
  providerId: string;
  providerType: ProviderType;
  providerName: string;
  externalId: string;
  matchedBy: MatchRule;
  active: boolean;
}

const defined = (conditions: (SQL | undefined)[]): SQL[] => conditions.filter((c) => c !== undefined);

function commonConditions(entity: EntityType, tenantId: string, filter: CommonFilter): SQL[] {
  const table = ROSTER_TABLES[entity];
  // The links' key is (tenant, provider, entity type, external id): naming the provider, or each
  // of the tenant's few providers, lets PostgreSQL 15 (no skip scan) look the id up by that key
  // rather than read every link of the tenant.
  const fromProvider =
    filter.providerId === undefined
      ? sql`${sisExternalLinks.providerId} IN (SELECT ${sisProviders.id} FROM ${sisProviders} WHERE ${sisProviders.tenantId} = ${tenantId})`
      : sql`${sisExternalLinks.providerId} = ${filter.providerId}`;
  // Inactive links count too: a record a provider dropped is still found by the id it had there.
  const linked =
    filter.externalId === undefined
      ? undefined
      : inArray(
          table.id,
          sql`(SELECT ${sisExternalLinks.entityId} FROM ${sisExternalLinks}
               WHERE ${sisExternalLinks.tenantId} = ${tenantId} AND ${fromProvider}
                 AND ${sisExternalLinks.entityType} = ${entity} AND ${sisExternalLinks.externalId} = ${filter.externalId})`,
        );
  return defined([
    eq(table.tenantId, tenantId),
    filter.active === undefined ? undefined : eq(table.active, filter.active),
    filter.updatedSince === undefined ? undefined : gte(table.updatedAt, filter.updatedSince),
    linked,
  ]);
}

/** `value` is one of the entries of a uuid[] column. */
const holds = (column: AnyColumn, value: string) => sql`${value}::uuid = ANY(${column})`;

function entityConditions(tenantId: string, query: RosterQuery): SQL[] {
  switch (query.entity) {
    case 'schools': {
      const f = query.filter;
      return defined([f.parentId === undefined ? undefined : eq(schools.parentId, f.parentId)]);
    }
    case 'terms': {
      const f = query.filter;
      return defined([f.parentId === undefined ? undefined : eq(terms.parentId, f.parentId)]);
    }
    case 'courses': {
      const f = query.filter;
      return defined([f.schoolId === undefined ? undefined : eq(courses.schoolId, f.schoolId)]);
    }
    case 'classes': {
      const f = query.filter;
      return defined([
        f.schoolId === undefined ? undefined : eq(classes.schoolId, f.schoolId),
        f.courseId === undefined ? undefined : eq(classes.courseId, f.courseId),
        f.termId === undefined ? undefined : holds(classes.termIds, f.termId),
      ]);
    }
    case 'users': {
      const f = query.filter;
      return defined([
        f.schoolId === undefined ? undefined : holds(users.schoolIds, f.schoolId),
        // Enrolled now: an inactive enrollment is a user who has left the class.
        f.classId === undefined
          ? undefined
          : inArray(
              users.id,
              sql`(SELECT ${enrollments.userId} FROM ${enrollments}
                   WHERE ${enrollments.tenantId} = ${tenantId} AND ${enrollments.classId} = ${f.classId}
                     AND ${enrollments.active})`,
            ),
        // `roles` lists every role the providers gave; the primary role is asked too, so a user
        // is found whether or not a connector repeats it there.
        f.role === undefined ? undefined : or(eq(users.role, f.role), sql`${f.role} = ANY(${users.roles})`),
        // The very expression of users_email_idx, so the index answers it.
        f.email === undefined ? undefined : sql`lower(btrim(${users.email})) = lower(btrim(${f.email}))`,
      ]);
    }
    case 'enrollments': {
      const f = query.filter;
      return defined([
        f.schoolId === undefined ? undefined : eq(enrollments.schoolId, f.schoolId),
        f.classId === undefined ? undefined : eq(enrollments.classId, f.classId),
        f.userId === undefined ? undefined : eq(enrollments.userId, f.userId),
        f.role === undefined ? undefined : eq(enrollments.role, f.role),
        f.activeOn === undefined ? undefined : coveredOn(tenantId, f.activeOn),
      ]);
    }
  }
}

/**
 * An enrollment with a period that covers the day: from its SIS begin date (else the day it opened)
 * to its SIS end date or the day it closed, whichever comes first. Instants are read as UTC days.
 */
function coveredOn(tenantId: string, day: string): SQL {
  const p = enrollmentPeriods;
  const utcDay = (instant: AnyColumn) => sql`(${instant} AT TIME ZONE 'UTC')::date`;
  const last = sql`least(${p.endDate}, ${utcDay(p.closedAt)})`;
  return sql`EXISTS (SELECT 1 FROM ${p} WHERE ${p.tenantId} = ${tenantId} AND ${p.enrollmentId} = ${enrollments.id}
    AND coalesce(${p.beginDate}, ${utcDay(p.openedAt)}) <= ${day}::date AND (${last} IS NULL OR ${last} >= ${day}::date))`;
}

export type EnrollmentPeriodRow = typeof enrollmentPeriods.$inferSelect;

/** The periods of one of a tenant's enrollments, oldest first. */
export async function listEnrollmentPeriods(
  db: Executor,
  tenantId: string,
  enrollmentId: string,
): Promise<EnrollmentPeriodRow[]> {
  return db
    .select()
    .from(enrollmentPeriods)
    .where(and(eq(enrollmentPeriods.tenantId, tenantId), eq(enrollmentPeriods.enrollmentId, enrollmentId)))
    .orderBy(asc(enrollmentPeriods.openedAt), asc(enrollmentPeriods.id));
}

/** Up to `limit` records of a tenant that pass the filters, in id order, after `afterId`. */
export async function listRosterRecords<E extends EntityType>(
  db: Executor,
  tenantId: string,
  entity: E,
  filter: RosterFilters[E],
  page: { afterId: string | undefined; limit: number },
): Promise<RosterRows[E][]> {
  // One table, chosen at run time: Drizzle types a select over a union of tables poorly, so the
  // select is typed as the schools table and the rows as what the chosen table holds.
  const table = ROSTER_TABLES[entity] as typeof schools;
  const conditions = [
    ...commonConditions(entity, tenantId, filter),
    ...entityConditions(tenantId, { entity, filter }),
    page.afterId === undefined ? undefined : gt(table.id, page.afterId),
  ];
  const rows = await db
    .select()
    .from(table)
    .where(and(...defined(conditions)))
    .orderBy(asc(table.id))
    .limit(page.limit);
  return rows as RosterRows[E][];
}

/** The tenant's records of one entity among `ids`; absent ones are left out. */
export async function findRosterRecords<E extends EntityType>(
  db: Executor,
  tenantId: string,
  entity: E,
  ids: readonly string[],
): Promise<RosterRows[E][]> {
  if (ids.length === 0) return [];
  const table = ROSTER_TABLES[entity] as typeof schools;
  const rows = await db
    .select()
    .from(table)
    .where(and(eq(table.tenantId, tenantId), inArray(table.id, [...ids])))
    .orderBy(asc(table.id));
  return rows as RosterRows[E][];
}

/** Every provider record linked to the given records, with its provider: one query for a page. */
export async function listRosterLinks(
  db: Executor,
  tenantId: string,
  entity: EntityType,
  ids: readonly string[],
): Promise<RosterLinkRow[]> {
  if (ids.length === 0) return [];
  return db
    .select({
      entityId: sisExternalLinks.entityId,
      providerId: sisExternalLinks.providerId,
      providerType: sisProviders.providerType,
      providerName: sisProviders.name,
      externalId: sisExternalLinks.externalId,
      matchedBy: sql<MatchRule>`${sisExternalLinks.matchedBy}`,
      active: sisExternalLinks.active,
    })
    .from(sisExternalLinks)
    .innerJoin(sisProviders, eq(sisProviders.id, sisExternalLinks.providerId))
    .where(
      and(
        eq(sisExternalLinks.tenantId, tenantId),
        eq(sisExternalLinks.entityType, entity),
        inArray(sisExternalLinks.entityId, [...ids]),
      ),
    )
    .orderBy(
      asc(sisExternalLinks.createdAt),
      asc(sisExternalLinks.providerId),
      asc(sisExternalLinks.externalId),
    );
}

export type ChangeEventRow = typeof sisChangeEvents.$inferSelect;

/** Up to `limit` events of a tenant's feed after `afterSeq`, in seq order. */
export async function listChangeEvents(
  db: Executor,
  tenantId: string,
  options: { afterSeq: number; limit: number; entities: readonly EntityType[] | undefined },
): Promise<ChangeEventRow[]> {
  return db
    .select()
    .from(sisChangeEvents)
    .where(
      and(
        ...defined([
          eq(sisChangeEvents.tenantId, tenantId),
          gt(sisChangeEvents.seq, options.afterSeq),
          options.entities === undefined ? undefined : inArray(sisChangeEvents.entity, [...options.entities]),
        ]),
      ),
    )
    .orderBy(asc(sisChangeEvents.seq))
    .limit(options.limit);
}
