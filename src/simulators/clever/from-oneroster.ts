import type { DistrictSource, JsonObject, JsonValue } from '../district-source.js';
import { cleverId, type CleverDataset, type CleverObject } from './clever-dataset.js';

/*
 * A OneRoster district as the Clever objects a district SIS sync would produce from it. Clever
 * carries less than OneRoster, so some things are lost on the way, as they are in a real Clever
 * district: a section has one term (a class over several terms of one school year gets the
 * year), one grade and one subject from Clever's list; courses have no school or grades; terms
 * have no type; contacts have no username or school; only student and teacher enrollments exist
 * (sections list `students[]` and `teachers[]`); administrators and aides are staff.
 */

const CLEVER_GRADES: Readonly<Record<string, string>> = {
  IT: 'InfantToddler',
  PR: 'Preschool',
  PK: 'PreKindergarten',
  TK: 'TransitionalKindergarten',
  KG: 'Kindergarten',
  PS: 'PostGraduate',
  UG: 'Ungraded',
  Other: 'Other',
};

/** SCED subject areas (the generator's subject codes) to Clever's subject list. */
const SUBJECTS_BY_SCED: Readonly<Record<string, string>> = {
  '01': 'english/language arts',
  '02': 'math',
  '03': 'science',
  '04': 'social studies',
  '05': 'arts and music',
  '06': 'language',
  '08': 'PE and health',
  '10': 'technology and engineering',
};

const str = (o: JsonObject, key: string): string | null => {
  const v = o[key];
  return typeof v === 'string' && v !== '' ? v : null;
};

const strs = (o: JsonObject, key: string): string[] => {
  const v = o[key];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x !== '') : [];
};

const refId = (value: JsonValue | undefined): string | null => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const id = value.sourcedId;
  return typeof id === 'string' && id !== '' ? id : null;
};

const idOf = (o: JsonObject): string => str(o, 'sourcedId') ?? '';

const ref = (o: JsonObject, key: string): string | null => refId(o[key]);

const refs = (o: JsonObject, key: string): string[] => {
  const v = o[key];
  return Array.isArray(v) ? v.map(refId).filter((x): x is string => x !== null) : [];
};

export function cleverGrade(code: string | undefined): string {
  if (code === undefined) return '';
  if (/^\d{1,2}$/.test(code)) return String(Number(code));
  return CLEVER_GRADES[code] ?? 'Other';
}

function cleverSubject(cls: JsonObject): string {
  if (str(cls, 'classType') === 'homeroom') return 'homeroom/advisory';
  for (const code of strs(cls, 'subjectCodes')) {
    const subject = SUBJECTS_BY_SCED[code.slice(0, 2)];
    if (subject !== undefined) return subject;
  }
  return strs(cls, 'subjects').length > 0 ? 'other' : '';
}

/** OneRoster 1.2's finer administrator roles, as the 1.1 role this mapping knows. */
const ADMINISTRATOR_ROLES_1P2 = new Set([
  'districtAdministrator',
  'principal',
  'siteAdministrator',
  'systemAdministrator',
]);

/**
 * A OneRoster 1.2 user in the 1.1 shape this mapping reads: its primary role (the first role when
 * none is marked primary) as `role`, and the orgs of its roles as `orgs`.
 */
function asOneRoster11User(user: JsonObject): JsonObject {
  const roles = Array.isArray(user.roles) ? user.roles.filter(isObject) : [];
  const primary = roles.find((r) => r.roleType === 'primary') ?? roles[0];
  // One entry per org: a user may hold two roles at one school.
  const orgs = [
    ...new Map(
      roles
        .map((r) => r.org)
        .filter((org): org is JsonObject => isObject(org))
        .map((org) => [org.sourcedId, org] as const),
    ).values(),
  ];
  const role = typeof primary?.role === 'string' ? primary.role : null;
  return { ...user, role: role !== null && ADMINISTRATOR_ROLES_1P2.has(role) ? 'administrator' : role, orgs };
}

