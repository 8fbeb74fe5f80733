/*
 * A plain in-memory reference model of the sync rules of design.md section 3, for the
 * model-based engine test: given the roster a provider has built so far and the next OneRoster
 * snapshot, what the run reports and what the roster becomes. No SQL, no engine code: when the
 * engine and this model disagree, one of them misreads the design.
 *
 * Canonical records carry symbolic ids ("R1", "R2", ...); `viewOf` names each one by the sorted
 * external ids linked to it, which is also how the test names the database's rows.
 */

export const ENTITIES = ['schools', 'terms', 'courses', 'classes', 'users', 'enrollments'] as const;
export type Entity = (typeof ENTITIES)[number];

/* ---------- a snapshot, as the CSV files would hold it (values before the reader trims them) ---------- */

export interface SchoolRow {
  orgType: 'district' | 'school';
  name: string;
  identifier: string;
  parent: string;
}
export interface TermRow {
  termType: 'schoolYear' | 'semester';
  title: string;
  parent: string;
}
export interface CourseRow {
  title: string;
  courseCode: string;
  school: string;
}
export interface ClassRow {
  title: string;
  course: string;
  school: string;
  terms: string[];
}
export interface UserRow {
  role: 'student' | 'teacher';
  username: string;
  givenName: string;
  familyName: string;
  email: string;
  identifier: string;
  schools: string[];
}
export interface EnrollmentRow {
  classId: string;
  userId: string;
  school: string;
  role: 'student' | 'teacher';
}
export interface RowMap {
  schools: SchoolRow;
  terms: TermRow;
  courses: CourseRow;
  classes: ClassRow;
  users: UserRow;
  enrollments: EnrollmentRow;
}

/**
 * One data line of a file: a record; a record the connector rejects (`problems` required fields
 * blanked, one error each; it still counts as present); or a `tobedeleted` row.
 */
export type Line<E extends Entity> =
  | { kind: 'record'; id: string; row: RowMap[E] }
  | { kind: 'bad'; id: string; row: RowMap[E]; problems: 1 | 2 }
  | { kind: 'tombstone'; id: string };

/** `complete` with no lines is a header-only file; `truncated` ends in an unclosed quote after its lines. */
export type FileSpec<E extends Entity> =
  { state: 'absent' } | { state: 'complete' | 'truncated'; lines: Line<E>[] };

export type Snapshot = { [E in Entity]: FileSpec<E> };

/* ---------- the roster ---------- */

export type MatchedBy = 'created' | 'email' | 'student_number';

export interface Link {
  target: string;
  active: boolean;
  matchedBy: MatchedBy;
  hash: string;
}

/** Canonical fields as the tables hold them; references are symbolic ids (or null). */
export interface FieldMap {
  schools: { name: string; identifier: string | null; orgType: string; parent: string | null };
  terms: { title: string; termType: string; parent: string | null };
  courses: { title: string; courseCode: string | null; school: string | null };
  classes: { title: string; course: string | null; school: string | null; terms: string[] };
  users: {
    role: string;
    username: string;
    givenName: string;
    familyName: string;
    email: string | null;
    identifier: string | null;
    schools: string[];
  };
  enrollments: { classId: string | null; userId: string | null; school: string | null; role: string };
}

export interface CanonicalRecord<E extends Entity> {
  active: boolean;
  fields: FieldMap[E];
}

export interface RosterState {
  links: { [E in Entity]: Record<string, Link> };
  records: { [E in Entity]: Record<string, CanonicalRecord<E>> };
  nextId: number;
}

export function emptyRoster(): RosterState {
  return {
    links: { schools: {}, terms: {}, courses: {}, classes: {}, users: {}, enrollments: {} },
    records: { schools: {}, terms: {}, courses: {}, classes: {}, users: {}, enrollments: {} },
    nextId: 1,
  };
}

export interface EntityStats {
  created: number;
  updated: number;
  unchanged: number;
  deactivated: number;
  reactivated: number;
  errors: number;
}

export interface RunPrediction {
  /** What the run ends in once applied (a held run ends so after approval). */
  status: 'SUCCESS' | 'PARTIAL' | 'FAILURE';
  /** Some entity would lose more than the threshold: nothing applied until approved. */
  held: boolean;
  stats: Partial<Record<Entity, EntityStats>>;
  incomplete: Entity[];
  /** The roster once applied. */
  next: RosterState;
}

