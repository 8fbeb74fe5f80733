import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { ENVIRONMENT } from '../../src/config/config.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('documents every environment variable the config schema reads, with its default', () => {
    for (const [name, spec] of Object.entries(ENVIRONMENT)) {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${name}\``));
      expect(row, name).toBeDefined();
      if ('default' in spec) expect(row, name).toContain(`\`${spec.default}\``);
    }
  });

  it('leads with the two-command quick start and names the test command', () => {
    expect(readme).toMatch(/```sh\nnpm install\nnpm start\n```/);
    expect(readme).toContain('npm test');
  });
});
