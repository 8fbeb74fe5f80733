import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

import type { Command } from 'commander';

import type { Config } from '../../config/config.js';
import { startSftpServer } from '../../simulators/sftp-server.js';
import { simulateClever } from './simulate-clever.js';
import { simulateOneRoster } from './simulate-oneroster.js';
import { parseFolder, parsePort, untilStopped } from './simulate-options.js';

/**
 * `sis-sync simulate <system>`: stand-ins for the systems a district connects, served locally so
 * that a provider can be tried end to end without the real thing. One function per system.
 */
export function simulateCommand(program: Command, _config: Config): void {
  const simulate = program
    .command('simulate')
    .description(
      'serve a simulated district system (SFTP, OneRoster REST, ClassLink, Clever) for trials and tests',
    );
  simulateSftp(simulate);
  simulateOneRoster(simulate);
  simulateClever(simulate);
}

interface SftpOptions {
  port: number;
  host: string;
  from: string;
  user: string;
  password?: string;
  hostKey?: string;
}

function simulateSftp(simulate: Command): void {
  simulate
    .command('sftp')
    .description('serve a folder read-only over SFTP, as a district SIS drops OneRoster CSV exports')
    .requiredOption('--from <dir>', 'folder to serve as /', parseFolder)
    .option('--port <port>', 'port to listen on (0: any free port)', parsePort, 2222)
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--user <name>', 'the one user allowed to log in', 'district')
    .option('--password <password>', 'its password (default: generated and printed once)')
    .option('--host-key <file>', 'private host key file, to keep one fingerprint across restarts')
    .action(async (options: SftpOptions) => {
      const password = options.password ?? randomBytes(12).toString('base64url');
      const server = await startSftpServer({
        root: options.from,
        port: options.port,
        host: options.host,
        users: [{ username: options.user, password }],
        ...(options.hostKey === undefined ? {} : { hostKey: readFileSync(options.hostKey, 'utf8') }),
      });
      const providerConfig = {
        sftp: {
          host: server.host,
          port: server.port,
          username: options.user,
          password,
          hostKeyFingerprint: server.hostKeyFingerprint,
        },
        remotePath: '/',
      };
      console.log(
        [
          `SFTP simulator serving ${options.from} read-only`,
          `  host:      ${server.host}`,
          `  port:      ${server.port}`,
          `  username:  ${options.user}`,
          `  password:  ${password}`,
          `  host key:  ${server.hostKeyFingerprint}`,
          '',
          'OneRoster CSV provider config (remotePath "/" is the whole folder; name a zip file inside it instead if you serve one):',
          JSON.stringify(providerConfig, null, 2),
          '',
          'Ctrl-C stops it.',
        ].join('\n'),
      );
      await untilStopped();
      await server.close();
    });
}