/* ---------- references (design: a dangling required reference makes the record invalid) ---------- */

interface Reference<E extends Entity> {
  target: Entity;
  required: boolean;
  ids(row: RowMap[E]): string[];
  /** A list reference is broken only when none of its ids resolves. */
  list: boolean;
}

const nonEmpty = (v: string) => (v.trim() === '' ? [] : [v.trim()]);

const REFERENCES: { [E in Entity]: Reference<E>[] } = {
  schools: [{ target: 'schools', required: false, list: false, ids: (r) => nonEmpty(r.parent) }],
  terms: [{ target: 'terms', required: false, list: false, ids: (r) => nonEmpty(r.parent) }],
  courses: [{ target: 'schools', required: true, list: false, ids: (r) => nonEmpty(r.school) }],
  classes: [
    { target: 'courses', required: true, list: false, ids: (r) => nonEmpty(r.course) },
    { target: 'schools', required: true, list: false, ids: (r) => nonEmpty(r.school) },
    { target: 'terms', required: true, list: true, ids: (r) => r.terms.flatMap(nonEmpty) },
  ],
  users: [{ target: 'schools', required: true, list: true, ids: (r) => r.schools.flatMap(nonEmpty) }],
  enrollments: [
    { target: 'classes', required: true, list: false, ids: (r) => nonEmpty(r.classId) },
    { target: 'users', required: true, list: false, ids: (r) => nonEmpty(r.userId) },
    { target: 'schools', required: false, list: false, ids: (r) => nonEmpty(r.school) },
  ],
};

/* ---------- what the connector makes of a row (trimmed text, empty = null) ---------- */

const opt = (v: string): string | null => (v.trim() === '' ? null : v.trim());

/** The mapped record's content: equal content, equal hash, whatever the raw spelling was. */
function contentOf<E extends Entity>(entity: E, row: RowMap[E]): string {
  return JSON.stringify(normalized(entity, row));
}

function normalized<E extends Entity>(entity: E, row: RowMap[E]): unknown {
  if (entity === 'users') {
    const u = row as UserRow;
    return [
      u.role,
      u.username.trim(),
      u.givenName.trim(),
      u.familyName.trim(),
      opt(u.email),
      opt(u.identifier),
      u.schools.flatMap(nonEmpty),
    ];
  }
  return Object.values(row).map((v: unknown) =>
    typeof v === 'string' ? v.trim() : Array.isArray(v) ? (v as string[]).flatMap(nonEmpty) : v,
  );
}

/* ---------- one run ---------- */

interface Staged<E extends Entity> {
  id: string;
  line: Line<E>;
  invalid: boolean;
  matched?: { target: string; rule: 'email' | 'student_number' };
}

interface EntityPull<E extends Entity> {
  rows: Staged<E>[];
  incomplete: boolean;
  errors: number;
}

type Pulls = { [E in Entity]?: EntityPull<E> };

const clone = <T>(v: T): T => structuredClone(v);

/**
 * Predicts one run of `snapshot` over `state`. `maxRatio`: the provider's deactivation threshold
 * (null: never hold).
 */
