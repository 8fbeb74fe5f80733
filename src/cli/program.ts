import { Command, CommanderError } from 'commander';

import type { Config } from '../config/config.js';
import { VERSION } from '../version.js';
import { demoCommand } from './commands/demo.js';
import { generateCommand } from './commands/generate.js';
import { migrateCommand } from './commands/migrate.js';
import { pruneCommand } from './commands/prune.js';
import { rotateKeyCommand } from './commands/rotate-key.js';
import { serveCommand, workerCommand } from './commands/serve.js';
import { syncCommand } from './commands/sync.js';
import { simulateCommand } from './commands/simulate.js';
import { tokenCommand } from './commands/token.js';

/** The `sis-sync` command. Resolves to the process exit code. */
export async function runCli(argv: string[], config: Config): Promise<number> {
  const program = new Command('sis-sync')
    .description('Roster sync from Clever, ClassLink and OneRoster into PostgreSQL')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError();
  serveCommand(program, config);
  workerCommand(program, config);
  migrateCommand(program, config);
  pruneCommand(program, config);
  rotateKeyCommand(program, config);
  tokenCommand(program, config);
  syncCommand(program, config);
  simulateCommand(program, config);
  generateCommand(program, config);
  demoCommand(program, config);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    console.error(`sis-sync: ${(error as Error).message}`);
    return 1;
  }
}
