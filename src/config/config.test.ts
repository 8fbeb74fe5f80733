import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { loadConfig } from './config.js';

const key = Buffer.alloc(32, 7).toString('base64');

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const result = loadConfig({});
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value).toMatchObject({
      databaseUrl: undefined,
      port: 3000,
      host: '0.0.0.0',
      logLevel: 'info',
      nodeEnv: 'development',
      maxConcurrentSyncs: 2,
      syncLockTimeoutMs: 1_800_000,
      dataDir: path.resolve('./data'),
      encryptionKey: undefined,
      previousEncryptionKeys: [],
      retentionDays: 30,
      metricsToken: undefined,
    });
  });

  it('parses every variable', () => {
    const result = loadConfig({
      DATABASE_URL: 'postgres://u@db:5432/sis',
      PORT: '8080',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'DEBUG',
      NODE_ENV: 'production',
      MAX_CONCURRENT_SYNCS: '4',
      SYNC_LOCK_TIMEOUT: '60000',
      SIS_SYNC_DATA_DIR: '/var/lib/sis-sync',
      SIS_SYNC_IMPORT_DIR: '/srv/imports',
      SIS_SYNC_ENCRYPTION_KEY: key,
      SIS_SYNC_PREVIOUS_ENCRYPTION_KEYS: `${Buffer.alloc(32, 1).toString('hex')},${Buffer.alloc(32, 2).toString('base64')}`,
      JWT_SECRET: 'x'.repeat(32),
      JWT_ISSUER: 'https://idp.example',
      JWT_AUDIENCE: 'sis-sync',
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.port).toBe(8080);
    expect(result.value.logLevel).toBe('debug');
    expect(result.value.previousEncryptionKeys).toHaveLength(2);
    expect(result.value.encryptionKey?.equals(Buffer.alloc(32, 7))).toBe(true);
    expect(result.value.jwt).toEqual({
      secret: 'x'.repeat(32),
      jwksUrl: undefined,
      issuer: 'https://idp.example',
      audience: 'sis-sync',
    });
  });

  it.each([
    ['PORT', 'abc', 'must be a whole number'],
    ['PORT', '70000', 'between 0 and 65535'],
    ['MAX_CONCURRENT_SYNCS', '0', 'between 1 and'],
    ['SYNC_LOCK_TIMEOUT', '-5', 'whole number'],
    ['LOG_LEVEL', 'loud', 'must be one of'],
    ['NODE_ENV', 'staging', 'must be one of'],
    ['DATABASE_URL', 'mysql://x', 'postgres: or postgresql:'],
    ['SIS_SYNC_ENCRYPTION_KEY', 'c2hvcnQ=', '32 bytes'],
    ['JWT_SECRET', 'short', 'at least 32 characters'],
    ['JWT_JWKS_URL', 'not a url', 'must be a URL'],
  ])('names %s=%s in the error', (variable, value, message) => {
    const result = loadConfig({ [variable]: value });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.message).toContain(variable);
    expect(result.error.message).toContain(message);
  });

  it('reports every bad variable at once', () => {
    const result = loadConfig({ PORT: 'x', LOG_LEVEL: 'y', MAX_CONCURRENT_SYNCS: 'z' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.problems.map((p) => p.variable)).toEqual([
      'PORT',
      'LOG_LEVEL',
      'MAX_CONCURRENT_SYNCS',
    ]);
  });

  it('demands real keys in production', () => {
    const result = loadConfig({ NODE_ENV: 'production' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.problems.map((p) => p.variable)).toEqual(['SIS_SYNC_ENCRYPTION_KEY', 'JWT_SECRET']);
    expect(
      loadConfig({ NODE_ENV: 'production', SIS_SYNC_ENCRYPTION_KEY: key, JWT_JWKS_URL: 'https://idp/jwks' })
        .ok,
    ).toBe(true);
  });

  it('treats an empty variable as unset', () => {
    const result = loadConfig({ PORT: '', DATABASE_URL: '' });
    expect(result.ok && result.value.port === 3000 && result.value.databaseUrl === undefined).toBe(true);
  });
});