export function predictRun(state: RosterState, snapshot: Snapshot, maxRatio: number | null): RunPrediction {
  const pulls: Pulls = {};
  // Extract and stage.
  for (const entity of ENTITIES) {
    const file = snapshot[entity] as FileSpec<Entity>;
    if (file.state === 'absent') continue;
    const rows: Staged<Entity>[] = file.lines.map((line) => ({
      id: line.id,
      line,
      invalid: line.kind === 'bad',
    }));
    let errors = rows.reduce((n, r) => n + (r.line.kind === 'bad' ? r.line.problems : 0), 0);
    let incomplete = file.state === 'truncated';
    if (incomplete) errors += 1;
    // An empty snapshot where this provider has active records is taken as a broken export.
    if (!incomplete && rows.length === 0 && activeLinks(state, entity) > 0) {
      incomplete = true;
      errors += 1;
    }
    setPull(pulls, entity, { rows, incomplete, errors });
  }
  const pulled = ENTITIES.filter((e) => pulls[e] !== undefined);
  const complete = (e: Entity) => pulls[e] !== undefined && !pulls[e].incomplete;

  // Prepare, entity by entity in load order, against the roster as it was before the run.
  for (const entity of pulled) {
    const pull = pulls[entity] as EntityPull<Entity>;
    const live = pull.rows.filter((r) => r.line.kind !== 'tombstone');
    const counts = countBy(live.map((r) => r.id));
    for (const r of live) {
      if ((counts.get(r.id) ?? 0) < 2) continue;
      if (!r.invalid) pull.errors += 1;
      r.invalid = true;
    }
    for (const reference of REFERENCES[entity] as Reference<Entity>[]) {
      if (!reference.required) continue; // an optional reference that dangles is only a warning
      for (const r of live) {
        if (r.invalid || r.line.kind === 'tombstone') continue;
        const ids = reference.ids(r.line.row);
        const missing = ids.filter((id) => !resolvable(state, pulls, complete, reference.target, id));
        if (missing.length > 0 && missing.length === ids.length) {
          r.invalid = true;
          pull.errors += 1;
        }
      }
    }
    if (entity === 'users') pull.errors += matchUsers(state, pull as EntityPull<'users'>);
  }

  // Load, in one transaction; the threshold is checked on what each entity would lose.
  const next = clone(state);
  const stats: Partial<Record<Entity, EntityStats>> = {};
  let held = false;
  for (const entity of pulled) {
    const pull = pulls[entity] as EntityPull<Entity>;
    const result = loadEntity(next, entity, pull, complete(entity));
    stats[entity] = { ...result.stats, errors: pull.errors };
    const ratio = result.activeBefore === 0 ? 0 : result.removing / result.activeBefore;
    if (maxRatio !== null && ratio > maxRatio) held = true;
  }
  const incomplete = pulled.filter((e) => pulls[e]?.incomplete === true);
  const errorCount = pulled.reduce((n, e) => n + (pulls[e]?.errors ?? 0), 0);
  const status =
    pulled.length > 0 && incomplete.length === pulled.length
      ? 'FAILURE'
      : errorCount > 0 || incomplete.length > 0
        ? 'PARTIAL'
        : 'SUCCESS';
  if (status === 'FAILURE') {
    // Nothing of such a pull is trusted: the roster stays as it was, the stats count only errors.
    const zero = { created: 0, updated: 0, unchanged: 0, deactivated: 0, reactivated: 0 };
    const failed: Partial<Record<Entity, EntityStats>> = {};
    for (const entity of pulled) failed[entity] = { ...zero, errors: pulls[entity]?.errors ?? 0 };
    return { status, held: false, stats: failed, incomplete, next: state };
  }
  return { status, held, stats, incomplete, next };
}

function setPull<E extends Entity>(pulls: Pulls, entity: E, pull: EntityPull<Entity>): void {
  (pulls as Record<Entity, EntityPull<Entity>>)[entity] = pull;
}

function countBy(values: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}

function activeLinks(state: RosterState, entity: Entity): number {
  return Object.values(state.links[entity]).filter((l) => l.active).length;
}

/**
 * A reference resolves to a valid record of this pull, or to a record known from earlier syncs
 * that this pull does not take away (no tombstone; present, if its entity is a complete snapshot).
 */
function resolvable(
  state: RosterState,
  pulls: Pulls,
  complete: (e: Entity) => boolean,
  target: Entity,
  id: string,
): boolean {
  const rows = pulls[target]?.rows ?? [];
  if (rows.some((r) => r.id === id && r.line.kind !== 'tombstone' && !r.invalid)) return true;
  if (state.links[target][id]?.active !== true) return false;
  // An incomplete pull takes nothing away, not even what it tombstones.
  if (pulls[target]?.incomplete !== true && rows.some((r) => r.id === id && r.line.kind === 'tombstone')) {
    return false;
  }
  return !complete(target) || rows.some((r) => r.id === id && r.line.kind !== 'tombstone');
}

/**
 * Design matching for records with no link from this provider: email (trimmed, any case), then
 * student number for students. More than one candidate, a candidate another present record of this
 * provider stands for, or two records of this pull wanting the same one: an error, not a merge.
 * Returns the number of errors.
 *
 * Re-running the same data changes nothing, so users are matched as this pull leaves them: a user
 * that one valid record of this pull is linked to (active or not) has that record's email, student
 * number and role. A user with no such record, or two (both refused below), keeps its own values.
 */
