import { pgErrorOf } from './pg-errors.js';

/**
 * An error reduced to what may be logged or stored: its kind, its database code, and the message
 * of the innermost cause. ORM wrappers put the whole query with its parameters (rows of roster
 * data) into their messages; those never leave this function.
 */
export function safeError(error: unknown): { name: string; code: string | undefined; message: string } {
  let innermost: unknown = error;
  for (let depth = 0; depth < 5; depth++) {
    const cause = (innermost as { cause?: unknown } | null)?.cause;
    if (cause === undefined || cause === null) break;
    innermost = cause;
  }
  const err = innermost instanceof Error ? innermost : new Error(String(innermost));
  let message = err.message;
  if (message.startsWith('Failed query:')) message = 'a database query failed';
  return { name: err.name, code: pgErrorOf(error)?.code, message };
}
