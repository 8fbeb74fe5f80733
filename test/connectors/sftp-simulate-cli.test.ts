import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, inject, it } from 'vitest';

import { fetchFromSftp, type SftpSettings } from '../../src/connectors/oneroster-csv/sftp-fetch.js';
import { runCli, startCli, waitForOutput } from '../support/cli.js';

describe('sis-sync simulate sftp', () => {
  it('serves a folder, prints a provider config that works, and stops on SIGTERM', async () => {
    const work = mkdtempSync(path.join(inject('workDir'), 'simulate-sftp-'));
    const served = path.join(work, 'served');
    mkdirSync(served);
    writeFileSync(path.join(served, 'orgs.csv'), 'sourcedId,name\norg-1,Ogdenville Middle\n');

    const child = startCli(['simulate', 'sftp', '--from', served, '--port', '0', '--user', 'springfield']);
    try {
      await waitForOutput(child, (out) => out.stdout.includes('Ctrl-C stops it.'));
      const { stdout } = child.output();
      const config = JSON.parse(stdout.slice(stdout.indexOf('{'), stdout.lastIndexOf('}') + 1)) as {
        sftp: SftpSettings;
        remotePath: string;
      };
      expect(config.sftp.username).toBe('springfield');
      expect(stdout).toContain(config.sftp.hostKeyFingerprint);
      expect(stdout).toContain(`password:  ${config.sftp.password}`);

      const dest = path.join(work, 'download');
      const fetched = await fetchFromSftp(config.sftp, config.remotePath, dest, {
        signal: new AbortController().signal,
      });
      expect(fetched.files.map((f) => f.name)).toEqual(['orgs.csv']);
      expect(readFileSync(path.join(dest, 'orgs.csv'), 'utf8')).toContain('Ogdenville Middle');
    } finally {
      const closed = new Promise((resolve) => child.once('close', resolve));
      child.kill('SIGTERM');
      await closed;
    }
    expect(child.output()).toMatchObject({ code: 0 });
    expect(child.output().stdout).toContain('SIGTERM: stopping');
  });

  it('refuses a --from that is not a folder', async () => {
    const missing = path.join(inject('workDir'), 'no-such-folder');
    const result = await runCli(['simulate', 'sftp', '--from', missing]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`${missing} is not a folder`);
  });
});
