import { randomBytes } from 'node:crypto';

import { InvalidArgumentError, type Command } from 'commander';

import type { OneRosterVersion } from '../../connectors/oneroster/row-reader.js';
import { generateDistrictSource } from '../../simulators/district-source.js';
import { FAULT_KINDS, parseFaults } from '../../simulators/oneroster/faults.js';
import { startOneRosterServer } from '../../simulators/oneroster/oneroster-server.js';
import {
  addSourceOptions,
  districtSourceOf,
  type SourceOptions,
  parseInteger,
  parsePort,
  untilStopped,
} from './simulate-options.js';

/*
 * `sis-sync simulate oneroster` and `sis-sync simulate classlink`: a OneRoster REST server over a
 * generated district or a OneRoster CSV folder, printing a provider config that works. ClassLink
 * is 1.1; `oneroster` serves 1.1, or 1.2 (`--oneroster-version 1.2`, or a 1.2 folder), which
 * takes OAuth 2 tokens only.
 */

interface Options extends SourceOptions {
  port: number;
  host: string;
  faults?: string;
  retryAfter: number;
  proxy?: boolean;
  onerosterVersion?: OneRosterVersion;
}

export function simulateOneRoster(simulate: Command): void {
  for (const flavor of ['oneroster', 'classlink'] as const) {
    const command = addSourceOptions(simulate.command(flavor))
      .description(
        flavor === 'oneroster'
          ? 'serve a district as a OneRoster 1.1 REST server (OAuth 1.0a HMAC-SHA1/SHA256 or OAuth 2) or 1.2 (OAuth 2)'
          : 'serve a district as a ClassLink Roster Server (OAuth 1.0a HMAC-SHA256; --proxy: bearer token)',
      )
      .option('--port <port>', 'port to listen on (0: any free port)', parsePort, 8700)
      .option('--host <address>', 'address to listen on', '127.0.0.1')
      .option(
        '--faults <spec>',
        `inject faults: kind[:times][@collection][+skip],... (${FAULT_KINDS.join(', ')})`,
        parseFaultSpec,
      )
      .option('--retry-after <seconds>', 'Retry-After of injected 429s', parseInteger, 1);
    if (flavor === 'classlink') {
      command.option('--proxy', 'serve as the ClassLink OneRoster proxy (bearer token)');
    } else {
      command.option(
        '--oneroster-version <version>',
        "1.1 (/ims/oneroster/v1p1) or 1.2 (/ims/oneroster/rostering/v1p2, OAuth 2 only); default 1.1, or a --from folder's own",
        parseVersion,
      );
    }
    command.action(async (options: Options) => {
      // A generated district is written in the version asked for; a folder is read as it declares.
      const { source, cleanup } =
        options.onerosterVersion === '1.2' && options.students !== undefined && options.from === undefined
          ? await generated12(options.students, options.seed)
          : await districtSourceOf(options);
      // ClassLink's Roster Servers speak 1.1 (providers.md 4): a 1.2 folder is refused for it.
      const version = flavor === 'classlink' ? '1.1' : (options.onerosterVersion ?? source.version);
      const clientId = `sim-${randomBytes(4).toString('hex')}`;
      const clientSecret = randomBytes(18).toString('base64url');
      const bearer = randomBytes(24).toString('base64url');
      const applicationId = 'c2ltdWxhdG9y%3D';
      const proxy = options.proxy === true;
      const server = await startOneRosterServer({
        source,
        version,
        port: options.port,
        host: options.host,
        ...(proxy ? { basePath: `/${applicationId}/ims/oneroster/v1p1`, bearerTokens: [bearer] } : {}),
        clients: new Map([[clientId, clientSecret]]),
        signatureMethods: flavor === 'classlink' ? ['HMAC-SHA256'] : ['HMAC-SHA1', 'HMAC-SHA256'],
        retryAfterSeconds: options.retryAfter,
        ...(options.faults === undefined ? {} : { faults: options.faults }),
      });
      const config =
        flavor === 'oneroster'
          ? version === '1.2'
            ? {
                baseUrl: server.baseUrl,
                onerosterVersion: '1.2',
                authMethod: 'oauth2',
                tokenUrl: server.tokenUrl,
                clientId,
                clientSecret,
              }
            : {
                baseUrl: server.baseUrl,
                authMethod: 'oauth1',
                signatureMethod: 'HMAC-SHA256',
                clientId,
                clientSecret,
              }
          : proxy
            ? { mode: 'proxy', applicationId, accessToken: bearer, baseUrl: server.baseUrl }
            : { mode: 'direct', baseUrl: server.baseUrl, clientId, clientSecret };
      const counts = Object.entries(source.collections)
        .map(([name, list]) => `${name} ${list.length}`)
        .join(', ');
      console.log(
        [
          `${flavor === 'oneroster' ? `OneRoster ${version} REST` : proxy ? 'ClassLink proxy' : 'ClassLink Roster Server'} simulator: ${source.name}`,
          `  base URL:  ${server.baseUrl}`,
          `  serving:   ${counts}`,
          ...(flavor === 'oneroster'
            ? [
                version === '1.2'
                  ? `  OAuth 2:   token URL ${server.tokenUrl} (OAuth 2 only, as OneRoster 1.2 requires)`
                  : `  OAuth 2:   token URL ${server.tokenUrl} (same client id and secret)`,
              ]
            : []),
          ...(options.faults === undefined ? [] : [`  faults:    ${options.faults}`]),
          '',
          `${flavor === 'oneroster' ? 'ONEROSTER_API' : 'CLASSLINK'} provider config:`,
          JSON.stringify(config, null, 2),
          '',
          'Ctrl-C stops it.',
        ].join('\n'),
      );
      await untilStopped();
      await server.close();
      await cleanup();
    });
  }
}

async function generated12(
  students: number,
  seed: number,
): Promise<{
  source: Awaited<ReturnType<typeof generateDistrictSource>>['source'];
  cleanup: () => Promise<void>;
}> {
  const generated = await generateDistrictSource({ students, seed, version: '1.2' });
  return { source: generated.source, cleanup: () => generated.cleanup() };
}

function parseVersion(raw: string): OneRosterVersion {
  if (raw !== '1.1' && raw !== '1.2') throw new InvalidArgumentError('1.1 or 1.2');
  return raw;
}

function parseFaultSpec(raw: string): string {
  try {
    parseFaults(raw);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
  return raw;
}
