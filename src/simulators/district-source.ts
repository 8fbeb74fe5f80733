import { createReadStream } from 'node:fs';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { ONEROSTER_ENTITIES } from '../connectors/oneroster/entities.js';
import { readCsv } from '../connectors/oneroster-csv/csv-rows.js';
import { ENTITY_TYPES } from '../domain/entity.js';
import { generateDistrict } from '../generator/generate-district.js';
import { writeOneRosterPackage } from '../generator/write-oneroster-package.js';

/*
 * A district held in memory as OneRoster 1.1 REST JSON, for the simulators to serve. It is read
 * from a OneRoster 1.1 CSV package with the CSV connector's own reader, so a package synced
 * through its CSV and through a simulator describes the very same district; each simulator then
 * speaks its provider's protocol over these objects.
 */

export type OneRosterCollection =
  'orgs' | 'academicSessions' | 'courses' | 'classes' | 'users' | 'enrollments';
export const ONEROSTER_COLLECTIONS: readonly OneRosterCollection[] = [
  'orgs',
  'academicSessions',
  'courses',
  'classes',
  'users',
  'enrollments',
];

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** A OneRoster 1.1 GUIDRef (providers.md 2.3). */
export interface GuidRef {
  href: string;
  sourcedId: string;
  type: string;
}

export interface DistrictSource {
  /** The district org's name, or the first org's, for reports. */
  name: string;
  /** Every object of each collection, `sourcedId` ascending (the order OneRoster paging relies on). */
  collections: Record<OneRosterCollection, JsonObject[]>;
}

export interface LoadOptions {
  /**
   * `dateLastModified` of rows that have none (bulk files leave it empty). Default: now, to the
   * second, as a live server reports objects it never changed since its import.
   */
  modifiedAt?: string;
  /** Root used in GUIDRef hrefs. */
  hrefRoot?: string;
}

/** Reads a OneRoster 1.1 CSV folder. A missing file is an empty collection. */
export async function loadDistrictSource(dir: string, options: LoadOptions = {}): Promise<DistrictSource> {
  const modifiedAt = options.modifiedAt ?? new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();
  const root = options.hrefRoot ?? '/ims/oneroster/v1p1';
  const ref = (collection: OneRosterCollection, type: string, id: string): JsonObject => ({
    href: `${root}/${collection}/${encodeURIComponent(id)}`,
    sourcedId: id,
    type,
  });
  const collections = Object.fromEntries(ONEROSTER_COLLECTIONS.map((c) => [c, [] as JsonObject[]])) as Record<
    OneRosterCollection,
    JsonObject[]
  >;
  for (const entity of ENTITY_TYPES) {
    const spec = ONEROSTER_ENTITIES[entity];
    const file = path.join(dir, `${spec.collection}.csv`);
    if (!(await exists(file))) continue;
    const reader = await readCsv(
      createReadStream(file),
      `${spec.collection}.csv`,
      spec.columns,
      spec.requiredColumns,
    );
    const fatal = reader.header.find((p) => p.fatal);
    if (fatal !== undefined) throw new Error(fatal.message);
    for await (const row of reader.rows) {
      collections[spec.collection].push(toJson(spec.collection, row.values, modifiedAt, ref));
    }
  }
  addChildren(collections.orgs, 'orgs', 'org', ref);
  addChildren(collections.academicSessions, 'academicSessions', 'academicSession', ref);
  for (const list of Object.values(collections)) {
    list.sort((a, b) => compareIds(idOf(a), idOf(b)));
  }
  const district = collections.orgs.find((o) => o.type === 'district') ?? collections.orgs[0];
  return { name: typeof district?.name === 'string' ? district.name : 'OneRoster district', collections };
}

export interface GeneratedDistrictSource {
  source: DistrictSource;
  /** The CSV package the source was read from: sync it to compare transports. */
  dir: string;
  cleanup(): Promise<void>;
}

