import path from 'node:path';

import { egressPolicy, parseEgressPolicy, type EgressPolicy } from '../lib/network-guard.js';
import { err, ok, type Result } from '../lib/result.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const NODE_ENVS = ['development', 'production', 'test'] as const;
export type NodeEnv = (typeof NODE_ENVS)[number];

export interface Config {
  /** PostgreSQL connection string; unset means the embedded database under `dataDir`. */
  databaseUrl: string | undefined;
  port: number;
  host: string;
  logLevel: LogLevel;
  nodeEnv: NodeEnv;
  maxConcurrentSyncs: number;
  syncLockTimeoutMs: number;
  /** How often an idle worker looks for due jobs (it is also woken at once by its own process). */
  workerPollIntervalMs: number;
  /** Absolute path of the folder holding the embedded database and development secrets. */
  dataDir: string;
  /** Absolute folder inside which a district admin may point a CSV provider's `localPath`. */
  importDir: string | undefined;
  /** 32-byte AES-256-GCM key that encrypts provider configs; generated into `dataDir` outside production. */
  encryptionKey: Buffer | undefined;
  /** Older keys that still decrypt configs written before a rotation. */
  previousEncryptionKeys: Buffer[];
  /** Days that staging rows and per-record run errors are kept; 0 keeps them for ever. */
  retentionDays: number;
  /** Hold a provider's first run into a roster other providers feed, for the re-link review. */
  firstRunReview: boolean;
  /** When set, GET /metrics demands `Authorization: Bearer <token>`. */
  metricsToken: string | undefined;
  /** Which non-public addresses outbound connections (providers, SFTP, webhooks) may reach. */
  outboundAllow: EgressPolicy;
  /** Requests per minute per caller on /api/v1, counted per instance; 0 turns the limit off. */
  apiRateLimit: number;
  jwt: {
    /** HS256 shared secret; generated into `dataDir` outside production when neither it nor a JWKS URL is set. */
    secret: string | undefined;
    jwksUrl: string | undefined;
    issuer: string | undefined;
    audience: string | undefined;
  };
}

type Env = Readonly<Record<string, string | undefined>>;

/** One entry per environment variable: how it parses, its default, and what it is for. */
interface VariableSpec<T> {
  description: string;
  default?: string;
  parse: (raw: string) => Result<T, string>;
}

const integer =
  (min: number, max: number) =>
  (raw: string): Result<number, string> => {
    if (!/^\d+$/.test(raw.trim())) return err(`must be a whole number, got "${raw}"`);
    const n = Number(raw.trim());
    if (n < min || n > max) return err(`must be between ${min} and ${max}, got ${n}`);
    return ok(n);
  };

const oneOf =
  <T extends string>(values: readonly T[]) =>
  (raw: string): Result<T, string> => {
    const v = raw.trim().toLowerCase();
    return (values as readonly string[]).includes(v)
      ? ok(v as T)
      : err(`must be one of ${values.join(', ')}, got "${raw}"`);
  };

const onOff = (raw: string): Result<boolean, string> => {
  const value = raw.trim().toLowerCase();
  if (value === 'true' || value === '1') return ok(true);
  if (value === 'false' || value === '0') return ok(false);
  return err('must be true or false');
};

const text = (raw: string): Result<string, string> =>
  raw.trim() === '' ? err('must not be empty') : ok(raw.trim());

const url =
  (protocols: readonly string[]) =>
  (raw: string): Result<string, string> => {
    try {
      const u = new URL(raw.trim());
      if (!protocols.includes(u.protocol)) {
        return err(`must be a ${protocols.join(' or ')} URL`);
      }
      return ok(raw.trim());
    } catch {
      return err('must be a URL');
    }
  };

const absolutePath = (raw: string): Result<string, string> =>
  raw.trim() === '' ? err('must not be empty') : ok(path.resolve(raw.trim()));

