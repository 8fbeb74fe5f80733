import Type, { type Static, type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';

import { storageProblem } from '../../lib/storable.js';
import { schemaIssues } from '../schema-issues.js';

/*
 * Clever Data API v3.0 objects as the boundary sees them. Only what the mapping reads is
 * declared; everything else Clever sends is allowed through untouched (new fields appear
 * without notice). Clever documents most fields as optional and districts leave many empty or
 * null, so only the id and what a record means nothing without are required.
 */

const id = Type.String({ minLength: 1 });
/** A text field a district may leave empty, null or out. */
const text = Type.Optional(Type.Union([Type.String(), Type.Null()]));
const ids = Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()]));
const credentials = Type.Optional(Type.Union([Type.Object({ district_username: text }), Type.Null()]));

export const cleverDistrictSchema = Type.Object({
  id,
  name: Type.String({ minLength: 1 }),
  nces_id: text,
  mdr_number: text,
});
export type CleverDistrict = Static<typeof cleverDistrictSchema>;

export const cleverSchoolSchema = Type.Object({
  id,
  district: text,
  name: Type.String({ minLength: 1 }),
  school_number: text,
  sis_id: text,
  state_id: text,
  nces_id: text,
});
export type CleverSchool = Static<typeof cleverSchoolSchema>;

export const cleverTermSchema = Type.Object({
  id,
  district: text,
  name: Type.String({ minLength: 1 }),
  start_date: text,
  end_date: text,
});
export type CleverTerm = Static<typeof cleverTermSchema>;

export const cleverCourseSchema = Type.Object({
  id,
  district: text,
  name: Type.String({ minLength: 1 }),
  number: text,
});
export type CleverCourse = Static<typeof cleverCourseSchema>;

export const cleverSectionSchema = Type.Object({
  id,
  district: text,
  school: Type.String({ minLength: 1 }),
  course: text,
  term_id: text,
  name: Type.String({ minLength: 1 }),
  section_number: text,
  sis_id: text,
  period: text,
  grade: text,
  subject: text,
  teacher: text,
  teachers: ids,
  students: ids,
});
export type CleverSection = Static<typeof cleverSectionSchema>;

const studentRole = Type.Object({
  sis_id: text,
  student_number: text,
  state_id: text,
  school: text,
  schools: ids,
  grade: text,
  credentials,
});
const teacherRole = Type.Object({
  sis_id: text,
  teacher_number: text,
  state_id: text,
  title: text,
  school: text,
  schools: ids,
  credentials,
});
const staffRole = Type.Object({
  staff_id: text,
  title: text,
  department: text,
  schools: ids,
  credentials,
});
const districtAdminRole = Type.Object({ title: text });
const contactRole = Type.Object({
  sis_id: text,
  phone: text,
  phone_type: text,
  student_relationships: Type.Optional(
    Type.Union([
      Type.Array(
        Type.Object({
          student: Type.String({ minLength: 1 }),
          relationship: text,
          type: text,
        }),
      ),
      Type.Null(),
    ]),
  ),
});

export const cleverUserSchema = Type.Object({
  id,
  district: text,
  email: text,
  name: Type.Object({ first: text, middle: text, last: text }),
  roles: Type.Object({
    student: Type.Optional(studentRole),
    teacher: Type.Optional(teacherRole),
    staff: Type.Optional(staffRole),
    district_admin: Type.Optional(districtAdminRole),
    contact: Type.Optional(contactRole),
  }),
});
export type CleverUser = Static<typeof cleverUserSchema>;

/** A list response: `{data: [{data: {...}, uri}], links: [{rel, uri}]}`. */
export const cleverListSchema = Type.Object({
  data: Type.Array(Type.Object({ data: Type.Unknown(), uri: Type.Optional(Type.String()) })),
  links: Type.Optional(Type.Array(Type.Object({ rel: Type.String(), uri: Type.String() }))),
  /** With `count=true` (documented, semantics unverified): the size of the whole list. */
  count: Type.Optional(Type.Number()),
});
export type CleverList = Static<typeof cleverListSchema>;

/** A single-object response: `{data: {...}}`. */
export const cleverSingleSchema = Type.Object({ data: Type.Unknown() });

/** One entry of the Events API: `{id, type, created, data: {object, previous_attributes?}}`. */
export const cleverEventSchema = Type.Object({
  id,
  type: Type.String({ pattern: '^[a-z_]+\\.(created|updated|deleted)$' }),
  created: text,
  data: Type.Object({
    object: Type.Object({ id }),
    previous_attributes: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()])),
  }),
});
export type CleverEvent = Static<typeof cleverEventSchema>;

/** `GET /oauth/tokens?owner_type=district`. */
export const cleverTokensSchema = Type.Object({
  data: Type.Array(
    Type.Object({
      access_token: Type.String({ minLength: 1 }),
      owner: Type.Object({ type: Type.String(), id: Type.String() }),
    }),
  ),
});
export type CleverTokens = Static<typeof cleverTokensSchema>;

export interface FieldIssue {
  field: string;
  message: string;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; issues: FieldIssue[] };

/** A compiled check that says which field is wrong, not just that something is (or cannot be stored). */
export function checker<S extends TSchema>(schema: S): (value: unknown) => Checked<Static<S>> {
  const validator = Compile(schema);
  return (value) => {
    // What the database cannot store is checked first: a record of it could be staged nowhere.
    const unstorable = storageProblem(value);
    if (unstorable !== null) return { ok: false, issues: [unstorable] };
    if (validator.Check(value)) return { ok: true, value };
    const issues = schemaIssues(validator.Errors(value)).map((i) => ({
      field: i.path,
      message: i.path === '' ? i.message : `${i.path} ${i.message}`,
    }));
    return { ok: false, issues: issues.length > 0 ? issues : [{ field: '', message: 'is not valid' }] };
  };
}