const isObject = (v: JsonValue | undefined): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function datasetFromOneRoster(source: DistrictSource): CleverDataset {
  const { orgs, academicSessions, courses, classes, enrollments } = source.collections;
  const users =
    source.version === '1.2' ? source.collections.users.map(asOneRoster11User) : source.collections.users;
  const districtOrg = orgs.find((o) => str(o, 'type') === 'district');
  const districtId = cleverId('district', districtOrg === undefined ? source.name : idOf(districtOrg));
  const stamps = (o: JsonObject) => ({
    created: str(o, 'dateLastModified') ?? '',
    last_modified: str(o, 'dateLastModified') ?? '',
  });
  const schoolIds = new Set(orgs.filter((o) => str(o, 'type') === 'school').map((o) => idOf(o)));
  const schoolRefs = (ids: string[]) =>
    ids.filter((id) => schoolIds.has(id)).map((id) => cleverId('school', id));

  const district: CleverObject = {
    id: districtId,
    name: districtOrg === undefined ? source.name : (str(districtOrg, 'name') ?? source.name),
    nces_id: districtOrg === undefined ? '' : (str(districtOrg, 'identifier') ?? ''),
    mdr_number: '',
    state: 'success',
    sis_type: 'sftp',
    login_methods: ['clever'],
  };

  const schools = orgs
    .filter((o) => str(o, 'type') === 'school')
    .map((o): CleverObject => ({
      id: cleverId('school', idOf(o)),
      district: districtId,
      name: str(o, 'name') ?? '',
      school_number: str(o, 'identifier') ?? '',
      sis_id: idOf(o),
      ...stamps(o),
    }));

  const sessionById = new Map(academicSessions.map((s) => [idOf(s), s]));
  const terms = academicSessions.map((s): CleverObject => ({
    id: cleverId('term', idOf(s)),
    district: districtId,
    name: str(s, 'title') ?? '',
    start_date: str(s, 'startDate') ?? '',
    end_date: str(s, 'endDate') ?? '',
  }));

  const courseObjects = courses.map((c): CleverObject => ({
    id: cleverId('course', idOf(c)),
    district: districtId,
    name: str(c, 'title') ?? '',
    number: str(c, 'courseCode') ?? '',
  }));

  /** One term per section: the only one, or the school year that all of them belong to. */
  const termOf = (cls: JsonObject): string => {
    const ids = refs(cls, 'terms');
    if (ids.length === 0) return '';
    if (ids.length > 1) {
      const parents = new Set(
        ids.map((id) => (sessionById.has(id) ? ref(sessionById.get(id)!, 'parent') : null)),
      );
      const [parent] = parents;
      if (parents.size === 1 && parent !== null && parent !== undefined && sessionById.has(parent)) {
        return cleverId('term', parent);
      }
    }
    return cleverId('term', ids[0]!);
  };

  const members = new Map<string, { students: string[]; teachers: string[]; primary: string | null }>();
  for (const e of enrollments) {
    const cls = ref(e, 'class');
    const user = ref(e, 'user');
    const role = str(e, 'role');
    if (cls === null || user === null || (role !== 'student' && role !== 'teacher')) continue;
    let entry = members.get(cls);
    if (entry === undefined) {
      entry = { students: [], teachers: [], primary: null };
      members.set(cls, entry);
    }
    const id = cleverId('user', user);
    if (role === 'student') entry.students.push(id);
    else {
      entry.teachers.push(id);
      if ((str(e, 'primary') ?? '').toLowerCase() === 'true' && entry.primary === null) entry.primary = id;
    }
  }

  const sections = classes.map((c): CleverObject => {
    const entry = members.get(idOf(c)) ?? { students: [], teachers: [], primary: null };
    const teachers =
      entry.primary === null
        ? entry.teachers
        : [entry.primary, ...entry.teachers.filter((t) => t !== entry.primary)];
    const school = ref(c, 'school');
    const course = ref(c, 'course');
    return {
      id: cleverId('section', idOf(c)),
      district: districtId,
      school: school === null ? '' : cleverId('school', school),
      course: course === null ? '' : cleverId('course', course),
      term_id: termOf(c),
      name: str(c, 'title') ?? '',
      section_number: str(c, 'classCode') ?? '',
      sis_id: idOf(c),
      period: strs(c, 'periods')[0] ?? '',
      grade: cleverGrade(strs(c, 'grades')[0]),
      subject: cleverSubject(c),
      ...(entry.primary === null ? {} : { teacher: entry.primary }),
      teachers,
      students: entry.students,
      ...stamps(c),
    };
  });

  const studentIds = new Set(users.filter((u) => str(u, 'role') === 'student').map((u) => idOf(u)));
  const cleverUsers = users.map((u): CleverObject => {
    const sourcedId = idOf(u);
    const role = str(u, 'role') ?? '';
    const schoolsOf = schoolRefs(refs(u, 'orgs'));
    const credentials = { district_username: str(u, 'username') ?? '' };
    const stateId = Array.isArray(u.userIds)
      ? u.userIds.find(
          (x): x is JsonObject =>
            typeof x === 'object' && x !== null && !Array.isArray(x) && x.type === 'SSID',
        )
      : undefined;
    let roles: Record<string, unknown>;
    switch (role) {
      case 'student':
        roles = {
          student: {
            sis_id: sourcedId,
            student_number: str(u, 'identifier') ?? '',
            state_id: stateId === undefined ? '' : (str(stateId, 'identifier') ?? ''),
            school: schoolsOf[0] ?? '',
            schools: schoolsOf,
            grade: cleverGrade(strs(u, 'grades')[0]),
            credentials,
            enrollments: [],
          },
        };
        break;
      case 'teacher':
        roles = {
          teacher: {
            sis_id: sourcedId,
            teacher_number: str(u, 'identifier') ?? '',
            school: schoolsOf[0] ?? '',
            schools: schoolsOf,
            credentials,
          },
        };
        break;
      case 'guardian':
      case 'parent':
      case 'relative': {
        const phone = str(u, 'phone') ?? str(u, 'sms');
        roles = {
          contact: {
            sis_id: sourcedId,
            phone: phone ?? '',
            phone_type: phone === null ? '' : str(u, 'sms') === phone ? 'Cell' : 'Home',
            student_relationships: refs(u, 'agents')
              .filter((id) => studentIds.has(id))
              .map((id) => ({
                student: cleverId('user', id),
                relationship: role === 'parent' ? 'Parent' : role === 'relative' ? 'Other' : '',
                type: role === 'relative' ? 'Family' : 'Parent/Guardian',
              })),
          },
        };
        break;
      }
      default:
        // administrator, aide, proctor: Clever's staff, their OneRoster role kept as a title; an
        // administrator of the district alone is also a district admin (Clever merges employee roles).
        roles = {
          ...(role === 'administrator' && schoolsOf.length === 0 && refs(u, 'orgs').length > 0
            ? { district_admin: { title: 'Administrator' } }
            : {}),
          staff: {
            staff_id: str(u, 'identifier') ?? '',
            title: role,
            schools: schoolsOf,
            credentials,
          },
        };
    }
    return {
      id: cleverId('user', sourcedId),
      district: districtId,
      email: str(u, 'email') ?? '',
      name: {
        first: str(u, 'givenName') ?? '',
        middle: str(u, 'middleName') ?? '',
        last: str(u, 'familyName') ?? '',
      },
      roles,
      ...stamps(u),
    };
  });

  return { district, schools, terms, courses: courseObjects, sections, users: cleverUsers };
}