function matchUsers(state: RosterState, pull: EntityPull<'users'>): number {
  const linkedRows = new Map<string, UserRow[]>();
  for (const r of pull.rows) {
    const link = state.links.users[r.id];
    if (link === undefined || r.invalid || r.line.kind !== 'record') continue;
    linkedRows.set(link.target, [...(linkedRows.get(link.target) ?? []), r.line.row]);
  }
  const pulled = new Map<string, UserRow>();
  for (const [target, rows] of linkedRows) if (rows.length === 1) pulled.set(target, rows[0] as UserRow);
  const users = Object.entries(state.records.users).map(
    ([id, u]): [string, { email: string | null; identifier: string | null; role: string }] => {
      const row = pulled.get(id);
      return [
        id,
        row === undefined
          ? u.fields
          : { email: opt(row.email), identifier: opt(row.identifier), role: row.role },
      ];
    },
  );
  // A record of this provider stands for its user unless this run takes it away: absent from, or
  // tombstoned in, a complete snapshot (an incomplete pull takes nothing away).
  const present = new Set(pull.rows.filter((r) => r.line.kind !== 'tombstone').map((r) => r.id));
  const stillStands = (externalId: string) => pull.incomplete === true || present.has(externalId);
  const wanting: { row: Staged<'users'>; candidates: string[]; rule: 'email' | 'student_number' }[] = [];
  for (const r of pull.rows) {
    if (r.invalid || r.line.kind !== 'record' || state.links.users[r.id] !== undefined) continue;
    const row = r.line.row;
    const email = row.email.trim().toLowerCase();
    const byEmail =
      email === '' ? [] : users.filter(([, u]) => u.email?.trim().toLowerCase() === email).map(([id]) => id);
    const number = row.identifier.trim();
    const byNumber =
      byEmail.length > 0 || row.role !== 'student' || number === ''
        ? []
        : users.filter(([, u]) => u.role === 'student' && u.identifier === number).map(([id]) => id);
    if (byEmail.length > 0) wanting.push({ row: r, candidates: byEmail, rule: 'email' });
    else if (byNumber.length > 0) wanting.push({ row: r, candidates: byNumber, rule: 'student_number' });
  }
  let errors = 0;
  for (const w of wanting) {
    const [candidate] = w.candidates;
    const standing = Object.entries(state.links.users).some(
      ([externalId, l]) => l.active && l.target === candidate && stillStands(externalId),
    );
    const rivals = wanting.filter((o) => o.candidates.length === 1 && o.candidates[0] === candidate).length;
    if (candidate === undefined || w.candidates.length > 1 || standing || rivals > 1) {
      w.row.invalid = true;
      errors += 1;
    } else {
      w.row.matched = { target: candidate, rule: w.rule };
    }
  }
  return errors + flagSharedUsers(state, pull);
}

/**
 * Never a silent merge: two valid records of one pull that would write one user (a record back to
 * the user another record has been matched to meanwhile, or a match to a user whose own record is
 * back) are errors. Records linked to a user are all flagged when more than one is; a matched
 * record is flagged when any present record is linked to its user.
 */
function flagSharedUsers(state: RosterState, pull: EntityPull<'users'>): number {
  const targets = pull.rows
    .filter((r) => !r.invalid && r.line.kind === 'record')
    .map((r) => ({
      row: r,
      linked: state.links.users[r.id] !== undefined,
      user: state.links.users[r.id]?.target ?? r.matched?.target,
    }));
  let errors = 0;
  for (const t of targets) {
    if (t.user === undefined) continue;
    const linked = targets.filter((o) => o.linked && o.user === t.user).length;
    if ((t.linked && linked > 1) || (!t.linked && linked > 0)) {
      errors += 1;
      t.row.invalid = true;
      delete t.row.matched;
    }
  }
  return errors;
}

interface LoadResult {
  stats: Omit<EntityStats, 'errors'>;
  activeBefore: number;
  removing: number;
}

