import { InvalidArgumentError, type Command } from 'commander';

import { mintDevToken } from '../../auth/dev-token.js';
import type { Config } from '../../config/config.js';
import { withDevSecrets } from '../../config/dev-secrets.js';
import { ROLES, TENANT_ID_PATTERN, type Role } from '../../domain/roles.js';

function parseTtl(raw: string): number {
  const match = /^(\d+)\s*([smhd]?)$/.exec(raw.trim());
  if (match === null) throw new InvalidArgumentError('use a number with s, m, h or d, e.g. 8h');
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

function parseRole(raw: string): Role {
  const role = raw.trim().toUpperCase();
  if (!(ROLES as readonly string[]).includes(role)) {
    throw new InvalidArgumentError(`one of ${ROLES.join(', ')}`);
  }
  return role as Role;
}

export function tokenCommand(program: Command, config: Config): void {
  program
    .command('token')
    .description('print a development bearer token (refused in production)')
    .option('--tenant <id>', 'tenant the token belongs to (required for DISTRICT_ADMIN)')
    .option('--role <role>', `${ROLES.join(' or ')}`, parseRole, 'DISTRICT_ADMIN' as Role)
    .option('--subject <sub>', 'who the token speaks for, recorded in the audit log', 'dev-admin')
    .option('--ttl <duration>', 'lifetime, e.g. 30m, 8h, 7d', parseTtl, 8 * 3600)
    .action(async (options: { tenant?: string; role: Role; subject: string; ttl: number }) => {
      if (config.nodeEnv === 'production') {
        throw new Error('sis-sync token mints development tokens and is refused when NODE_ENV=production');
      }
      if (options.role === 'DISTRICT_ADMIN' && options.tenant === undefined) {
        throw new Error('a DISTRICT_ADMIN token needs --tenant <id>');
      }
      if (options.tenant !== undefined && !new RegExp(TENANT_ID_PATTERN).test(options.tenant)) {
        throw new Error(`--tenant must match ${TENANT_ID_PATTERN}`);
      }
      const { config: withKeys } = withDevSecrets(config);
      if (withKeys.jwt.secret === undefined) {
        throw new Error(
          'tokens come from your identity provider (JWT_JWKS_URL is set and JWT_SECRET is not)',
        );
      }
      const token = await mintDevToken({
        secret: withKeys.jwt.secret,
        role: options.role,
        tenantId: options.tenant,
        subject: options.subject,
        ttlSeconds: options.ttl,
        issuer: withKeys.jwt.issuer,
        audience: withKeys.jwt.audience,
      });
      console.log(token);
    });
}