const aesKey = (raw: string): Result<Buffer, string> => {
  const value = raw.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
  if (key.length !== 32) {
    return err('must be 32 bytes, as 64 hex digits or base64 (try: openssl rand -base64 32)');
  }
  return ok(key);
};

const aesKeyList = (raw: string): Result<Buffer[], string> => {
  const keys: Buffer[] = [];
  for (const [i, part] of raw.split(',').entries()) {
    if (part.trim() === '') continue;
    const key = aesKey(part);
    if (!key.ok) return err(`entry ${i + 1} ${key.error}`);
    keys.push(key.value);
  }
  return ok(keys);
};

const jwtSecret = (raw: string): Result<string, string> =>
  raw.length < 32 ? err('must be at least 32 characters') : ok(raw);

/** The schema of every environment variable the service reads. Nothing else reads process.env. */
export const ENVIRONMENT = {
  DATABASE_URL: {
    description: 'PostgreSQL connection string. Unset: the embedded PGlite database in SIS_SYNC_DATA_DIR.',
    parse: url(['postgres:', 'postgresql:']),
  },
  PORT: { description: 'HTTP port.', default: '3000', parse: integer(0, 65535) },
  HOST: { description: 'HTTP bind address.', default: '0.0.0.0', parse: text },
  LOG_LEVEL: { description: 'Log level.', default: 'info', parse: oneOf(LOG_LEVELS) },
  NODE_ENV: {
    description: 'development, production or test. Production demands real keys.',
    default: 'development',
    parse: oneOf(NODE_ENVS),
  },
  MAX_CONCURRENT_SYNCS: {
    description:
      'Sync runs executing at once across the deployment (every instance on one database together).',
    default: '2',
    parse: integer(1, 1000),
  },
  SYNC_LOCK_TIMEOUT: {
    description:
      'Milliseconds: a run whose worker died (killed, connection lost) is failed and its provider freed at the latest this long after its last report.',
    default: '1800000',
    parse: integer(1000, 7 * 24 * 3600 * 1000),
  },
  WORKER_POLL_INTERVAL: {
    description: "Milliseconds between an idle worker's looks at the queue for due runs and schedules.",
    default: '2000',
    parse: integer(50, 60_000),
  },
  SIS_SYNC_DATA_DIR: {
    description: 'Folder for the embedded database and generated development secrets.',
    default: './data',
    parse: absolutePath,
  },
  SIS_SYNC_IMPORT_DIR: {
    description: 'Folder inside which a district admin may point a OneRoster CSV provider at a local path.',
    parse: absolutePath,
  },
  SIS_SYNC_ENCRYPTION_KEY: {
    description: 'AES-256-GCM key for provider configs (32 bytes, hex or base64). Required in production.',
    parse: aesKey,
  },
  SIS_SYNC_PREVIOUS_ENCRYPTION_KEYS: {
    description: 'Comma-separated older keys that still decrypt configs until they are rotated.',
    parse: aesKeyList,
  },
  SIS_SYNC_RETENTION_DAYS: {
    description:
      "Days a run's staged records and per-record errors are kept (0: for ever). The last applied run's staging of each provider is always kept.",
    default: '30',
    parse: integer(0, 36500),
  },
  SIS_SYNC_FIRST_RUN_REVIEW: {
    description:
      "Hold a provider's first run for review when other providers already feed the tenant's roster, with the proposed re-links (false: apply it like any run, still under the deactivation threshold).",
    default: 'true',
    parse: onOff,
  },
  METRICS_TOKEN: {
    description: 'When set, GET /metrics (Prometheus) demands this bearer token.',
    parse: text,
  },
  SIS_SYNC_OUTBOUND_ALLOW: {
    description:
      'Non-public addresses that provider, SFTP and webhook connections may reach: a comma list of loopback, private, link-local and CIDRs (none: nothing). Unset: loopback, and nothing when NODE_ENV=production.',
    parse: parseEgressPolicy,
  },
  API_RATE_LIMIT: {
    description:
      'Requests per minute per caller (token subject, else client address) on /api/v1, counted by each instance; 0 turns the limit off.',
    default: '600',
    parse: integer(0, 1_000_000),
  },
  JWT_SECRET: { description: 'HS256 secret for bearer tokens (at least 32 characters).', parse: jwtSecret },
  JWT_JWKS_URL: {
    description: 'JWKS URL for RS256/ES256 bearer tokens from an identity provider.',
    parse: url(['https:', 'http:']),
  },
  JWT_ISSUER: { description: 'Expected `iss` claim, when set.', parse: text },
  JWT_AUDIENCE: { description: 'Expected `aud` claim, when set.', parse: text },
} satisfies Record<string, VariableSpec<unknown>>;

