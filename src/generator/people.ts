import type { Grade } from './catalog.js';
import { formatUserId, type District, type User, type UserRole } from './model.js';
import { FAMILY_NAMES, GIVEN_NAMES, MIDDLE_NAMES, slugifyName } from './names.js';
import type { Random } from './random.js';

/*
 * Builders for synthetic people. A district's accounts follow one convention
 * (first.last<n>@district-domain, the local part doubling as username); guardians use personal
 * addresses at reserved example domains, so nothing generated can reach a real mailbox.
 */

const PERSONAL_DOMAINS = ['example.com', 'example.net', 'example.org'] as const;
const EMPTY: readonly never[] = Object.freeze([]);

/** Share of accounts that exist but cannot sign in (OneRoster `enabledUser=false`). */
const DISABLED_SHARE = 0.01;

export interface PersonName {
  givenName: string;
  familyName: string;
  middleName: string | null;
}

export function randomName(rng: Random, familyName?: string): PersonName {
  return {
    givenName: rng.pick(GIVEN_NAMES),
    familyName: familyName ?? rng.pick(FAMILY_NAMES),
    middleName: rng.chance(0.4) ? rng.pick(MIDDLE_NAMES) : null,
  };
}

// Names repeat endlessly (they come from short lists), and Unicode normalisation is not cheap.
const slugs = new Map<string, string>();
function slug(name: string): string {
  let value = slugs.get(name);
  if (value === undefined) {
    value = slugifyName(name);
    if (slugs.size < 10_000) slugs.set(name, value);
  }
  return value;
}

/**
 * A new address for a name, unique within the district because the counter for its stem only
 * grows (dropped users keep theirs, so a reappearing user never collides).
 */
export function makeEmail(district: District, name: PersonName, domain: string): string {
  const stem = `${slug(name.givenName)}.${slug(name.familyName)}`;
  const key = `${stem}@${domain}`;
  const n = (district.emailCounters.get(key) ?? 0) + 1;
  district.emailCounters.set(key, n);
  return `${stem}${n}@${domain}`;
}

export function randomPhone(district: District, rng: Random): string {
  // 555-0100..0199 is the range set aside for fiction.
  return `${district.areaCode}-555-01${String(rng.int(100)).padStart(2, '0')}`;
}

/** Takes the next user number and leaves its slot empty until the record is built. */
export function reserveUserNumber(district: District): number {
  district.users.push(undefined);
  return district.users.length;
}

export function studentStateId(district: District, studentNumber: number): string {
  // Multiplying by a prime coprime to 10 is a bijection mod 10^10: distinct and not sequential.
  const id = (studentNumber * 7919 + district.counters.stateIdOffset) % 1e10;
  return String(id).padStart(10, '0');
}

export interface StudentSpec {
  grade: Grade;
  orgSourcedIds: readonly string[];
  familyName?: string;
  agentSourcedIds?: readonly string[];
  /** Overrides the generated address (duplicate-email scenarios). */
  email?: string;
}

export function buildStudent(district: District, rng: Random, number: number, spec: StudentSpec): User {
  const name = randomName(rng, spec.familyName);
  const generated = makeEmail(district, name, district.domain);
  const studentNumber = district.counters.nextStudentNumber++;
  return {
    sourcedId: formatUserId(number),
    enabledUser: !rng.chance(DISABLED_SHARE),
    orgSourcedIds: spec.orgSourcedIds,
    role: 'student',
    username: generated.slice(0, generated.indexOf('@')),
    ...name,
    identifier: String(studentNumber).padStart(7, '0'),
    email: spec.email ?? generated,
    sms: null,
    phone: null,
    agentSourcedIds: spec.agentSourcedIds ?? EMPTY,
    grades: [spec.grade],
    stateId: studentStateId(district, studentNumber),
  };
}

export function buildStaff(
  district: District,
  rng: Random,
  number: number,
  role: Extract<UserRole, 'teacher' | 'administrator' | 'aide'>,
  orgSourcedIds: readonly string[],
): User {
  const name = randomName(rng);
  const email = makeEmail(district, name, district.domain);
  return {
    sourcedId: formatUserId(number),
    enabledUser: !rng.chance(DISABLED_SHARE),
    orgSourcedIds,
    role,
    username: email.slice(0, email.indexOf('@')),
    ...name,
    identifier: `E${String(district.counters.nextStaffNumber++).padStart(6, '0')}`,
    email,
    sms: null,
    phone: rng.chance(0.5) ? randomPhone(district, rng) : null,
    agentSourcedIds: EMPTY,
    grades: EMPTY,
    stateId: null,
  };
}

export function buildGuardian(
  district: District,
  rng: Random,
  number: number,
  spec: { familyName: string; orgSourcedIds: readonly string[]; childSourcedIds: readonly string[] },
): User {
  const name = randomName(rng, spec.familyName);
  const email = makeEmail(district, name, rng.pick(PERSONAL_DOMAINS));
  const phone = randomPhone(district, rng);
  return {
    sourcedId: formatUserId(number),
    enabledUser: true,
    orgSourcedIds: spec.orgSourcedIds,
    role: rng.chance(0.8) ? 'parent' : 'guardian',
    // Parent portals sign in with the email address.
    username: email,
    ...name,
    identifier: null,
    email,
    sms: phone,
    phone,
    agentSourcedIds: spec.childSourcedIds,
    grades: EMPTY,
    stateId: null,
  };
}

/**
 * Gives a student guardians: a new family (one or two adults) or, now and then, an existing
 * family, which makes siblings share guardians. Guardian records are built at the end, once
 * every child is known; until then their numbers are reserved.
 */
export interface Family {
  familyName: string;
  orgSourcedIds: readonly string[];
  guardianNumbers: number[];
  guardianSourcedIds: string[];
  childSourcedIds: string[];
}

export const GUARDIAN_SHARES = { newFamily: 0.6, sibling: 0.12, maxChildren: 5 } as const;

export function newFamily(
  district: District,
  rng: Random,
  familyName: string,
  orgSourcedIds: readonly string[],
): Family {
  const count = rng.chance(0.65) ? 2 : 1;
  const guardianNumbers = Array.from({ length: count }, () => reserveUserNumber(district));
  return {
    familyName,
    orgSourcedIds,
    guardianNumbers,
    guardianSourcedIds: guardianNumbers.map(formatUserId),
    childSourcedIds: [],
  };
}

/** Builds the guardians of families whose children are all known. */
export function buildFamilyGuardians(district: District, rng: Random, families: readonly Family[]): void {
  for (const family of families) {
    family.guardianNumbers.forEach((number, k) => {
      // A second adult often has another family name.
      const familyName = k === 0 || rng.chance(0.7) ? family.familyName : rng.pick(FAMILY_NAMES);
      district.users[number - 1] = buildGuardian(district, rng, number, {
        familyName,
        orgSourcedIds: family.orgSourcedIds,
        childSourcedIds: family.childSourcedIds,
      });
    });
  }
}
