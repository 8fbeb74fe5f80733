/*
 * What PostgreSQL cannot store of a provider's value: a NUL character (text and jsonb refuse it),
 * an unpaired UTF-16 surrogate (jsonb refuses the `\ud800` escape JSON.stringify writes for it),
 * and nesting deeper than any roster object has (JSON.stringify overflows the stack a few
 * thousand levels down, while JSON.parse reads any depth). Connectors check what they read, so
 * that one such record is a per-record error instead of a staging failure that ends the run.
 */

/** Real provider objects nest five or six levels deep. */
export const MAX_NESTING = 100;

// eslint-disable-next-line no-control-regex -- NUL is what is looked for
const UNSTORABLE_TEXT = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export interface StorageProblem {
  /** Where in the value: a dotted path ("roles.student.sis_id", "grades.2"), "" for the value itself. */
  field: string;
  message: string;
}

/** The first part of `value` (a string, or JSON-like objects and arrays) that cannot be stored, or null. */
export function storageProblem(value: unknown): StorageProblem | null {
  if (!isContainer(value)) {
    const problem = typeof value === 'string' ? textProblem(value) : null;
    return problem === null ? null : { field: '', message: `the value ${problem}` };
  }
  // Walked with a stack of its own: a value nested past the limit must not overflow this walk
  // either. Paths are only built for containers and problems: this runs on every record read.
  const stack: { container: object; path: string; depth: number }[] = [
    { container: value, path: '', depth: 0 },
  ];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const { container, path, depth } = next;
    const at = (key: string) => (path === '' ? key : `${path}.${key}`);
    if (depth === MAX_NESTING) {
      return { field: path, message: `${path} is nested more than ${MAX_NESTING} levels deep` };
    }
    const keys = Object.keys(container);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const keyProblem = textProblem(key);
      if (keyProblem !== null) return { field: at(key), message: `the name of ${at(key)} ${keyProblem}` };
      const item = (container as Record<string, unknown>)[key];
      if (typeof item === 'string') {
        const problem = textProblem(item);
        if (problem !== null) return { field: at(key), message: `${at(key)} ${problem}` };
      } else if (isContainer(item)) {
        stack.push({ container: item, path: at(key), depth: depth + 1 });
      }
    }
  }
  return null;
}

const isContainer = (value: unknown): value is object => typeof value === 'object' && value !== null;

/** A NUL or any surrogate: a quick test that almost all text passes, before the exact one. */
// eslint-disable-next-line no-control-regex -- NUL is what is looked for
const SUSPECT_TEXT = /[\u0000\ud800-\udfff]/;

function textProblem(text: string): string | null {
  if (!SUSPECT_TEXT.test(text)) return null;
  const found = UNSTORABLE_TEXT.exec(text);
  if (found === null) return null;
  return found[0] === '\u0000'
    ? 'holds a NUL character (U+0000), which the database cannot store'
    : 'holds an unpaired UTF-16 surrogate, which is not Unicode text';
}

/**
 * `text` with what a text column cannot hold replaced by U+FFFD: for the messages and ids of
 * errors, which must reach the run's error list whatever the record held.
 */
export function storableText(text: string): string {
  return text.replace(UNSTORABLE_TEXT_ALL, '\uFFFD');
}

const UNSTORABLE_TEXT_ALL = new RegExp(UNSTORABLE_TEXT.source, 'g');
