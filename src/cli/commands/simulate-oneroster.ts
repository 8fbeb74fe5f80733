import { randomBytes } from 'node:crypto';

import { InvalidArgumentError, type Command } from 'commander';

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
 * `sis-sync simulate oneroster` and `sis-sync simulate classlink`: a OneRoster 1.1 REST server
 * over a generated district or a OneRoster CSV folder, printing a provider config that works.
 */

interface Options extends SourceOptions {
  port: number;
  host: string;
  faults?: string;
  retryAfter: number;
  proxy?: boolean;
}

export function simulateOneRoster(simulate: Command): void {
  for (const flavor of ['oneroster', 'classlink'] as const) {
    const command = addSourceOptions(simulate.command(flavor))
      .description(
        flavor === 'oneroster'
          ? 'serve a district as a OneRoster 1.1 REST server (OAuth 1.0a HMAC-SHA1/SHA256 or OAuth 2)'
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
    }
    command.action(async (options: Options) => {
      const { source, cleanup } = await districtSourceOf(options);
      const clientId = `sim-${randomBytes(4).toString('hex')}`;
      const clientSecret = randomBytes(18).toString('base64url');
      const bearer = randomBytes(24).toString('base64url');
      const applicationId = 'c2ltdWxhdG9y%3D';
      const proxy = options.proxy === true;
      const server = await startOneRosterServer({
        source,
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
          ? {
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
          `${flavor === 'oneroster' ? 'OneRoster 1.1 REST' : proxy ? 'ClassLink proxy' : 'ClassLink Roster Server'} simulator: ${source.name}`,
          `  base URL:  ${server.baseUrl}`,
          `  serving:   ${counts}`,
          ...(flavor === 'oneroster'
            ? [`  OAuth 2:   token URL ${server.tokenUrl} (same client id and secret)`]
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

function parseFaultSpec(raw: string): string {
  try {
    parseFaults(raw);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
  return raw;
}
