import type { EntityType } from './entity.js';

/*
 * The canonical shape of what a connector extracts, one interface per entity. Connectors map
 * provider formats (OneRoster CSV and REST, Clever) into these; the engine never sees a provider
 * format. References to other records are the provider's external ids; the engine resolves them.
 */

export interface SchoolRecord {
  name: string;
  identifier: string | null;
  /** OneRoster org type: school, district, department, local, state, national. */
  orgType: string;
  parentExternalId: string | null;
}

export interface TermRecord {
  title: string;
  /** schoolYear, semester, term or gradingPeriod. */
  termType: string;
  startDate: string | null;
  endDate: string | null;
  schoolYear: number | null;
  parentExternalId: string | null;
}

export interface CourseRecord {
  title: string;
  courseCode: string | null;
  grades: string[];
  subjects: string[];
  subjectCodes: string[];
  schoolExternalId: string | null;
  schoolYearExternalId: string | null;
}

export interface ClassRecord {
  title: string;
  classCode: string | null;
  /** homeroom or scheduled. */
  classType: string;
  location: string | null;
  grades: string[];
  subjects: string[];
  subjectCodes: string[];
  periods: string[];
  courseExternalId: string | null;
  schoolExternalId: string | null;
  termExternalIds: string[];
}

export interface UserRecord {
  /** Primary role: student, teacher, administrator, aide, guardian, parent, relative, proctor, staff, ... */
  role: string;
  /** Every role the record holds (Clever users hold several). */
  roles: string[];
  username: string | null;
  givenName: string;
  familyName: string;
  middleName: string | null;
  email: string | null;
  /** The SIS's human-facing id: student number, staff number. */
  identifier: string | null;
  sms: string | null;
  phone: string | null;
  grades: string[];
  schoolExternalIds: string[];
  userIds: { type: string; identifier: string }[];
  enabled: boolean;
  /** Guardians, parents, relatives of this user (OneRoster agents, Clever contacts). */
  agentExternalIds: string[];
  /*
   * OneRoster 1.2 only. Each is absent, never null, when the source has no value: a record from a
   * source without them (OneRoster 1.1, Clever) then serialises, and hashes, exactly as before
   * they existed, so adding them changed no stored record.
   */
  /** The names the person goes by (1.2 CSV preferredGivenName..., REST preferredFirstName...). */
  preferredGivenName?: string;
  preferredMiddleName?: string;
  preferredFamilyName?: string;
  pronouns?: string;
  /** 1.2 `userMasterIdentifier`: the id that reconciles one person's accounts across systems. */
  masterIdentifier?: string;
  /** The org the source calls the user's primary one (1.2 `primaryOrgSourcedId` / `primaryOrg`). */
  primarySchoolExternalId?: string;
}

export interface EnrollmentRecord {
  classExternalId: string;
  userExternalId: string;
  schoolExternalId: string | null;
  /** student, teacher, administrator or proctor. */
  role: string;
  isPrimary: boolean;
  beginDate: string | null;
  endDate: string | null;
}

export interface EntityRecordMap {
  schools: SchoolRecord;
  terms: TermRecord;
  courses: CourseRecord;
  classes: ClassRecord;
  users: UserRecord;
  enrollments: EnrollmentRecord;
}

/** Where a record came from, to point an admin at it. */
export interface RecordSource {
  /** File name (CSV) or request path (API). */
  file?: string;
  line?: number;
  page?: string;
}

/** One record as a connector yields it: mapped, validated, with its provider id. */
export interface ExtractedRecord<E extends EntityType = EntityType> {
  externalId: string;
  /** A delta tombstone: the provider says the record is gone. */
  deleted: boolean;
  data: EntityRecordMap[E];
  /** The provider's own record, credentials removed, for the staging tables. */
  raw: Record<string, unknown> | null;
  source: RecordSource;
}

/**
 * A record the connector could not take (with an external id, it still counts as present, so
 * it is not deactivated), or a warning about the source that stops nothing.
 */
export interface RecordError {
  externalId: string | null;
  field: string | null;
  code: string;
  message: string;
  source: RecordSource;
  /** `warning`: reported, but the run still counts as clean. Default `error`. */
  severity?: 'error' | 'warning';
}
