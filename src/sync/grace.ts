import type { Executor } from '../db/client.js';
import { sqlSessionOf } from '../db/sql-session.js';
import { ENTITY_TYPES, type EntityType } from '../domain/entity.js';
import { ValidationError } from '../domain/errors.js';
import { CANONICAL } from './load/canonical-columns.js';

/** A provider record in grace: still linked and active, missing from the last complete run(s). */
export interface GraceRecord {
  entity: EntityType;
  externalId: string;
  entityId: string;
  /** As the run changes label the record. */
  label: string | null;
  /** Consecutive complete runs that lacked it. */
  missingRuns: number;
  /** Further complete runs without it before it is deactivated (at least 1). */
  runsLeft: number;
  /** The provider's last applied run before the first one that lacked it, and when that finished. */
  lastSeenRunId: string | null;
  lastSeenAt: Date | null;
}

export interface GracePage {
  records: GraceRecord[];
  /** Null on the last page. */
  nextCursor: string | null;
}

/*
 * The list is ordered by (entity, external id), and a cursor names the last pair of a page and
 * the entity filter it was given under, so it cannot be replayed under another one.
 */
const CURSOR_VERSION = 'g1';

function encodeCursor(filter: EntityType | undefined, last: GraceRecord): string {
  return Buffer.from(JSON.stringify([CURSOR_VERSION, filter ?? null, last.entity, last.externalId])).toString(
    'base64url',
  );
}

function decodeCursor(
  cursor: string,
  filter: EntityType | undefined,
): { entity: string; externalId: string } {
  const refuse = (message: string) => new ValidationError([{ path: 'cursor', message }]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 4 ||
    parsed[0] !== CURSOR_VERSION ||
    !ENTITY_TYPES.some((e) => e === parsed[2]) ||
    typeof parsed[3] !== 'string'
  ) {
    throw refuse("is not a cursor this API gave: pass the previous page's nextCursor unchanged");
  }
  if (parsed[1] !== (filter ?? null)) {
    throw refuse("was given for another entity filter: keep the first page's filter while paging");
  }
  return { entity: parsed[2] as string, externalId: parsed[3] };
}

/** The label of each entity's canonical record, `c`, for the link `l`. */
const labelOf = `CASE l.entity_type ${ENTITY_TYPES.map(
  (entity) =>
    `WHEN '${entity}' THEN (SELECT ${CANONICAL[entity].label} FROM ${CANONICAL[entity].table} c
       WHERE c.tenant_id = l.tenant_id AND c.id = l.entity_id)`,
).join(' ')} END`;

/**
 * One page of a provider's records in grace, by entity and external id: the grace index's rows,
 * with each record's label and the run that last saw it.
 */
export async function listGraceRecords(
  db: Executor,
  provider: { id: string; tenantId: string; deactivationGraceRuns: number },
  query: { entity?: EntityType | undefined; limit: number; cursor?: string | undefined },
): Promise<GracePage> {
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, query.entity);
  const params: unknown[] = [provider.tenantId, provider.id, query.limit + 1];
  const where = ['l.tenant_id = $1', 'l.provider_id = $2', 'l.active', 'l.missing_runs > 0'];
  if (query.entity !== undefined) {
    params.push(query.entity);
    where.push(`l.entity_type = $${params.length}`);
  }
  if (after !== undefined) {
    params.push(after.entity, after.externalId);
    where.push(`(l.entity_type, l.external_id) > ($${params.length - 1}, $${params.length})`);
  }
  const rows = await sqlSessionOf(db).query<{
    entity_type: EntityType;
    external_id: string;
    entity_id: string;
    label: string | null;
    missing_runs: number;
    last_seen_run_id: string | null;
    last_seen_at: Date | string | null;
  }>(
    `SELECT l.entity_type, l.external_id, l.entity_id, ${labelOf} AS label, l.missing_runs,
            l.last_seen_run_id, r.finished_at AS last_seen_at
     FROM sis_external_links l
     LEFT JOIN sis_sync_runs r ON r.id = l.last_seen_run_id
     WHERE ${where.join(' AND ')}
     ORDER BY l.entity_type, l.external_id
     LIMIT $3`,
    params,
  );
  const records = rows.slice(0, query.limit).map((row): GraceRecord => ({
    entity: row.entity_type,
    externalId: row.external_id,
    entityId: row.entity_id,
    label: row.label,
    missingRuns: row.missing_runs,
    // The grace may have been shortened since: the next complete run without it takes it away.
    runsLeft: Math.max(provider.deactivationGraceRuns - row.missing_runs, 1),
    lastSeenRunId: row.last_seen_run_id,
    lastSeenAt: row.last_seen_at === null ? null : new Date(row.last_seen_at),
  }));
  const last = records.at(-1);
  return {
    records,
    nextCursor: rows.length > query.limit && last !== undefined ? encodeCursor(query.entity, last) : null,
  };
}
