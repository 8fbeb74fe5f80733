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
  // Walked with a stack of its own: a value nested past the limit must not overflow this walk either.
  const stack: { value: unknown; path: string; depth: number }[] = [{ value, path: '', depth: 0 }];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const { path, depth } = next;
    const name = path === '' ? 'the value' : path;
    if (typeof next.value === 'string') {
      const problem = textProblem(next.value);
      if (problem !== null) return { field: path, message: `${name} ${problem}` };
    } else if (typeof next.value === 'object' && next.value !== null) {
      if (depth === MAX_NESTING) {
        return { field: path, message: `${name} is nested more than ${MAX_NESTING} levels deep` };
      }
      for (const key of Object.keys(next.value)) {
        const at = path === '' ? key : `${path}.${key}`;
        const problem = textProblem(key);
        if (problem !== null) return { field: at, message: `the name of ${at} ${problem}` };
        stack.push({ value: (next.value as Record<string, unknown>)[key], path: at, depth: depth + 1 });
      }
    }
  }
  return null;
}

function textProblem(text: string): string | null {
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
