import { randomBytes } from 'node:crypto';

import type { Command } from 'commander';

import { mintDevToken } from '../../auth/dev-token.js';
import type { Config } from '../../config/config.js';
import { withDevSecrets } from '../../config/dev-secrets.js';
import type { ProviderType } from '../../domain/provider-type.js';
import type { Role } from '../../domain/roles.js';
import { createLogger, type Logger } from '../../lib/logger.js';
import { allowingLoopback } from '../../lib/network-guard.js';
import { startService, type RunningService } from '../../service.js';
import { startCleverSimulator } from '../../simulators/clever/clever-server.js';
import { datasetFromOneRoster } from '../../simulators/clever/from-oneroster.js';
import { generateDistrictSource } from '../../simulators/district-source.js';
import { startOneRosterServer } from '../../simulators/oneroster/oneroster-server.js';
import { startSftpServer } from '../../simulators/sftp-server.js';
import { parseInteger, parsePort, untilStopped } from './simulate-options.js';

/*
 * `sis-sync demo`: a trial in one command. A generated district is served by the four simulated
 * systems a district connects (Clever, ClassLink, a OneRoster REST server, and OneRoster CSV over
 * SFTP), the service runs on the embedded database with a worker, one provider per system is set
 * up in tenant `demo`, and a sign-in link for the admin UI is printed.
 */

export const DEMO_TENANT = 'demo';
const DEMO_SCHEDULE = 'daily';
const DEMO_TIMEZONE = 'America/Chicago';
const SIGN_IN_TTL_SECONDS = 8 * 3600;

interface DemoOptions {
  port: number;
  host: string;
  students: number;
  seed: number;
}

/** A provider of the demo tenant, its config as `sis-sync simulate <system>` prints it. */
interface DemoProvider {
  name: string;
  providerType: ProviderType;
  config: Record<string, unknown>;
  /** What serves it, for the summary (no credentials). */
  served: string;
}

interface Simulators {
  providers: DemoProvider[];
  district: string;
  close(): Promise<void>;
}

export function demoCommand(program: Command, config: Config): void {
  program
    .command('demo')
    .description(
      'a trial in one command: simulated Clever, ClassLink, OneRoster and SFTP systems over a generated district, ' +
        'the service with one provider for each, and a sign-in link for the admin UI',
    )
    .option('--port <port>', 'port of the service (0: any free port)', parsePort, config.port)
    .option('--host <address>', 'address the service listens on', '127.0.0.1')
    .option('--students <n>', 'students in the generated district', parseInteger, 300)
    .option('--seed <n>', 'generator seed: the same seed, the same district', parseInteger, 7)
    .action(async (options: DemoOptions) => {
      if (config.nodeEnv === 'production') {
        throw new Error(
          'sis-sync demo runs a trial with development keys and is refused when NODE_ENV=production',
        );
      }
      const { config: withKeys } = withDevSecrets(config);
      const secret = withKeys.jwt.secret;
      if (secret === undefined) {
        throw new Error('the demo signs its own tokens, but JWT_JWKS_URL is set and JWT_SECRET is not');
      }
      const mint = (role: Role, tenantId: string | undefined, subject: string, ttlSeconds: number) =>
        mintDevToken({
          secret,
          role,
          tenantId,
          subject,
          ttlSeconds,
          issuer: withKeys.jwt.issuer,
          audience: withKeys.jwt.audience,
        });

      const logger = createLogger({ level: config.logLevel });
      const stopped = untilStopped();
      const simulators = await startSimulators(options);
      let service: RunningService | undefined;
      try {
        // The raw config: the service says itself which development keys it uses. The simulators
        // listen on loopback, so the demo's service may reach them whatever SIS_SYNC_OUTBOUND_ALLOW says.
        // Its four providers feed one district by design: no first-run re-link hold.
        service = await startService(
          {
            ...config,
            port: options.port,
            host: options.host,
            outboundAllow: allowingLoopback(config.outboundAllow),
            firstRunReview: false,
          },
          logger,
        );
        const url = service.url!;
        const setup = await mint('PLATFORM_ADMIN', undefined, 'sis-sync demo', 300);
        await setUpProviders(url, setup, simulators.providers, logger);
        const signIn = await mint('DISTRICT_ADMIN', DEMO_TENANT, 'demo-admin', SIGN_IN_TTL_SECONDS);
        // stdout, not the logger: the token is the product here, and logs never carry one.
        console.log(summary(url, options, simulators, signIn));
        await stopped;
      } finally {
        await service?.close().catch((error: unknown) => logger.error({ err: error }, 'shutdown failed'));
        await simulators.close();
      }
    });
}

