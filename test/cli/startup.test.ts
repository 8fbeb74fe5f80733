import { mkdtempSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, inject, it } from 'vitest';

import { runCli } from '../support/cli.js';

const dataDir = () => mkdtempSync(path.join(inject('workDir'), 'data-'));

describe('start-up configuration', () => {
  it.each([
    ['PORT', 'eighty'],
    ['MAX_CONCURRENT_SYNCS', '0'],
    ['SYNC_LOCK_TIMEOUT', 'soon'],
    ['DATABASE_URL', 'mysql://localhost/sis'],
    ['LOG_LEVEL', 'chatty'],
    ['SIS_SYNC_ENCRYPTION_KEY', 'too-short'],
  ])('a bad %s stops `serve` with its name in the message', async (variable, value) => {
    const result = await runCli(['serve'], { [variable]: value, SIS_SYNC_DATA_DIR: dataDir() });
    expect(result.code).toBe(78);
    expect(result.stderr).toContain('cannot start');
    expect(result.stderr).toContain(variable);
    expect(result.stdout).not.toContain('listening');
  });

  it('production without keys refuses to start, naming both', async () => {
    const result = await runCli(['serve'], { NODE_ENV: 'production', SIS_SYNC_DATA_DIR: dataDir() });
    expect(result.code).toBe(78);
    expect(result.stderr).toContain('SIS_SYNC_ENCRYPTION_KEY');
    expect(result.stderr).toContain('JWT_SECRET');
  });
});
