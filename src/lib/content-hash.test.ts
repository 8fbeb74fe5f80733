import { describe, expect, it } from 'vitest';

import { contentHash, hashOfStableJson, stableStringify } from './content-hash.js';

describe('content hash', () => {
  it('ignores key order and undefined properties', () => {
    expect(stableStringify({ b: 1, a: [true, null, 'x'], c: undefined })).toBe('{"a":[true,null,"x"],"b":1}');
    expect(contentHash({ b: 1, a: 2 })).toBe(contentHash({ a: 2, b: 1, z: undefined }));
  });

  it('is the hash of the stable JSON', () => {
    const value = { name: 'Lincoln High', grades: ['09', '10'], nested: { y: 'é', x: '"q"\n' } };
    expect(contentHash(value)).toBe(hashOfStableJson(stableStringify(value)));
  });

  it('keeps the hashes links already store (a change would mark every record updated once)', () => {
    expect(contentHash({ givenName: 'Ada', familyName: 'Lovelace', grades: ['09'], enabled: true })).toBe(
      PINNED,
    );
  });
});

/** Computed with the first implementation (Object.entries, sort, map, join). */
const PINNED = 'mmxtgaDdUwOvFsB94ug1dmHVKHg';
