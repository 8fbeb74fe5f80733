import { describe, expect, it } from 'vitest';

import { REDACTED, mergeSecrets, redactConfig, secretPaths } from './config-secrets.js';
import { validateProviderConfig } from './config-validation.js';
import { PROVIDER_REGISTRY } from './registry.js';

const dev = { production: false };
const fingerprint = 'SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8';

const issuesOf = (result: ReturnType<typeof validateProviderConfig>) => (result.ok ? [] : result.error);

describe('provider config validation', () => {
  it('fills defaults', () => {
    const result = validateProviderConfig(
      'ONEROSTER_API',
      { baseUrl: 'https://x/ims/oneroster/v1p1', clientId: 'a', clientSecret: 'b' },
      dev,
    );
    expect(result).toEqual({
      ok: true,
      value: {
        baseUrl: 'https://x/ims/oneroster/v1p1',
        clientId: 'a',
        clientSecret: 'b',
        authMethod: 'oauth1',
        signatureMethod: 'HMAC-SHA256',
        tokenAuth: 'basic',
      },
    });
  });

  it('accepts Clever with a token alone, or client credentials with a district', () => {
    expect(validateProviderConfig('CLEVER', { accessToken: 't' }, dev).ok).toBe(true);
    expect(
      validateProviderConfig('CLEVER', { clientId: 'a', clientSecret: 'b', districtId: 'd' }, dev).ok,
    ).toBe(true);
    expect(issuesOf(validateProviderConfig('CLEVER', { clientId: 'a' }, dev)).map((i) => i.path)).toEqual([
      'clientSecret',
      'districtId',
    ]);
  });

  it('checks ClassLink per mode', () => {
    expect(
      validateProviderConfig(
        'CLASSLINK',
        { tenantId: 'isd', state: 'tx', clientId: 'a', clientSecret: 'b' },
        dev,
      ).ok,
    ).toBe(true);
    expect(
      validateProviderConfig(
        'CLASSLINK',
        { mode: 'proxy', applicationId: 'MoYPlyQWmG0%3D', accessToken: 't' },
        dev,
      ).ok,
    ).toBe(true);
    expect(issuesOf(validateProviderConfig('CLASSLINK', { clientId: 'a', clientSecret: 'b' }, dev))).toEqual([
      { path: 'tenantId', message: 'is required in direct mode unless baseUrl is given' },
    ]);
    expect(issuesOf(validateProviderConfig('CLASSLINK', { mode: 'ftp' }, dev))[0]).toEqual({
      path: 'mode',
      message: 'must be one of direct, proxy',
    });
  });

  it('checks CSV sources: SFTP or a local path, pinned host key, one auth', () => {
    const sftp = { host: 'h', username: 'u', password: 'p', hostKeyFingerprint: fingerprint };
    expect(validateProviderConfig('ONEROSTER_CSV', { sftp, remotePath: '/x.zip' }, dev)).toMatchObject({
      ok: true,
      value: { sftp: { port: 22 } },
    });
    expect(validateProviderConfig('ONEROSTER_CSV', { localPath: '/srv/x' }, dev).ok).toBe(true);
    expect(issuesOf(validateProviderConfig('ONEROSTER_CSV', {}, dev))).toEqual([
      { path: 'sftp', message: 'is required unless localPath is given' },
    ]);
    expect(issuesOf(validateProviderConfig('ONEROSTER_CSV', { localPath: 'relative/x' }, dev))[0]?.path).toBe(
      'localPath',
    );
    expect(
      issuesOf(
        validateProviderConfig(
          'ONEROSTER_CSV',
          { sftp: { ...sftp, hostKeyFingerprint: 'aa:bb' }, remotePath: '/x' },
          dev,
        ),
      )[0]?.path,
    ).toBe('sftp.hostKeyFingerprint');
    const { password: _password, ...noAuth } = sftp;
    expect(
      issuesOf(validateProviderConfig('ONEROSTER_CSV', { sftp: noAuth, remotePath: '/x' }, dev)),
    ).toEqual([{ path: 'sftp', message: 'needs password, privateKey or privateKeyPath' }]);
  });

  it('names unknown fields and refuses non-objects', () => {
    expect(issuesOf(validateProviderConfig('CLEVER', { accessToken: 't', extra: 1 }, dev))).toEqual([
      { path: 'extra', message: 'is not a known field' },
    ]);
    expect(issuesOf(validateProviderConfig('CLEVER', [], dev))).toEqual([
      { path: '', message: 'must be an object' },
    ]);
  });

  it('refuses plain http, and URLs with credentials, in production', () => {
    const config = { baseUrl: 'http://x', clientId: 'a', clientSecret: 'b' };
    expect(validateProviderConfig('ONEROSTER_API', config, dev).ok).toBe(true);
    expect(issuesOf(validateProviderConfig('ONEROSTER_API', config, { production: true }))[0]?.path).toBe(
      'baseUrl',
    );
    expect(
      issuesOf(validateProviderConfig('ONEROSTER_API', { ...config, baseUrl: 'https://u:p@x' }, dev))[0]
        ?.message,
    ).toContain('credentials');
  });
});

describe('config secrets', () => {
  const csvSchema = PROVIDER_REGISTRY.ONEROSTER_CSV.configSchema;

  it('finds the writeOnly fields of every schema', () => {
    expect(secretPaths(csvSchema)).toEqual([
      ['sftp', 'password'],
      ['sftp', 'privateKey'],
      ['sftp', 'passphrase'],
    ]);
    expect(secretPaths(PROVIDER_REGISTRY.CLEVER.configSchema)).toEqual([['clientSecret'], ['accessToken']]);
  });

  it('redacts present secrets only', () => {
    expect(redactConfig(csvSchema, { sftp: { host: 'h', password: 'p' } })).toEqual({
      sftp: { host: 'h', password: REDACTED },
    });
  });

  it('merges: omitted or placeholder keeps, null removes, a value replaces', () => {
    const stored = { sftp: { host: 'h', password: 'old', privateKey: 'k', passphrase: 'pp' } };
    const merged = mergeSecrets(
      csvSchema,
      { sftp: { host: 'h2', password: REDACTED, privateKey: null, passphrase: 'new' } },
      stored,
    );
    expect(merged.config).toEqual({ sftp: { host: 'h2', password: 'old', passphrase: 'new' } });
    expect(merged.changedSecrets).toEqual(['sftp.privateKey', 'sftp.passphrase']);
  });
});