function loadEntity<E extends Entity>(
  state: RosterState,
  entity: E,
  pull: EntityPull<E>,
  complete: boolean,
): LoadResult {
  const links = state.links[entity] as Record<string, Link>;
  const records = state.records[entity] as Record<string, CanonicalRecord<E>>;
  const activeBefore = Object.values(links).filter((l) => l.active).length;
  const stats = { created: 0, updated: 0, unchanged: 0, deactivated: 0, reactivated: 0 };
  const written: { id: string; target: string; row: RowMap[E] }[] = [];
  const targets = new Map<string, string>();
  const movedFrom: string[] = [];
  for (const r of pull.rows) {
    if (r.invalid || r.line.kind !== 'record') continue;
    const link = links[r.id];
    const hash = contentOf(entity, r.line.row);
    let target = link?.target ?? r.matched?.target ?? `R${state.nextId++}`;
    const record = records[target];
    let kind: keyof typeof stats =
      record === undefined
        ? 'created'
        : !record.active || (link !== undefined && !link.active)
          ? 'reactivated'
          : link === undefined || link.hash !== hash
            ? 'updated'
            : 'unchanged';
    // An enrollment written with another class or user is a new record; the old one goes below.
    if (
      record !== undefined &&
      (kind === 'updated' || kind === 'reactivated') &&
      movesRecord(state, entity, r.line.row, record)
    ) {
      movedFrom.push(target);
      target = `R${state.nextId++}`;
      kind = 'created';
    }
    stats[kind] += 1;
    if (kind === 'unchanged') continue;
    const other = targets.get(target);
    if (other !== undefined) {
      // Which of two records wins a canonical row is then up to the database: not a rule to model.
      throw new Error(`model: ${entity} ${other} and ${r.id} of one pull both write ${target}`);
    }
    targets.set(target, r.id);
    written.push({ id: r.id, target, row: r.line.row });
    links[r.id] = { target, active: true, matchedBy: link?.matchedBy ?? r.matched?.rule ?? 'created', hash };
  }
  // Fields are written once this entity's links exist (a parent in the same pull resolves).
  for (const w of written) records[w.target] = { active: true, fields: fieldsOf(state, entity, w.row) };

  let removing = 0;
  // Only a complete snapshot takes anything away: what it lacks, and what it marks tobedeleted.
  if (complete) {
    const present = new Set(pull.rows.filter((r) => r.line.kind !== 'tombstone').map((r) => r.id));
    const tombstoned = new Set(pull.rows.filter((r) => r.line.kind === 'tombstone').map((r) => r.id));
    const gone: Link[] = [];
    for (const [id, link] of Object.entries(links)) {
      if (!link.active || (present.has(id) && !tombstoned.has(id))) continue;
      link.active = false;
      gone.push(link);
    }
    removing = gone.length;
    for (const link of gone) {
      const record = records[link.target];
      if (record?.active !== true) continue;
      if (Object.values(links).some((l) => l.active && l.target === link.target)) continue;
      record.active = false;
      stats.deactivated += 1;
    }
  }
  // What a moved record was: gone unless some link still stands for it; not a removal.
  for (const old of movedFrom) {
    const record = records[old];
    if (record?.active !== true) continue;
    if (Object.values(links).some((l) => l.active && l.target === old)) continue;
    record.active = false;
    stats.deactivated += 1;
  }
  return { stats, activeBefore, removing };
}

/** Whether writing `row` over `record` changes which record it is (an enrollment's class or user). */
function movesRecord<E extends Entity>(
  state: RosterState,
  entity: E,
  row: RowMap[E],
  record: CanonicalRecord<E>,
): boolean {
  if (entity !== 'enrollments') return false;
  const next = fieldsOf(state, 'enrollments', row as EnrollmentRow);
  const before = record.fields as FieldMap['enrollments'];
  return next.classId !== before.classId || next.userId !== before.userId;
}

function ref(state: RosterState, target: Entity, id: string): string | null {
  const link = state.links[target][id.trim()];
  return link?.active === true ? link.target : null;
}

const refs = (state: RosterState, target: Entity, ids: string[]) =>
  ids.flatMap(nonEmpty).flatMap((id) => {
    const r = ref(state, target, id);
    return r === null ? [] : [r];
  });

function fieldsOf<E extends Entity>(state: RosterState, entity: E, row: RowMap[E]): FieldMap[E] {
  const r = row;
  const fields = ((): FieldMap[Entity] => {
    switch (entity) {
      case 'schools': {
        const s = r as SchoolRow;
        return {
          name: s.name.trim(),
          identifier: opt(s.identifier),
          orgType: s.orgType,
          parent: ref(state, 'schools', s.parent),
        };
      }
      case 'terms': {
        const t = r as TermRow;
        return { title: t.title.trim(), termType: t.termType, parent: ref(state, 'terms', t.parent) };
      }
      case 'courses': {
        const c = r as CourseRow;
        return {
          title: c.title.trim(),
          courseCode: opt(c.courseCode),
          school: ref(state, 'schools', c.school),
        };
      }
      case 'classes': {
        const k = r as ClassRow;
        return {
          title: k.title.trim(),
          course: ref(state, 'courses', k.course),
          school: ref(state, 'schools', k.school),
          terms: refs(state, 'terms', k.terms),
        };
      }
      case 'users': {
        const u = r as UserRow;
        return {
          role: u.role,
          username: u.username.trim(),
          givenName: u.givenName.trim(),
          familyName: u.familyName.trim(),
          email: opt(u.email),
          identifier: opt(u.identifier),
          schools: refs(state, 'schools', u.schools),
        };
      }
      case 'enrollments': {
        const e = r as EnrollmentRow;
        return {
          classId: ref(state, 'classes', e.classId),
          userId: ref(state, 'users', e.userId),
          school: ref(state, 'schools', e.school),
          role: e.role,
        };
      }
    }
  })();
  return fields as FieldMap[E];
}

