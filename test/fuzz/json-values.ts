import fc from 'fast-check';
import { expect } from 'vitest';

import { expectStorableJson } from './csv-extract.js';

/*
 * JSON a provider might send: any JSON value, and valid-shaped objects with defects (wrong types,
 * nulls, missing fields, huge strings, nested junk, text the database cannot store, and keys like
 * `__proto__` that JSON.parse makes own fields). What a mapper makes of them must be a record or a
 * per-record error, and must leave every prototype alone.
 */

/** Nested arrays or objects `depth` levels deep: JSON.parse reads any depth, JSON.stringify does not. */
const nested = fc.tuple(fc.integer({ min: 1, max: 12_000 }), fc.boolean()).map(([depth, arrays]) => {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = arrays ? [value] : { a: value };
  return value;
});

const awkwardText = fc.oneof(
  fc.string(),
  fc.constantFrom('', ' ', 'N\u0000ul', 'lone \ud800 surrogate', '\udc00', 'ext:x', '2025-02-30', 'null'),
  fc.integer({ min: 10_000, max: 300_000 }).map((n) => 'x'.repeat(n)),
);

/** Keys that mean something to JavaScript objects. */
export const POISON_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'];

/** An object with own fields of these names, made as JSON.parse makes them. */
export const objectOf = (entries: [string, unknown][]): Record<string, unknown> =>
  Object.fromEntries(entries);

export const junkValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.jsonValue({ maxDepth: 2 }),
    awkwardText,
    fc.constantFrom(null, true, 0, -0, 1e308, Infinity, [], {}),
    nested,
    fc.array(tie('value'), { maxLength: 4 }),
    fc
      .array(fc.tuple(fc.oneof(fc.constantFrom(...POISON_KEYS), fc.string()), tie('value')), { maxLength: 4 })
      .map(objectOf),
  ),
})).value;

/** One defect to apply to a valid object. */
const defect = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), value: junkValue }),
  fc.record({ kind: fc.constant('delete' as const) }),
  fc.record({ kind: fc.constant('null' as const) }),
);

/**
 * `valid` with random defects: some of its fields (at any depth) replaced by junk, deleted or
 * nulled, and poison keys added. Never mutates `valid`.
 */
export function withDefects(valid: Record<string, unknown>): fc.Arbitrary<Record<string, unknown>> {
  const paths = fieldPaths(valid);
  return fc
    .tuple(
      fc.array(fc.tuple(fc.constantFrom(...paths), defect), { maxLength: 3 }),
      fc.array(fc.tuple(fc.constantFrom(...POISON_KEYS), junkValue), { maxLength: 2 }),
    )
    .map(([defects, poison]) => {
      const copy = structuredClone(valid);
      for (const [path, d] of defects) {
        const parent = path.slice(0, -1).reduce<unknown>((o, k) => (isContainer(o) ? o[k] : undefined), copy);
        if (!isContainer(parent)) continue;
        const key = path.at(-1)!;
        if (d.kind === 'delete') delete parent[key];
        else Object.defineProperty(parent, key, field(d.kind === 'null' ? null : d.value));
      }
      for (const [key, value] of poison) Object.defineProperty(copy, key, field(value));
      return copy;
    });
}

const field = (value: unknown): PropertyDescriptor => ({
  value,
  enumerable: true,
  writable: true,
  configurable: true,
});

const isContainer = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;

function fieldPaths(value: unknown, prefix: string[] = []): string[][] {
  if (!isContainer(value)) return [];
  return Object.keys(value).flatMap((k) => [[...prefix, k], ...fieldPaths(value[k], [...prefix, k])]);
}

const PROTOTYPE_NAMES = Object.getOwnPropertyNames(Object.prototype).sort();

/** No mapper touched Object.prototype (a `__proto__` key assigned where it should be defined). */
export function expectPrototypesUntouched(): void {
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PROTOTYPE_NAMES);
  expect(Object.getPrototypeOf({})).toBe(Object.prototype);
}

/**
 * What a mapper hands the engine is plain data the database can store: every object in it has
 * the plain object or array prototype (a `__proto__` field copied by assignment would have set
 * another), and it serialises to jsonb-safe JSON.
 */
export function expectPlainStorable(value: unknown): void {
  expectStorableJson(value);
  const stack = [value];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    if (!isContainer(next)) continue;
    expect([Object.prototype, Array.prototype]).toContain(Object.getPrototypeOf(next));
    stack.push(...Object.values(next));
  }
}
