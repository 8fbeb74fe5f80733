import { describe, expect, it } from 'vitest';

import { hashOfStableJson, stableStringify } from './content-hash.js';

const contentHash = (value: unknown) => hashOfStableJson(stableStringify(value));

describe('content hash', () => {
  it('ignores key order and undefined properties', () => {
    expect(stableStringify({ b: 1, a: [true, null, 'x'], c: undefined })).toBe('{"a":[true,null,"x"],"b":1}');
    expect(contentHash({ b: 1, a: 2 })).toBe(contentHash({ a: 2, b: 1, z: undefined }));
  });

  it('keeps the hashes links already store (a change would mark every record updated once)', () => {
    expect(contentHash({ givenName: 'Ada', familyName: 'Lovelace', grades: ['09'], enabled: true })).toBe(
      PINNED,
    );
  });
});

/** Computed with the first implementation (Object.entries, sort, map, join). */
const PINNED = 'mmxtgaDdUwOvFsB94ug1dmHVKHg';