/* ---------- a comparable view (the test builds the same from the database) ---------- */

export interface LinkView {
  entity: Entity;
  externalId: string;
  target: string;
  active: boolean;
  matchedBy: MatchedBy;
}

export interface RecordView {
  key: string;
  active: boolean;
  fields: Record<string, unknown>;
}

export interface RosterView {
  links: LinkView[];
  records: Record<Entity, RecordView[]>;
}

/** Names a canonical record by the external ids linked to it: stable across model and database. */
export function keysOf(links: { entity: Entity; externalId: string; target: string }[]): Map<string, string> {
  const ids = new Map<string, string[]>();
  for (const l of links) {
    const k = `${l.entity}:${l.target}`;
    ids.set(k, [...(ids.get(k) ?? []), l.externalId]);
  }
  return new Map([...ids].map(([k, v]) => [k, v.sort().join('+')]));
}

/** Reference fields of each entity and the entity they point into. */
export const REFERENCE_FIELDS: { [E in Entity]: Partial<Record<keyof FieldMap[E], Entity>> } = {
  schools: { parent: 'schools' },
  terms: { parent: 'terms' },
  courses: { school: 'schools' },
  classes: { course: 'courses', school: 'schools', terms: 'terms' },
  users: { schools: 'schools' },
  enrollments: { classId: 'classes', userId: 'users', school: 'schools' },
};

/** Sorted links and records, references named by key. `records` carries raw ids and raw reference values. */
export function buildView(
  links: LinkView[],
  records: { [E in Entity]: { id: string; active: boolean; fields: Record<string, unknown> }[] },
): RosterView {
  const keys = keysOf(links);
  // A record no link names (an enrollment moved away from) has no id both sides share: such
  // records are told apart by their values only.
  const keyOf = (entity: Entity, id: string) => keys.get(`${entity}:${id}`) ?? 'unlinked';
  const out = {} as Record<Entity, RecordView[]>;
  for (const entity of ENTITIES) {
    const refFields = REFERENCE_FIELDS[entity] as Record<string, Entity | undefined>;
    out[entity] = records[entity]
      .map((r) => {
        const fields: Record<string, unknown> = {};
        for (const [name, value] of Object.entries(r.fields)) {
          const target = refFields[name];
          fields[name] =
            target === undefined || value === null
              ? value
              : Array.isArray(value)
                ? (value as string[]).map((v) => keyOf(target, v))
                : keyOf(target, value as string);
        }
        return { key: keyOf(entity, r.id), active: r.active, fields };
      })
      .sort((a, b) => a.key.localeCompare(b.key) || JSON.stringify(a).localeCompare(JSON.stringify(b)));
  }
  return {
    links: links
      .map((l) => ({ ...l, target: keyOf(l.entity, l.target) }))
      .sort((a, b) => `${a.entity}:${a.externalId}`.localeCompare(`${b.entity}:${b.externalId}`)),
    records: out,
  };
}

export function viewOf(state: RosterState): RosterView {
  const links: LinkView[] = ENTITIES.flatMap((entity) =>
    Object.entries(state.links[entity]).map(([externalId, l]) => ({
      entity,
      externalId,
      target: l.target,
      active: l.active,
      matchedBy: l.matchedBy,
    })),
  );
  const records = {} as { [E in Entity]: { id: string; active: boolean; fields: Record<string, unknown> }[] };
  for (const entity of ENTITIES) {
    records[entity] = Object.entries(state.records[entity] as Record<string, CanonicalRecord<Entity>>).map(
      ([id, r]) => ({ id, active: r.active, fields: { ...r.fields } }),
    );
  }
  return buildView(links, records);
}
