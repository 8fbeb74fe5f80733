import { describe, expect, it } from 'vitest';

import { generateDistrictSource } from '../district-source.js';
import { datasetFromOneRoster } from './from-oneroster.js';

describe('the Clever dataset of a OneRoster package', () => {
  it('is the same whether the district was exported as OneRoster 1.1 or 1.2', async () => {
    const modifiedAt = '2026-09-01T00:00:00.000Z';
    const v11 = await generateDistrictSource({ students: 80, seed: 11, modifiedAt });
    const v12 = await generateDistrictSource({ students: 80, seed: 11, modifiedAt, version: '1.2' });
    try {
      const from11 = datasetFromOneRoster(v11.source);
      const from12 = datasetFromOneRoster(v12.source);
      expect(from12).toEqual(from11);
      // Not an empty comparison: students, teachers and sections all made it across.
      expect(JSON.stringify(from11)).toContain('"students"');
      expect(Object.values(from11).some((list) => Array.isArray(list) && list.length > 50)).toBe(true);
    } finally {
      await v11.cleanup();
      await v12.cleanup();
    }
  });
});
