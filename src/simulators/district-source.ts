import { createReadStream } from 'node:fs';
import { access, readdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { oneRosterEntities } from '../connectors/oneroster/entities.js';
import { ROLE_COLUMNS, ROLE_REQUIRED_COLUMNS, USER_PROFILE_COLUMNS } from '../connectors/oneroster/roles.js';
import type { OneRosterVersion } from '../connectors/oneroster/row-reader.js';
import { readCsv } from '../connectors/oneroster-csv/csv-rows.js';
import { readManifest } from '../connectors/oneroster-csv/manifest.js';
import { packageVersion } from '../connectors/oneroster-csv/package-version.js';
import { ENTITY_TYPES } from '../domain/entity.js';
import { generateDistrict } from '../generator/generate-district.js';
import { writeOneRosterPackage } from '../generator/write-oneroster-package.js';

/*
 * A district held in memory as OneRoster REST JSON (1.1, or 1.2 when read from a 1.2 package), for
 * the simulators to serve. It is read from a OneRoster CSV package with the CSV connector's own
 * reader, so a package synced through its CSV and through a simulator describes the very same
 * district; each simulator then speaks its provider's protocol over these objects. 1.2 users are
 * shaped as the 1.2 OpenAPI's UserDType: `roles[]` from roles.csv, `userProfiles[]` from
 * userProfiles.csv, and the REST names of the new columns (preferredFirstName, ...).
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
  /** The OneRoster version of the package it was read from, and so of its objects' shapes. */
  version: OneRosterVersion;
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

/**
 * Reads a OneRoster CSV folder, 1.1 or 1.2 as its manifest declares (1.1 without one). A missing
 * file is an empty collection.
 */
export async function loadDistrictSource(dir: string, options: LoadOptions = {}): Promise<DistrictSource> {
  const modifiedAt = options.modifiedAt ?? new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();
  const version = await versionOf(dir);
  const root =
    options.hrefRoot ?? (version === '1.2' ? '/ims/oneroster/rostering/v1p2' : '/ims/oneroster/v1p1');
  const ref = (collection: OneRosterCollection, type: string, id: string): JsonObject => ({
    href: `${root}/${collection}/${encodeURIComponent(id)}`,
    sourcedId: id,
    type,
  });
  const collections = Object.fromEntries(ONEROSTER_COLLECTIONS.map((c) => [c, [] as JsonObject[]])) as Record<
    OneRosterCollection,
    JsonObject[]
  >;
  const specs = oneRosterEntities(version);
  const names = await readdir(dir);
  const fileNamed = (name: string) => {
    const found = names.find((n) => n === name) ?? names.find((n) => n.toLowerCase() === name.toLowerCase());
    return found === undefined ? undefined : path.join(dir, found);
  };
  const extras: UserExtras =
    version === '1.2' ? await userExtras1p2(fileNamed, ref) : { roles: new Map(), profiles: new Map() };
  for (const entity of ENTITY_TYPES) {
    const spec = specs[entity];
    const file = fileNamed(`${spec.collection}.csv`);
    if (file === undefined) continue;
    for await (const values of rowsOf(
      file,
      `${spec.collection}.csv`,
      spec.columns,
      spec.requiredColumns,
      spec.aliases,
    )) {
      const json = toJson(spec.collection, values, modifiedAt, ref, version);
      if (version === '1.2' && spec.collection === 'users') {
        json.roles = extras.roles.get(idOf(json)) ?? [];
        const profiles = extras.profiles.get(idOf(json));
        if (profiles !== undefined) json.userProfiles = profiles;
      }
      collections[spec.collection].push(json);
    }
  }
  addChildren(collections.orgs, 'orgs', 'org', ref);
  addChildren(collections.academicSessions, 'academicSessions', 'academicSession', ref);
  for (const list of Object.values(collections)) {
    list.sort((a, b) => compareIds(idOf(a), idOf(b)));
  }
  const district = collections.orgs.find((o) => o.type === 'district') ?? collections.orgs[0];
  return {
    name: typeof district?.name === 'string' ? district.name : 'OneRoster district',
    version,
    collections,
  };
}

/** As its manifest declares; a folder without one is read as 1.1. */
async function versionOf(dir: string): Promise<OneRosterVersion> {
  const file = path.join(dir, 'manifest.csv');
  if (!(await exists(file))) return '1.1';
  const manifest = await readManifest(createReadStream(file));
  return packageVersion(manifest.onerosterVersion, 'auto').version;
}

async function* rowsOf(
  file: string,
  name: string,
  columns: readonly string[],
  requiredColumns: readonly string[],
  aliases?: Readonly<Record<string, string>>,
): AsyncGenerator<Record<string, string>> {
  const reader = await readCsv(createReadStream(file), name, columns, requiredColumns, {
    ...(aliases === undefined ? {} : { aliases }),
  });
  const fatal = reader.header.find((p) => p.fatal);
  if (fatal !== undefined) throw new Error(fatal.message);
  for await (const row of reader.rows) yield row.values;
}

const gone = (row: Record<string, string>) =>
  ['tobedeleted', 'inactive'].includes((row.status ?? '').toLowerCase());

interface UserExtras {
  roles: Map<string, JsonObject[]>;
  profiles: Map<string, JsonObject[]>;
}

/**
 * 1.2 users' `roles[]` (RoleDType: roleType, role, org GUIDRef, userProfile, beginDate, endDate)
 * and `userProfiles[]` (UserProfileDType: profileId, profileType, vendorId, applicationId,
 * description, credentials[] of {type, username, password}), by user. A live 1.2 server serves
 * credentials as its data holds them: that a client keeps none of them is the client's job.
 */
async function userExtras1p2(
  fileNamed: (name: string) => string | undefined,
  ref: RefOf,
): Promise<UserExtras> {
  const roles = new Map<string, JsonObject[]>();
  const profiles = new Map<string, JsonObject[]>();
  const add = (map: Map<string, JsonObject[]>, user: string | undefined, item: JsonObject) => {
    if (user === undefined || user === '') return;
    map.set(user, [...(map.get(user) ?? []), item]);
  };
  const rolesFile = fileNamed('roles.csv');
  if (rolesFile !== undefined) {
    for await (const row of rowsOf(rolesFile, 'roles.csv', ROLE_COLUMNS, ROLE_REQUIRED_COLUMNS)) {
      if (gone(row)) continue;
      const role: JsonObject = {
        roleType: row.roleType ?? '',
        role: row.role ?? '',
        org: ref('orgs', 'org', row.orgSourcedId ?? ''),
      };
      if (present(row.userProfileSourcedId)) role.userProfile = row.userProfileSourcedId;
      if (present(row.beginDate)) role.beginDate = row.beginDate;
      if (present(row.endDate)) role.endDate = row.endDate;
      add(roles, row.userSourcedId, role);
    }
  }
  const profilesFile = fileNamed('userProfiles.csv');
  if (profilesFile !== undefined) {
    for await (const row of rowsOf(profilesFile, 'userProfiles.csv', USER_PROFILE_COLUMNS, [
      'sourcedId',
      'userSourcedId',
    ])) {
      if (gone(row)) continue;
      const profile: JsonObject = {
        profileId: row.sourcedId ?? '',
        profileType: row.profileType ?? '',
        vendorId: row.vendorId ?? '',
      };
      if (present(row.applicationId)) profile.applicationId = row.applicationId;
      if (present(row.description)) profile.description = row.description;
      if (present(row.credentialType) || present(row.username)) {
        const credential: JsonObject = { type: row.credentialType ?? '', username: row.username ?? '' };
        if (present(row.password)) credential.password = row.password;
        profile.credentials = [credential];
      }
      add(profiles, row.userSourcedId, profile);
    }
  }
  return { roles, profiles };
}

const present = (value: string | undefined): value is string => value !== undefined && value !== '';

export interface GeneratedDistrictSource {
  source: DistrictSource;
  /** The CSV package the source was read from: sync it to compare transports. */
  dir: string;
  cleanup(): Promise<void>;
}

/**
 * Generates a district (`generateDistrict`), writes its CSV package (1.1 unless asked for 1.2) to a
 * temp folder and loads it.
 */
export async function generateDistrictSource(options: {
  students: number;
  seed: number;
  modifiedAt?: string;
  version?: OneRosterVersion;
}): Promise<GeneratedDistrictSource> {
  const dir = await mkdtemp(path.join(tmpdir(), 'sis-sync-district-'));
  try {
    await writeOneRosterPackage(generateDistrict({ students: options.students, seed: options.seed }), dir, {
      version: options.version ?? '1.1',
    });
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

/**
 * One CSV row as the REST object of its version: references become GUIDRefs, lists arrays, empty
 * fields absent. 1.2 users get their roles and profiles from `userExtras1p2`.
 */
function toJson(
  collection: OneRosterCollection,
  row: Record<string, string>,
  modifiedAt: string,
  ref: RefOf,
  version: OneRosterVersion,
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
      if (version === '1.2') text('userMasterIdentifier');
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
      if (version === '1.2') {
        // The 1.2 REST names of the 1.2 CSV columns (1.2 OpenAPI UserDType).
        text('preferredFirstName', 'preferredGivenName');
        text('preferredMiddleName', 'preferredMiddleName');
        text('preferredLastName', 'preferredFamilyName');
        text('pronouns');
        one('primaryOrg', 'primaryOrgSourcedId', 'orgs', 'org');
      } else {
        text('role');
      }
      text('identifier');
      text('email');
      text('sms');
      text('phone');
      many('agents', 'agentSourcedIds', 'users', 'user');
      if (version === '1.1') many('orgs', 'orgSourcedIds', 'orgs', 'org');
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
