import type { Readable } from 'node:stream';

import type { RecordError, RecordSource } from '../../domain/records.js';
import type { ExtractBatch, ExtractMode, IncompleteEntity } from '../connector.js';
import { ONEROSTER_1P2_ENTITIES, mapOneRosterRow, readDeleted } from '../oneroster/entities.js';
import {
  Interner,
  ROLE_COLUMNS,
  ROLE_REQUIRED_COLUMNS,
  USER_PROFILE_COLUMNS,
  readRoleAssignment,
  type RoleAssignment,
} from '../oneroster/roles.js';
import { RowReader, type FieldProblem } from '../oneroster/row-reader.js';
import { CsvFileError, readCsv, type CsvFileFacts } from './csv-rows.js';
import { addMappedRow, batchFull, emptyBatch, headerOutcome } from './extract-rows.js';
import type { FileMode } from './manifest.js';

/*
 * OneRoster 1.2 users.csv with the files it depends on: a 1.2 user has no role and no orgs of its
 * own, they are its rows in roles.csv (providers.md 1.9). roles.csv is read first and held, by
 * user, in memory (compactly: a role is a few shared strings); users.csv then streams and each
 * user takes its roles. userProfiles.csv is read only to be checked: sis-sync keeps nothing of a
 * profile, and never its password.
 *
 * Rules (docs/oneroster-1.2.md):
 * - roles.csv must come with users.csv; with a bulk users.csv it must be bulk too (a delta would
 *   give each user only its changed roles). Otherwise users is incomplete and nothing of it is
 *   read or deactivated.
 * - A user's roles.csv rows are its complete roles, also in a delta: a delta that resends a user
 *   resends all its roles. A role whose user is not in users.csv is an error in bulk (the
 *   reference is broken) and a warning in a delta (the user was not resent: the change waits).
 * - An unreadable role keeps its user from being applied (its role cannot be known); a role's
 *   profile that is not in userProfiles.csv, or is another user's, is a warning.
 * - A profile whose user is not in a bulk users.csv is an error; profile rows are checked like
 *   any row (required fields), their problems are errors tied to no record.
 */

const USERS = ONEROSTER_1P2_ENTITIES.users;
/** Required values of userProfiles.csv (LongsightGroup/oneroster `parseUserProfileRecord`). */
const PROFILE_REQUIRED = [
  'sourcedId',
  'userSourcedId',
  'profileType',
  'vendorId',
  'credentialType',
  'username',
];

export interface Users1p2Files {
  /** The file's name in the package, when it is there (case-insensitively). */
  nameOf(file: string): string | undefined;
  open(name: string): Promise<Readable>;
  modeOf(collection: string): FileMode;
  /** Told what each file looks like once its header is read (name in the package, facts). */
  saw(name: string, facts: CsvFileFacts): void;
}

/**
 * roles.csv by user: one role (most users hold one, and an array per user would cost more than
 * the role), or several in file order; each knows its line.
 */
interface RoleIndex {
  byUser: Map<string, RoleAssignment | RoleAssignment[]>;
  /** Users users.csv had: the others' roles are reported once users.csv is read. */
  seen: Set<string>;
}

const rolesIn = (entry: RoleAssignment | RoleAssignment[] | undefined): readonly RoleAssignment[] =>
  entry === undefined ? [] : Array.isArray(entry) ? entry : [entry];

interface ProfileIndex {
  /** profile sourcedId -> its user. */
  users: Map<string, string>;
  /** user -> the lines of its profiles, and whether users.csv had the user. */
  byUser: Map<string, { lines: number[]; seen: boolean }>;
}