type Spec = typeof ENVIRONMENT;
type VariableName = keyof Spec;
type Parsed = {
  [K in VariableName]: ReturnType<Spec[K]['parse']> extends Result<infer T, string> ? T : never;
};

export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(`Invalid environment:\n${problems.map((p) => `  ${p.variable} ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment once. Every bad variable is reported, each by name. */
export function loadConfig(env: Env): Result<Config, ConfigError> {
  const problems: { variable: string; message: string }[] = [];
  const values: Partial<Parsed> = {};
  for (const [name, spec] of Object.entries(ENVIRONMENT) as [VariableName, VariableSpec<unknown>][]) {
    const raw = env[name] === undefined || env[name] === '' ? spec.default : env[name];
    if (raw === undefined) continue;
    const parsed = spec.parse(raw);
    if (parsed.ok) (values as Record<string, unknown>)[name] = parsed.value;
    else problems.push({ variable: name, message: parsed.error });
  }
  const v = values as Parsed;
  if (problems.length === 0 && v.NODE_ENV === 'production') {
    if (v.SIS_SYNC_ENCRYPTION_KEY === undefined) {
      problems.push({ variable: 'SIS_SYNC_ENCRYPTION_KEY', message: 'is required when NODE_ENV=production' });
    }
    if (v.JWT_SECRET === undefined && v.JWT_JWKS_URL === undefined) {
      problems.push({
        variable: 'JWT_SECRET',
        message: 'or JWT_JWKS_URL is required when NODE_ENV=production',
      });
    }
  }
  if (problems.length > 0) return err(new ConfigError(problems));
  return ok({
    databaseUrl: v.DATABASE_URL,
    port: v.PORT,
    host: v.HOST,
    logLevel: v.LOG_LEVEL,
    nodeEnv: v.NODE_ENV,
    maxConcurrentSyncs: v.MAX_CONCURRENT_SYNCS,
    syncLockTimeoutMs: v.SYNC_LOCK_TIMEOUT,
    workerPollIntervalMs: v.WORKER_POLL_INTERVAL,
    dataDir: v.SIS_SYNC_DATA_DIR,
    importDir: v.SIS_SYNC_IMPORT_DIR,
    encryptionKey: v.SIS_SYNC_ENCRYPTION_KEY,
    previousEncryptionKeys: v.SIS_SYNC_PREVIOUS_ENCRYPTION_KEYS ?? [],
    retentionDays: v.SIS_SYNC_RETENTION_DAYS,
    firstRunReview: v.SIS_SYNC_FIRST_RUN_REVIEW,
    metricsToken: v.METRICS_TOKEN,
    // The default depends on NODE_ENV, so it is settled here rather than in the variable's spec.
    outboundAllow:
      v.SIS_SYNC_OUTBOUND_ALLOW ?? egressPolicy(v.NODE_ENV === 'production' ? 'none' : 'loopback'),
    apiRateLimit: v.API_RATE_LIMIT,
    jwt: {
      secret: v.JWT_SECRET,
      jwksUrl: v.JWT_JWKS_URL,
      issuer: v.JWT_ISSUER,
      audience: v.JWT_AUDIENCE,
    },
  });
}