/** Generates a district (`generateDistrict`), writes its CSV package to a temp folder and loads it. */
export async function generateDistrictSource(options: {
  students: number;
  seed: number;
  modifiedAt?: string;
}): Promise<GeneratedDistrictSource> {
  const dir = await mkdtemp(path.join(tmpdir(), 'sis-sync-district-'));
  try {
    await writeOneRosterPackage(generateDistrict({ students: options.students, seed: options.seed }), dir);
    const source = await loadDistrictSource(
      dir,
      options.modifiedAt === undefined ? {} : { modifiedAt: options.modifiedAt },
    );
    return { source, dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** The `sourcedId` of a source object (always a string: the loader writes it). */
export function idOf(object: JsonObject): string {
  return typeof object.sourcedId === 'string' ? object.sourcedId : '';
}

/** Plain code-point order, the same in every locale (what `sort=sourcedId` promises). */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

type RefOf = (collection: OneRosterCollection, type: string, id: string) => JsonObject;

const list = (cell: string | undefined): string[] =>
  (cell ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

/** One CSV row as the 1.1 REST object: references become GUIDRefs, lists arrays, empty fields absent. */
function toJson(
  collection: OneRosterCollection,
  row: Record<string, string>,
  modifiedAt: string,
  ref: RefOf,
): JsonObject {
  const out: JsonObject = {
    sourcedId: row.sourcedId ?? '',
    status: row.status === undefined || row.status === '' ? 'active' : row.status,
    dateLastModified:
      row.dateLastModified === undefined || row.dateLastModified === '' ? modifiedAt : row.dateLastModified,
  };
  const text = (json: string, csv = json) => {
    const value = row[csv];
    if (value !== undefined && value !== '') out[json] = value;
  };
  const array = (json: string, csv = json) => {
    const values = list(row[csv]);
    if (values.length > 0) out[json] = values;
  };
  const one = (json: string, csv: string, target: OneRosterCollection, type: string) => {
    const id = row[csv];
    if (id !== undefined && id !== '') out[json] = ref(target, type, id);
  };
  const many = (json: string, csv: string, target: OneRosterCollection, type: string) => {
    const ids = list(row[csv]);
    if (ids.length > 0) out[json] = ids.map((id) => ref(target, type, id));
  };
  switch (collection) {
    case 'orgs':
      text('name');
      text('type');
      text('identifier');
      one('parent', 'parentSourcedId', 'orgs', 'org');
      break;
    case 'academicSessions':
      text('title');
      text('type');
      text('startDate');
      text('endDate');
      one('parent', 'parentSourcedId', 'academicSessions', 'academicSession');
      text('schoolYear');
      break;
    case 'courses':
      text('title');
      one('schoolYear', 'schoolYearSourcedId', 'academicSessions', 'academicSession');
      text('courseCode');
      array('grades');
      array('subjects');
      array('subjectCodes');
      one('org', 'orgSourcedId', 'orgs', 'org');
      break;
    case 'classes':
      text('title');
      text('classCode');
      text('classType');
      text('location');
      array('grades');
      array('subjects');
      array('subjectCodes');
      array('periods');
      one('course', 'courseSourcedId', 'courses', 'course');
      one('school', 'schoolSourcedId', 'orgs', 'org');
      many('terms', 'termSourcedIds', 'academicSessions', 'academicSession');
      break;
    case 'users': {
      text('username');
      const ids = [...(row.userIds ?? '').matchAll(/\{([^:{}]+):([^{}]*)\}/g)].map((m) => ({
        type: m[1]!.trim(),
        identifier: m[2]!.trim(),
      }));
      if (ids.length > 0) out.userIds = ids;
      text('enabledUser');
      text('givenName');
      text('familyName');
      text('middleName');
      text('role');
      text('identifier');
      text('email');
      text('sms');
      text('phone');
      many('agents', 'agentSourcedIds', 'users', 'user');
      many('orgs', 'orgSourcedIds', 'orgs', 'org');
      array('grades');
      text('password');
      break;
    }
    case 'enrollments':
      one('user', 'userSourcedId', 'users', 'user');
      one('class', 'classSourcedId', 'classes', 'class');
      one('school', 'schoolSourcedId', 'orgs', 'org');
      text('role');
      text('primary');
      text('beginDate');
      text('endDate');
      break;
  }
  return out;
}

/** `children[]` of orgs and academic sessions, from their children's `parent`. */
function addChildren(objects: JsonObject[], collection: OneRosterCollection, type: string, ref: RefOf): void {
  const byId = new Map(objects.map((o) => [o.sourcedId, o]));
  for (const child of objects) {
    const parent = child.parent as { sourcedId?: unknown } | undefined;
    const owner = typeof parent?.sourcedId === 'string' ? byId.get(parent.sourcedId) : undefined;
    if (owner === undefined) continue;
    const children = (owner.children ??= []) as JsonValue[];
    children.push(ref(collection, type, idOf(child)));
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
