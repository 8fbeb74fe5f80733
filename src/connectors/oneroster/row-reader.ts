import { parseBoolean, parseDate, parseEnum, parseList, parseYear, present, type Parsed } from './values.js';

/** One OneRoster record as either transport delivers it: scalar fields as text, lists as arrays or text. */
export type OneRosterRow = Readonly<Record<string, string | string[] | undefined>>;

export interface FieldProblem {
  field: string;
  code: 'missing_required' | 'invalid_value';
  message: string;
}

/** Reads fields of one row, collecting every problem rather than stopping at the first. */
export class RowReader {
  readonly problems: FieldProblem[] = [];

  constructor(private readonly row: OneRosterRow) {}

  private text(field: string): string | undefined {
    const value = this.row[field];
    if (Array.isArray(value)) return value.join(',');
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

  requiredEnum<T extends string>(field: string, allowed: readonly T[], what: string): T {
    const value = this.required(field);
    return value === '' ? allowed[0]! : this.parsed(field, parseEnum(value, allowed, what), allowed[0]!);
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
}
