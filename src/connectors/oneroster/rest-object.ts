import type { EntityType } from '../../domain/entity.js';
import type { ExtractedRecord, RecordError, RecordSource } from '../../domain/records.js';
import { storageProblem } from '../../lib/storable.js';
import { mapOneRosterRow, toExtractedRecord, type OneRosterEntity } from './entities.js';
import { restObjectToRow, restRolesOf } from './rest-row.js';
import type { FieldProblem, OneRosterVersion } from './row-reader.js';

/*
 * One object of a OneRoster REST page into a record or per-record errors: the whole mapping of a
 * REST object (GUIDRefs and JSON types, a 1.2 user's roles[], the shared row mapping), pure, so
 * that what any JSON value becomes can be checked without a server.
 */

export interface RestObjectAt {
  /** The collection's path ("/ims/oneroster/v1p1/users"). */
  path: string;
  /** The offset of the object's page, and the object's index in it. */
  offset: number;
  index: number;
}

export interface MappedRestObject<E extends EntityType> {
  externalId: string | null;
  source: RecordSource;
  /** The record, when the object maps cleanly. */
  record: ExtractedRecord<E> | null;
  /** Its errors (the record is then null) and its warnings. */
  errors: RecordError[];
  /** A 1.2 user sent with a 1.1 `role` and `orgs[]` in place of `roles[]`. */
  legacyRole: boolean;
}

export function mapRestObject<E extends EntityType>(
  spec: OneRosterEntity<E>,
  version: OneRosterVersion,
  delta: boolean,
  object: unknown,
  at: RestObjectAt,
): MappedRestObject<E> {
  const position = at.offset + at.index;
  const source = { file: at.path, page: `offset=${at.offset}`, line: position + 1 };
  const converted = restObjectToRow(spec, object, version);
  const roles = version === '1.2' && spec.entity === 'users' ? restRolesOf(object) : null;
  const mapped = mapOneRosterRow(spec, converted.row, delta, {
    version,
    ...(roles === null ? {} : { links: { roles: roles.assignments, rolesSource: 'roles[]' } }),
  });
  const { externalId } = mapped;
  const problems: Pick<FieldProblem, 'field' | 'code' | 'message'>[] = [
    ...converted.problems.map((p) => ({
      field: p.field,
      code: 'invalid_value' as const,
      message: p.message,
    })),
    ...(roles?.problems ?? []).map((p) => ({ ...p, code: 'invalid_value' as const })),
    ...mapped.problems,
  ];
  const unstorable = storageProblem(object);
  if (unstorable !== null) problems.push({ ...unstorable, code: 'invalid_value' });
  const legacyRole = roles?.legacy === true && !mapped.deleted;
  const error = (problem: Pick<FieldProblem, 'field' | 'code' | 'message'>) =>
    restRecordError(externalId, problem, at.path, position, source);
  if (problems.length > 0) {
    return { externalId, source, record: null, errors: problems.map(error), legacyRole };
  }
  if (externalId === null) return { externalId, source, record: null, errors: [], legacyRole };
  return {
    externalId,
    source,
    record: toExtractedRecord({ ...mapped, externalId }, object as Record<string, unknown>, source),
    errors: mapped.warnings.map((w) => ({ ...error(w), severity: 'warning' as const })),
    legacyRole,
  };
}

/** A per-record error of a REST object: "<path> item <n> (<id>): <message>". */
export function restRecordError(
  externalId: string | null,
  problem: { field: string; code: string; message: string },
  path: string,
  position: number,
  source: RecordSource,
): RecordError {
  return {
    externalId,
    field: problem.field === '' ? null : problem.field,
    code: problem.code,
    message: `${path} item ${position + 1}${externalId === null ? '' : ` (${externalId})`}: ${problem.message}`,
    source,
  };
}
