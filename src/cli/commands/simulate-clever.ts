import { InvalidArgumentError, type Command } from 'commander';

import { startCleverSimulator } from '../../simulators/clever/clever-server.js';
import {
  FAULT_KINDS,
  FaultSpecError,
  parseFaultSpec,
  type FaultSpec,
} from '../../simulators/clever/faults.js';
import { datasetFromOneRoster } from '../../simulators/clever/from-oneroster.js';
import {
  addSourceOptions,
  districtSourceOf,
  type SourceOptions,
  parseInteger,
  parsePort,
  untilStopped,
} from './simulate-options.js';

/*
 * `sis-sync simulate clever`: Clever's Data API v3.0 and token endpoint over a generated district
 * or a OneRoster CSV folder, printing provider configs that work against it.
 */

interface Options extends SourceOptions {
  port: number;
  host: string;
  faults?: FaultSpec[];
  rateLimit: number;
}

export function simulateClever(simulate: Command): void {
  addSourceOptions(simulate.command('clever'))
    .description('serve a district as Clever Data API v3.0 (district tokens, token discovery, Events API)')
    .option('--port <port>', 'port to listen on (0: any free port)', parsePort, 8710)
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option(
      '--faults <spec>',
      `inject faults: kind[=value][xCOUNT|xall][@AT][~PATH],... with kind one of ${FAULT_KINDS.join(', ')}`,
      parseFaults,
    )
    .option('--rate-limit <n>', 'requests per minute per token before 429 (Clever: 1200)', parseInteger, 1200)
    .action(async (options: Options) => {
      const { source, cleanup } = await districtSourceOf(options);
      const dataset = datasetFromOneRoster(source);
      const server = await startCleverSimulator({
        dataset,
        port: options.port,
        host: options.host,
        rateLimitPerMinute: options.rateLimit,
        ...(options.faults === undefined ? {} : { faults: options.faults }),
      });
      const withToken = { accessToken: server.accessToken(), baseUrl: server.baseUrl };
      const withClient = {
        clientId: server.clientId,
        clientSecret: server.clientSecret,
        districtId: server.districtId,
        baseUrl: server.baseUrl,
        tokenUrl: server.tokenUrl,
      };
      console.log(
        [
          `Clever Data API v3.0 simulator: ${dataset.district.name as string}`,
          `  base URL:   ${server.baseUrl}`,
          `  token URL:  ${server.tokenUrl} (HTTP Basic client id and secret, owner_type=district)`,
          `  serving:    schools ${dataset.schools.length}, terms ${dataset.terms.length}, courses ${dataset.courses.length}, sections ${dataset.sections.length}, users ${dataset.users.length}`,
          ...(options.faults === undefined ? [] : [`  faults:     ${options.faults.length} injected`]),
          '',
          'CLEVER provider config with the district token:',
          JSON.stringify(withToken, null, 2),
          '',
          'or with client credentials (the token is looked up, and again when it rotates):',
          JSON.stringify(withClient, null, 2),
          '',
          'Ctrl-C stops it.',
        ].join('\n'),
      );
      await untilStopped();
      await server.close();
      await cleanup();
    });
}

function parseFaults(raw: string): FaultSpec[] {
  try {
    return parseFaultSpec(raw);
  } catch (error) {
    if (error instanceof FaultSpecError) throw new InvalidArgumentError(error.message);
    throw error;
  }
}