export async function* extractUsers1p2(
  files: Users1p2Files,
  mode: ExtractMode,
  onIncomplete: (problem: IncompleteEntity) => void,
): AsyncGenerator<ExtractBatch<'users'>> {
  const incomplete = (code: string, message: string, source: RecordSource) =>
    onIncomplete({ entity: 'users', code, message, source });
  const usersFile = files.nameOf('users.csv');
  if (usersFile === undefined) {
    incomplete(
      'missing_file',
      `manifest.csv says file.users=${mode === 'delta' ? 'delta' : 'bulk'} but users.csv is not in the package`,
      { file: 'users.csv' },
    );
    return;
  }
  const rolesMode = files.modeOf('roles');
  const rolesFile = files.nameOf('roles.csv');
  if (rolesMode === 'absent' || rolesFile === undefined) {
    incomplete(
      'missing_file',
      rolesMode === 'absent'
        ? 'manifest.csv says file.roles=absent (or has no file.roles row), but a OneRoster 1.2 users.csv takes its roles from roles.csv'
        : `manifest.csv says file.roles=${rolesMode} but roles.csv is not in the package`,
      { file: 'roles.csv' },
    );
    return;
  }
  if (mode === 'snapshot' && rolesMode === 'delta') {
    incomplete(
      'inconsistent_modes',
      'users.csv is bulk but roles.csv is a delta: each user would hold only the roles that changed',
      { file: 'roles.csv' },
    );
    return;
  }
  const delta = mode === 'delta';
  let batch = emptyBatch<'users'>();

  const profiles = await readProfiles(files, batch.errors);
  const roles = await readRoles(files, rolesFile, rolesMode === 'delta', profiles, batch.errors, incomplete);
  if (roles === null) {
    if (batch.errors.length > 0) yield batch;
    return;
  }

  const stream = await files.open(usersFile);
  let complete = false;
  try {
    const reader = await readCsv(stream, usersFile, USERS.columns, USERS.requiredColumns, {
      version: '1.2',
      ...(USERS.aliases === undefined ? {} : { aliases: USERS.aliases }),
    });
    files.saw(usersFile, reader.facts);
    const header = headerOutcome(reader, usersFile);
    batch.errors.push(...header.warnings);
    if (header.fatal !== null) {
      incomplete(header.fatal.code, header.fatal.message, { file: usersFile, line: 1 });
      stream.destroy();
      if (batch.errors.length > 0) yield batch;
      return;
    }
    for await (const row of reader.rows) {
      const id = (row.values.sourcedId ?? '').trim();
      const own = rolesIn(roles.byUser.get(id));
      if (own.length > 0) roles.seen.add(id);
      const profileEntry = profiles?.byUser.get(id);
      if (profileEntry !== undefined) profileEntry.seen = true;
      const mapped = mapOneRosterRow(USERS, row.values, delta, {
        version: '1.2',
        links: { roles: own, rolesSource: 'roles.csv' },
      });
      addMappedRow(batch, mapped, row, usersFile, own.length === 0 ? undefined : { roles: own.map(rawRole) });
      if (batchFull(batch)) {
        yield batch;
        batch = emptyBatch<'users'>();
      }
    }
    complete = true;
  } catch (error) {
    if (!(error instanceof CsvFileError)) throw error;
    incomplete('malformed_file', error.message, {
      file: usersFile,
      ...(error.line === undefined ? {} : { line: error.line }),
    });
  }
  // Only once every user has been seen can the others be told apart.
  if (complete) {
    for (const [user, entry] of roles.byUser) {
      if (roles.seen.has(user)) continue;
      for (const { line = 0 } of rolesIn(entry)) {
        batch.errors.push({
          externalId: null,
          field: 'userSourcedId',
          code: 'dangling_reference',
          message: delta
            ? `${rolesFile} line ${line}: user ${user} is not in this delta's users.csv, so this role is not applied (a OneRoster 1.2 delta resends a user with all its roles)`
            : `${rolesFile} line ${line}: userSourcedId ${user} is not a user in users.csv; the role is ignored`,
          source: { file: rolesFile, line },
          severity: delta ? 'warning' : 'error',
        });
        if (batchFull(batch)) {
          yield batch;
          batch = emptyBatch<'users'>();
        }
      }
    }
    // A delta need not resend a profile's user: only a bulk users.csv holds every user.
    if (profiles !== null && !delta) {
      const profilesFile = files.nameOf('userProfiles.csv') ?? 'userProfiles.csv';
      for (const [user, entry] of profiles.byUser) {
        if (entry.seen) continue;
        for (const line of entry.lines) {
          batch.errors.push({
            externalId: null,
            field: 'userSourcedId',
            code: 'dangling_reference',
            message: `${profilesFile} line ${line}: userSourcedId ${user} is not a user in users.csv`,
            source: { file: profilesFile, line },
          });
          if (batchFull(batch)) {
            yield batch;
            batch = emptyBatch<'users'>();
          }
        }
      }
    }
  }
  if (batch.records.length + batch.errors.length > 0) yield batch;
}

/** A role as kept in the staged raw record: what roles.csv says, nothing else. */
function rawRole(role: RoleAssignment): Record<string, string> {
  const raw: Record<string, string> = {};
  raw.roleType = role.roleType;
  raw.role = role.role;
  raw.orgSourcedId = role.orgSourcedId;
  if (role.beginDate !== undefined) raw.beginDate = role.beginDate;
  if (role.endDate !== undefined) raw.endDate = role.endDate;
  if (role.userProfileSourcedId !== undefined) raw.userProfileSourcedId = role.userProfileSourcedId;
  return raw;
}

/**
 * roles.csv by user. Null when it cannot be read (users is then incomplete). Problems of a row
 * whose user is known travel with the role, to the user; a row without a user is an error of
 * its own.
 */
