import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import type { Config } from './config.js';

export const DEV_SECRETS_FILE = 'dev-secrets.json';

interface DevSecrets {
  encryptionKey: string;
  jwtSecret: string;
}

/**
 * Outside production, a missing encryption key or JWT secret is generated once into the data
 * folder, so `sis-sync serve` and `sis-sync token` agree without any set-up. Production never
 * gets here: `loadConfig` refuses to start without real keys.
 *
 * Returns the config with the keys filled in, and the warnings to show.
 */
export function withDevSecrets(config: Config): { config: Config; warnings: string[] } {
  const needKey = config.encryptionKey === undefined;
  const needJwt = config.jwt.secret === undefined && config.jwt.jwksUrl === undefined;
  if (!needKey && !needJwt) return { config, warnings: [] };
  if (config.nodeEnv === 'production') {
    throw new Error('refusing to generate development secrets with NODE_ENV=production');
  }
  const file = path.join(config.dataDir, DEV_SECRETS_FILE);
  const secrets = readOrCreate(file);
  const warnings: string[] = [];
  let next = config;
  if (needKey) {
    next = { ...next, encryptionKey: Buffer.from(secrets.encryptionKey, 'base64') };
    warnings.push(
      `SIS_SYNC_ENCRYPTION_KEY is not set: provider configs are encrypted with a DEVELOPMENT key stored in ${file}. ` +
        'Set SIS_SYNC_ENCRYPTION_KEY (openssl rand -base64 32) before storing real credentials.',
    );
  }
  if (needJwt) {
    next = { ...next, jwt: { ...next.jwt, secret: secrets.jwtSecret } };
    warnings.push(
      `JWT_SECRET is not set: bearer tokens are signed with a DEVELOPMENT secret stored in ${file}. ` +
        'Set JWT_SECRET or JWT_JWKS_URL for anything but a trial.',
    );
  }
  return { config: next, warnings };
}

function readOrCreate(file: string): DevSecrets {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<DevSecrets>;
    if (typeof parsed.encryptionKey === 'string' && typeof parsed.jwtSecret === 'string') {
      return { encryptionKey: parsed.encryptionKey, jwtSecret: parsed.jwtSecret };
    }
    throw new Error(`${file} is not a sis-sync development secrets file; move it away and start again`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(path.dirname(file), { recursive: true });
  const secrets: DevSecrets = {
    encryptionKey: randomBytes(32).toString('base64'),
    jwtSecret: randomBytes(48).toString('base64url'),
  };
  try {
    // 'wx': when two processes start at once, the second one reads what the first wrote.
    writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    return secrets;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readOrCreate(file);
    throw error;
  }
}
