import Type, { type TSchema, type Static } from 'typebox';

/**
 * `T | null` as `type: [T, "null"]` rather than `anyOf`: with type coercion on, an `anyOf` whose
 * first branch is a string would turn a null into "" before the null branch is tried.
 */
export function nullable<T extends TSchema & { type?: unknown; enum?: unknown[] }>(schema: T) {
  const base = schema as unknown as Record<string, unknown>;
  const type = typeof base.type === 'string' ? base.type : 'string';
  return Type.Unsafe<Static<T> | null>({
    ...base,
    type: [type, 'null'],
    ...(Array.isArray(base.enum) ? { enum: [...(base.enum as unknown[]), null] } : {}),
  });
}