async function readRoles(
  files: Users1p2Files,
  file: string,
  delta: boolean,
  profiles: ProfileIndex | null,
  errors: RecordError[],
  incomplete: (code: string, message: string, source: RecordSource) => void,
): Promise<RoleIndex | null> {
  const byUser = new Map<string, RoleAssignment | RoleAssignment[]>();
  const interner = new Interner();
  const stream = await files.open(file);
  try {
    const reader = await readCsv(stream, file, ROLE_COLUMNS, ROLE_REQUIRED_COLUMNS, { version: '1.2' });
    files.saw(file, reader.facts);
    const header = headerOutcome(reader, file);
    errors.push(...header.warnings);
    if (header.fatal !== null) {
      incomplete(header.fatal.code, `${header.fatal.message}; no user's role can be read`, { file, line: 1 });
      stream.destroy();
      return null;
    }
    for await (const row of reader.rows) {
      const source = { file, line: row.line };
      const status = new RowReader(row.values, '1.2');
      status.required('sourcedId');
      if (readDeleted(status, delta)) continue;
      const user = (row.values.userSourcedId ?? '').trim();
      if (user === '') {
        errors.push({
          externalId: null,
          field: 'userSourcedId',
          code: 'missing_required',
          message: `${file} line ${row.line}: userSourcedId is required; the role belongs to no user`,
          source,
        });
        continue;
      }
      const role = readRoleAssignment(row.values, { source, interner });
      role.line = row.line;
      const rowProblems: FieldProblem[] = [
        ...(row.cellCountProblem === null
          ? []
          : [{ field: '', code: 'invalid_value' as const, message: row.cellCountProblem, source }]),
        ...status.problems.map((p) => ({ ...p, source })),
      ];
      if (rowProblems.length > 0) role.problems = [...rowProblems, ...(role.problems ?? [])];
      const profile = role.userProfileSourcedId;
      if (profile !== undefined && profiles !== null) {
        const owner = profiles.users.get(profile);
        if (owner !== user) {
          role.warnings = [
            {
              field: 'userProfileSourcedId',
              code: 'dangling_reference',
              message:
                owner === undefined
                  ? `userProfileSourcedId ${profile} is not in userProfiles.csv; the reference is dropped`
                  : `userProfileSourcedId ${profile} is user ${owner}'s profile, not this user's; the reference is dropped`,
              source,
            },
          ];
          delete role.userProfileSourcedId;
        }
      }
      const entry = byUser.get(user);
      if (entry === undefined) byUser.set(user, role);
      else if (Array.isArray(entry)) entry.push(role);
      else byUser.set(user, [entry, role]);
    }
  } catch (error) {
    if (!(error instanceof CsvFileError)) throw error;
    incomplete('malformed_file', `${error.message}; no user's role can be trusted`, {
      file,
      ...(error.line === undefined ? {} : { line: error.line }),
    });
    return null;
  }
  return { byUser, seen: new Set() };
}

/**
 * userProfiles.csv, checked and reduced to which profile is whose: a profile's credentials
 * (username, password) go no further than the row being read. Null when the package has none.
 */
async function readProfiles(files: Users1p2Files, errors: RecordError[]): Promise<ProfileIndex | null> {
  const mode = files.modeOf('userProfiles');
  if (mode === 'absent') return null;
  const file = files.nameOf('userProfiles.csv');
  if (file === undefined) {
    errors.push({
      externalId: null,
      field: null,
      code: 'missing_file',
      message: `manifest.csv says file.userProfiles=${mode} but userProfiles.csv is not in the package; references to profiles are not checked`,
      source: { file: 'userProfiles.csv' },
      severity: 'warning',
    });
    return null;
  }
  const index: ProfileIndex = { users: new Map(), byUser: new Map() };
  const stream = await files.open(file);
  try {
    const reader = await readCsv(stream, file, USER_PROFILE_COLUMNS, PROFILE_REQUIRED, { version: '1.2' });
    files.saw(file, reader.facts);
    const header = headerOutcome(reader, file);
    errors.push(...header.warnings);
    if (header.fatal !== null) {
      errors.push({
        externalId: null,
        field: null,
        code: header.fatal.code,
        message: `${header.fatal.message}; references to profiles are not checked`,
        source: { file, line: 1 },
      });
      stream.destroy();
      return null;
    }
    for await (const row of reader.rows) {
      const read = new RowReader(row.values, '1.2');
      for (const field of PROFILE_REQUIRED) read.required(field);
      const deleted = readDeleted(read, mode === 'delta');
      const problems = [
        ...(row.cellCountProblem === null ? [] : [{ field: '', message: row.cellCountProblem }]),
        ...read.problems,
      ];
      for (const p of problems) {
        errors.push({
          externalId: null,
          field: p.field === '' ? null : p.field,
          code: 'invalid_value',
          message: p.message.startsWith(file) ? p.message : `${file} line ${row.line}: ${p.message}`,
          source: { file, line: row.line },
        });
      }
      const id = (row.values.sourcedId ?? '').trim();
      const user = (row.values.userSourcedId ?? '').trim();
      if (deleted || id === '' || user === '') continue;
      index.users.set(id, user);
      let entry = index.byUser.get(user);
      if (entry === undefined) {
        entry = { lines: [], seen: false };
        index.byUser.set(user, entry);
      }
      entry.lines.push(row.line);
    }
  } catch (error) {
    if (!(error instanceof CsvFileError)) throw error;
    errors.push({
      externalId: null,
      field: null,
      code: 'malformed_file',
      message: `${error.message}; references to profiles are not checked`,
      source: { file, ...(error.line === undefined ? {} : { line: error.line }) },
    });
    return null;
  }
  return index;
}
