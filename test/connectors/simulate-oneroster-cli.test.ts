import { describe, expect, it } from 'vitest';

import { createClassLinkConnector } from '../../src/connectors/classlink/classlink-connector.js';
import type { Connector } from '../../src/connectors/connector.js';
import { createOneRosterApiConnector } from '../../src/connectors/oneroster-api/oneroster-api-connector.js';
import { runCli, startCli, waitForOutput } from '../support/cli.js';
import { createTestLogger } from '../support/logger.js';

/** Starts `sis-sync simulate <args>`, hands the printed provider config to `check`, stops it. */
async function withPrintedConfig(
  args: string[],
  check: (config: Record<string, unknown>) => Promise<void>,
): Promise<void> {
  const child = startCli(['simulate', ...args]);
  try {
    await waitForOutput(child, (out) => out.stdout.includes('Ctrl-C stops it.'));
    const [printed] = [...child.output().stdout.matchAll(/^\{\n[\s\S]*?\n\}$/gm)];
    expect(printed, child.output().stdout).toBeDefined();
    await check(JSON.parse(printed![0]) as Record<string, unknown>);
  } finally {
    const closed = new Promise((resolve) => child.once('close', resolve));
    child.kill('SIGTERM');
    await closed;
  }
  expect(child.output().code).toBe(0);
}

const test = (connector: Connector) =>
  connector.testConnection({ signal: new AbortController().signal, logger: createTestLogger() });
const deps = () => ({ logger: createTestLogger() });

describe('sis-sync simulate oneroster | classlink', () => {
  it('serves a generated district as OneRoster REST and prints an OAuth 1.0a config that connects', async () => {
    await withPrintedConfig(
      ['oneroster', '--port', '0', '--students', '40', '--seed', '3'],
      async (config) => {
        expect(config).toMatchObject({ authMethod: 'oauth1', signatureMethod: 'HMAC-SHA256' });
        const report = await test(createOneRosterApiConnector(config as never, deps()));
        expect(report.details.userCount).toBeGreaterThan(40);
      },
    );
  });

  it('serves a ClassLink Roster Server, signed, and the ClassLink proxy with a bearer', async () => {
    await withPrintedConfig(['classlink', '--port', '0', '--students', '40'], async (config) => {
      const report = await test(createClassLinkConnector(config, deps()));
      expect(report.details.userCount).toBeGreaterThan(40);
    });
    await withPrintedConfig(['classlink', '--proxy', '--port', '0', '--students', '40'], async (config) => {
      expect(config).toMatchObject({ mode: 'proxy' });
      const report = await test(createClassLinkConnector(config, deps()));
      expect(report.details.userCount).toBeGreaterThan(40);
    });
  });

  it('refuses a fault spec it does not know, and neither --students nor --from', async () => {
    const badFault = await runCli(['simulate', 'oneroster', '--students', '10', '--faults', 'teapot']);
    expect(badFault.code).not.toBe(0);
    expect(badFault.stderr).toMatch(/teapot/);
    const noSource = await runCli(['simulate', 'classlink']);
    expect(noSource.code).not.toBe(0);
    expect(noSource.stderr).toContain('give exactly one of --students N or --from DIR');
  });
});