/** The district, and the four systems serving it on free loopback ports. */
async function startSimulators(options: DemoOptions): Promise<Simulators> {
  const district = await generateDistrictSource({ students: options.students, seed: options.seed });
  const closers: (() => Promise<void>)[] = [() => district.cleanup()];
  const close = async () => {
    for (const closeOne of closers.reverse()) await closeOne().catch(() => undefined);
  };
  try {
    const host = '127.0.0.1';
    const clever = await startCleverSimulator({
      dataset: datasetFromOneRoster(district.source),
      port: 0,
      host,
    });
    closers.push(() => clever.close());

    const oneRosterClient = {
      id: `sim-${randomBytes(4).toString('hex')}`,
      secret: randomBytes(18).toString('base64url'),
    };
    const oneRoster = await startOneRosterServer({
      source: district.source,
      port: 0,
      host,
      clients: new Map([[oneRosterClient.id, oneRosterClient.secret]]),
      signatureMethods: ['HMAC-SHA1', 'HMAC-SHA256'],
    });
    closers.push(() => oneRoster.close());

    const classLinkClient = {
      id: `sim-${randomBytes(4).toString('hex')}`,
      secret: randomBytes(18).toString('base64url'),
    };
    const classLink = await startOneRosterServer({
      source: district.source,
      port: 0,
      host,
      clients: new Map([[classLinkClient.id, classLinkClient.secret]]),
      signatureMethods: ['HMAC-SHA256'],
    });
    closers.push(() => classLink.close());

    const sftpUser = { username: 'district', password: randomBytes(12).toString('base64url') };
    const sftp = await startSftpServer({ root: district.dir, port: 0, host, users: [sftpUser] });
    closers.push(() => sftp.close());

    return {
      district: district.source.name,
      close,
      providers: [
        {
          name: 'Clever (demo)',
          providerType: 'CLEVER',
          served: `Clever Data API v3.0 at ${clever.baseUrl}`,
          config: {
            clientId: clever.clientId,
            clientSecret: clever.clientSecret,
            districtId: clever.districtId,
            baseUrl: clever.baseUrl,
            tokenUrl: clever.tokenUrl,
          },
        },
        {
          name: 'ClassLink (demo)',
          providerType: 'CLASSLINK',
          served: `ClassLink Roster Server at ${classLink.baseUrl}`,
          config: {
            mode: 'direct',
            baseUrl: classLink.baseUrl,
            clientId: classLinkClient.id,
            clientSecret: classLinkClient.secret,
          },
        },
        {
          name: 'OneRoster API (demo)',
          providerType: 'ONEROSTER_API',
          served: `OneRoster 1.1 REST at ${oneRoster.baseUrl}`,
          config: {
            baseUrl: oneRoster.baseUrl,
            authMethod: 'oauth1',
            signatureMethod: 'HMAC-SHA256',
            clientId: oneRosterClient.id,
            clientSecret: oneRosterClient.secret,
          },
        },
        {
          name: 'OneRoster CSV over SFTP (demo)',
          providerType: 'ONEROSTER_CSV',
          served: `SFTP at sftp://${sftp.host}:${sftp.port}/ (host key ${sftp.hostKeyFingerprint})`,
          config: {
            sftp: {
              host: sftp.host,
              port: sftp.port,
              username: sftpUser.username,
              password: sftpUser.password,
              hostKeyFingerprint: sftp.hostKeyFingerprint,
            },
            remotePath: '/',
          },
        },
      ],
    };
  } catch (error) {
    await close();
    throw error;
  }
}

interface ProviderSummary {
  id: string;
  name: string;
  providerType: string;
}

/**
 * Creates the demo providers through the API, or, found by name from an earlier demo on this data
 * folder, points them at this run's simulators (new ports, credentials and host key).
 */
async function setUpProviders(url: string, token: string, providers: DemoProvider[], logger: Logger) {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${url}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const answer = (await res.json()) as T & { error?: { message: string } };
    if (!res.ok) throw new Error(`${method} /api/v1${path}: ${res.status} ${answer.error?.message ?? ''}`);
    return answer;
  };
  const { providers: existing } = await call<{ providers: ProviderSummary[] }>(
    'GET',
    `/tenants/${DEMO_TENANT}/providers`,
  );
  for (const provider of providers) {
    const settings = {
      config: provider.config,
      syncSchedule: DEMO_SCHEDULE,
      syncTimezone: DEMO_TIMEZONE,
      enabled: true,
    };
    const found = existing.find((p) => p.name === provider.name);
    if (found === undefined) {
      await call('POST', '/providers', {
        tenantId: DEMO_TENANT,
        providerType: provider.providerType,
        name: provider.name,
        ...settings,
      });
      logger.info({ provider: provider.name }, 'demo provider created');
    } else if (found.providerType !== provider.providerType) {
      throw new Error(
        `tenant ${DEMO_TENANT} has a ${found.providerType} provider named "${provider.name}"; ` +
          'rename or delete it, or use another SIS_SYNC_DATA_DIR',
      );
    } else {
      await call('PATCH', `/providers/${found.id}`, settings);
      logger.info({ provider: provider.name, providerId: found.id }, 'demo provider updated');
    }
  }
}

function summary(url: string, options: DemoOptions, simulators: Simulators, token: string): string {
  const { hostname, port } = new URL(url);
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(hostname);
  const base = `http://${loopback ? 'localhost' : hostname}:${port}`;
  return [
    '',
    `sis-sync demo: ${simulators.district} (${options.students} students, seed ${options.seed}), served by`,
    ...simulators.providers.map((p) => `  ${p.name.padEnd(32)} ${p.served}`),
    `Tenant "${DEMO_TENANT}" has one provider for each, synced ${DEMO_SCHEDULE} at 02:00 ${DEMO_TIMEZONE} time; ` +
      'start a sync from the UI to see it now.',
    `API docs: ${base}/docs. Development keys only: nothing here is for real district data.`,
    '',
    `Sign in: ${base}/integrations/sis/#token=${token}`,
    '',
    'The link holds a district-admin token for 8 hours. Ctrl-C stops everything.',
  ].join('\n');
}
