import path from 'node:path';

import Type, { type Static } from 'typebox';

import { checkHost, nonEmpty, secret, type ConfigIssue, type ConfigRulesContext } from '../config-schema.js';

export const sftpConfigSchema = Type.Object(
  {
    host: nonEmpty('SFTP server host name or address.', 255),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, default: 22 })),
    username: nonEmpty('SFTP user.', 255),
    password: Type.Optional(secret('Password, if the server takes password authentication.')),
    privateKey: Type.Optional(secret('PEM/OpenSSH private key text.')),
    privateKeyPath: Type.Optional(nonEmpty('Path of a private key file on the sis-sync server.', 4096)),
    passphrase: Type.Optional(secret('Passphrase of an encrypted private key.')),
    hostKeyFingerprint: Type.String({
      pattern: '^SHA256:[A-Za-z0-9+/]{43}=?$',
      description:
        'The server host key, pinned: SHA256:... as printed by ssh-keygen -lf. A mismatch is refused.',
    }),
  },
  { additionalProperties: false },
);

export const oneRosterCsvConfigSchema = Type.Object(
  {
    sftp: Type.Optional(sftpConfigSchema),
    remotePath: Type.Optional(nonEmpty('Zip file or folder on the SFTP server.', 4096)),
    localPath: Type.Optional(
      nonEmpty('Zip file or folder on the sis-sync server itself (trials and tests), instead of SFTP.', 4096),
    ),
    // No schema default, so stored configs stay as sent; unset means auto.
    onerosterVersion: Type.Optional(
      Type.Enum(['auto', '1.1', '1.2'], {
        title: 'OneRoster version',
        description:
          'auto (the default): as manifest.csv declares (oneroster.version). 1.1 or 1.2: read as that version, and refuse a package whose manifest declares another.',
      }),
    ),
  },
  { additionalProperties: false, title: 'OneRoster CSV config' },
);
export type OneRosterCsvConfig = Static<typeof oneRosterCsvConfigSchema>;

export function checkOneRosterCsvConfig(config: OneRosterCsvConfig, ctx: ConfigRulesContext): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (config.localPath !== undefined) {
    if (config.sftp !== undefined) {
      issues.push({ path: 'sftp', message: 'give either sftp or localPath, not both' });
    }
    if (!path.isAbsolute(config.localPath)) {
      issues.push({ path: 'localPath', message: 'must be an absolute path' });
    }
    return issues;
  }
  if (config.sftp === undefined) {
    return [{ path: 'sftp', message: 'is required unless localPath is given' }];
  }
  if (config.remotePath === undefined) issues.push({ path: 'remotePath', message: 'is required with sftp' });
  issues.push(...checkHost(config.sftp.host, 'sftp.host', ctx));
  const { password, privateKey, privateKeyPath } = config.sftp;
  if (password === undefined && privateKey === undefined && privateKeyPath === undefined) {
    issues.push({ path: 'sftp', message: 'needs password, privateKey or privateKeyPath' });
  }
  if (privateKey !== undefined && privateKeyPath !== undefined) {
    issues.push({
      path: 'sftp.privateKeyPath',
      message: 'give either privateKey or privateKeyPath, not both',
    });
  }
  if (privateKeyPath !== undefined && !path.isAbsolute(privateKeyPath)) {
    issues.push({ path: 'sftp.privateKeyPath', message: 'must be an absolute path' });
  }
  return issues;
}

/** Paths on the sis-sync server that this config would read. */
export function oneRosterCsvServerPaths(config: OneRosterCsvConfig): { path: string; value: string }[] {
  const paths: { path: string; value: string }[] = [];
  if (config.localPath !== undefined) paths.push({ path: 'localPath', value: config.localPath });
  if (config.sftp?.privateKeyPath !== undefined) {
    paths.push({ path: 'sftp.privateKeyPath', value: config.sftp.privateKeyPath });
  }
  return paths;
}
