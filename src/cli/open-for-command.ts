import type { Config } from '../config/config.js';
import { databaseTargetFromConfig, openDatabase, type DatabaseHandle } from '../db/client.js';
import { DataDirLockedError } from '../db/data-dir-lock.js';

/**
 * Opens the configured database for a maintenance command. The embedded database belongs to one
 * process: when a server holds it, the lock's message (who holds it, how to free it) is followed by
 * `hint`, what to do instead.
 */
export async function openForCommand(config: Config, command: string, hint: string): Promise<DatabaseHandle> {
  try {
    return await openDatabase(databaseTargetFromConfig(config), { command });
  } catch (error) {
    if (error instanceof DataDirLockedError) throw new Error(`${error.message}\n${hint}`);
    throw error;
  }
}
