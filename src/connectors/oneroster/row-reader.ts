import type { RecordSource } from '../../domain/records.js';
import { parseBoolean, parseDate, parseEnum, parseList, parseYear, present, type Parsed } from './values.js';

/** One OneRoster record as either transport delivers it: scalar fields as text, lists as arrays or text. */
export type OneRosterRow = Readonly<Record<string, string | string[] | undefined>>;

/** The OneRoster versions sis-sync reads. */
export type OneRosterVersion = '1.1' | '1.2';

export interface FieldProblem {
  field: string;
  code: 'missing_required' | 'invalid_value' | 'dangling_reference' | 'ambiguous_value';
  message: string;
  /**
   * Where the problem is, when that is not where the record is: a OneRoster 1.2 user's role is a
   * row of roles.csv. Absent: the record's own place.
   */
  source?: RecordSource;
}

/** Reads fields of one row, collecting every problem rather than stopping at the first. */
export class RowReader {
  readonly problems: FieldProblem[] = [];
  /** Problems that do not stop the record (it is applied, and the warning reported). */
  readonly warnings: FieldProblem[] = [];

  constructor(
    private readonly row: OneRosterRow,
    /** 1.2 vocabularies may be extended with `ext:` tokens, and messages name the version. */
    readonly version: OneRosterVersion = '1.1',
  ) {}

  private text(field: string): string | undefined {
    const raw = this.row[field];
    // A list given as an array (REST) reads as its CSV text; an empty one is absent, like "".
    const value = Array.isArray(raw) ? raw.join(',') : raw;
    return present(value) ? value.trim() : undefined;
  }

  required(field: string): string {
    const value = this.text(field);
    if (value === undefined) {
      this.problems.push({ field, code: 'missing_required', message: `${field} is required` });
      return '';
    }
    return value;
  }

  optional(field: string): string | null {
    return this.text(field) ?? null;
  }

  private parsed<T>(field: string, result: Parsed<T>, fallback: T): T {
    if (result.ok) return result.value;
    this.problems.push({ field, code: 'invalid_value', message: `${field}: ${result.message}` });
    return fallback;
  }

  /** A closed vocabulary (status, roleType): no extension tokens in any version. */
  requiredEnum<T extends string>(field: string, allowed: readonly T[], what: string): T {
    const value = this.required(field);
    if (value === '') return allowed[0]!;
    const result = parseEnum(value, allowed, what, { version: this.version });
    return this.parsed(field, result as Parsed<T>, allowed[0]!);
  }

  /** A vocabulary OneRoster 1.2 lets a provider extend with `ext:` tokens (kept as sent); 1.1 does not. */
  requiredVocabulary<T extends string>(field: string, allowed: readonly T[], what: string): string {
    const value = this.required(field);
    if (value === '') return allowed[0]!;
    return this.parsed<string>(
      field,
      parseEnum(value, allowed, what, { version: this.version, extensible: this.version === '1.2' }),
      allowed[0]!,
    );
  }

  boolean(field: string, required: boolean, fallback: boolean): boolean {
    const value = required ? this.required(field) : this.text(field);
    return value === undefined || value === '' ? fallback : this.parsed(field, parseBoolean(value), fallback);
  }

  date(field: string, required: boolean): string | null {
    const value = required ? this.required(field) : this.text(field);
    return value === undefined || value === '' ? null : this.parsed(field, parseDate(value), null);
  }

  year(field: string, required: boolean): number | null {
    const value = required ? this.required(field) : this.text(field);
    return value === undefined || value === '' ? null : this.parsed(field, parseYear(value), null);
  }

  list(field: string, required = false): string[] {
    const items = parseList(this.row[field]);
    if (required && items.length === 0) {
      this.problems.push({ field, code: 'missing_required', message: `${field} needs at least one value` });
    }
    return items;
  }

  /** A custom parse of an optional field. */
  custom<T>(field: string, parse: (value: string) => Parsed<T>, fallback: T): T {
    const value = this.text(field);
    return value === undefined ? fallback : this.parsed(field, parse(value), fallback);
  }

  problem(problem: FieldProblem): void {
    this.problems.push(problem);
  }

  warn(problem: FieldProblem): void {
    this.warnings.push(problem);
  }
}
