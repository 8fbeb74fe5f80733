/*
 * Enrollments stored column-wise in typed arrays. A million-student district has about six
 * million of them; as objects they would cost gigabytes and minutes of garbage collection, as
 * four columns they cost about 13 bytes each. Removing a row only flags it, so row positions stay
 * valid while a day's mutations run; clone() compacts.
 *
 * Ids are handed out in increasing order and rows are only ever appended, so the id column is
 * sorted and a sourcedId finds its row by binary search.
 */

export const ENROLLMENT_ROLES = ['student', 'teacher', 'administrator', 'proctor'] as const;
export type EnrollmentRole = (typeof ENROLLMENT_ROLES)[number];

const ROLE_MASK = 0b11;
const PRIMARY = 0b100;
const DELETED = 0b1000_0000;

/** Role and primary flag packed in one byte, as the table stores them. */
export function enrollmentKind(role: EnrollmentRole, primary: boolean): number {
  return ENROLLMENT_ROLES.indexOf(role) | (primary ? PRIMARY : 0);
}

export function kindRole(kind: number): EnrollmentRole {
  return ENROLLMENT_ROLES[kind & ROLE_MASK] as EnrollmentRole;
}

export function kindIsPrimary(kind: number): boolean {
  return (kind & PRIMARY) !== 0;
}

export class EnrollmentTable {
  /** Rows in use, deleted ones included. */
  length = 0;
  /** Rows not deleted. */
  live = 0;
  nextId: number;
  ids: Int32Array;
  classIndexes: Int32Array;
  userNumbers: Int32Array;
  kinds: Uint8Array;

  constructor(capacity = 1024, nextId = 1) {
    this.nextId = nextId;
    this.ids = new Int32Array(capacity);
    this.classIndexes = new Int32Array(capacity);
    this.userNumbers = new Int32Array(capacity);
    this.kinds = new Uint8Array(capacity);
  }

  /** Appends a row with a fresh id and returns that id. */
  append(classIndex: number, userNumber: number, kind: number): number {
    if (this.length === this.ids.length) this.grow(this.length * 2 + 1024);
    const row = this.length++;
    const id = this.nextId++;
    this.ids[row] = id;
    this.classIndexes[row] = classIndex;
    this.userNumbers[row] = userNumber;
    this.kinds[row] = kind & ~DELETED;
    this.live++;
    return id;
  }

  isDeleted(row: number): boolean {
    return ((this.kinds[row] as number) & DELETED) !== 0;
  }

  delete(row: number): void {
    if (this.isDeleted(row)) return;
    this.kinds[row] = (this.kinds[row] as number) | DELETED;
    this.live--;
  }

  /** The row holding enrollment `id`, or -1. */
  rowOf(id: number): number {
    let low = 0;
    let high = this.length - 1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      const at = this.ids[mid] as number;
      if (at === id) return this.isDeleted(mid) ? -1 : mid;
      if (at < id) low = mid + 1;
      else high = mid - 1;
    }
    return -1;
  }

  /** A compacted copy without the deleted rows, with room for the day's additions. */
  clone(): EnrollmentTable {
    const copy = new EnrollmentTable(this.live + Math.max(1024, this.live >>> 4), this.nextId);
    for (let row = 0; row < this.length; row++) {
      if (this.isDeleted(row)) continue;
      const to = copy.length++;
      copy.ids[to] = this.ids[row] as number;
      copy.classIndexes[to] = this.classIndexes[row] as number;
      copy.userNumbers[to] = this.userNumbers[row] as number;
      copy.kinds[to] = this.kinds[row] as number;
    }
    copy.live = copy.length;
    return copy;
  }

  private grow(capacity: number): void {
    const resize = <T extends Int32Array | Uint8Array>(from: T, to: T): T => {
      to.set(from.subarray(0, this.length));
      return to;
    };
    this.ids = resize(this.ids, new Int32Array(capacity));
    this.classIndexes = resize(this.classIndexes, new Int32Array(capacity));
    this.userNumbers = resize(this.userNumbers, new Int32Array(capacity));
    this.kinds = resize(this.kinds, new Uint8Array(capacity));
  }
}
