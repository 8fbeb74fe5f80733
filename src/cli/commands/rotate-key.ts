import { userInfo } from 'node:os';

import type { Command } from 'commander';

import type { Config } from '../../config/config.js';
import { withDevSecrets } from '../../config/dev-secrets.js';
import { migrateDatabase } from '../../db/migrate.js';
import { createSecretBox, keyIdOf } from '../../lib/secret-box.js';
import { rotateEncryptionKey } from '../../services/key-rotation.js';
import { openForCommand } from '../open-for-command.js';

/**
 * `sis-sync rotate-key`: re-seals every stored secret under SIS_SYNC_ENCRYPTION_KEY. Prints row
 * ids and key ids (fingerprints), never a value. Exits 1 when a row could not be read.
 */
export function rotateKeyCommand(program: Command, config: Config): void {
  program
    .command('rotate-key')
    .description(
      're-encrypt every provider config and webhook secret under SIS_SYNC_ENCRYPTION_KEY ' +
        '(the old key must be in SIS_SYNC_PREVIOUS_ENCRYPTION_KEYS); safe to stop and run again',
    )
    .option(
      '--dry-run',
      'check that every row decrypts and count what would be rotated; write nothing',
      false,
    )
    .action(async (options: { dryRun: boolean }) => {
      const { config: withKeys } = withDevSecrets(config);
      const secretBox = createSecretBox(withKeys.encryptionKey!, withKeys.previousEncryptionKeys);
      const handle = await openForCommand(
        withKeys,
        'sis-sync rotate-key',
        'Stop the server first: on the embedded database the rotation runs alone (beside running servers only on PostgreSQL).',
      );
      try {
        await migrateDatabase(handle);
        console.log(
          `active key ${secretBox.activeKeyId}${options.dryRun ? ' (dry run: nothing is written)' : ''}`,
        );
        const result = await rotateEncryptionKey(handle.db, secretBox, {
          dryRun: options.dryRun,
          actor: { subject: `cli:${userInfo().username}`, roles: ['PLATFORM_ADMIN'], tenantId: undefined },
          onRotated: (table, id, from) => {
            if (!options.dryRun) console.log(`rotated ${table} ${id} (was under key ${from})`);
          },
        });

        const verb = options.dryRun ? 'to rotate' : 'rotated';
        console.log(
          ['table'.padEnd(28), verb.padStart(10), 'current'.padStart(10), 'failed'.padStart(10)].join(''),
        );
        for (const t of result.tables) {
          console.log(
            [
              t.table.padEnd(28),
              String(t.rotated).padStart(10),
              String(t.current).padStart(10),
              String(t.failed).padStart(10),
            ].join(''),
          );
        }
        for (const row of result.unreadable) {
          console.log(`could not rotate ${row.table} ${row.id} (key ${row.keyId}): ${row.reason}`);
        }
        if (result.tables.every((t) => t.rotated === 0 && t.failed === 0)) {
          console.log(
            `nothing to rotate: every stored secret is already under the active key ${result.activeKeyId}`,
          );
        }
        const inUse = Object.keys(result.keysInUse).filter((k) => k !== result.activeKeyId);
        const previous = withKeys.previousEncryptionKeys.map(keyIdOf).filter((k) => k !== result.activeKeyId);
        const unused = previous.filter((k) => !inUse.includes(k));
        if (unused.length > 0) {
          console.log(
            `no row uses the old key(s) ${unused.join(', ')} any more: they may be removed from SIS_SYNC_PREVIOUS_ENCRYPTION_KEYS`,
          );
        }
        if (inUse.length > 0) {
          console.log(
            `keys still in use besides the active one: ${inUse.map((k) => `${k} (${result.keysInUse[k]} rows)`).join(', ')}`,
          );
        }
        if (result.unreadable.length > 0) {
          console.log(
            `${result.unreadable.length} row(s) could not be rotated: configure their key in SIS_SYNC_PREVIOUS_ENCRYPTION_KEYS and run sis-sync rotate-key again`,
          );
          process.exitCode = 1;
        }
      } finally {
        await handle.close();
      }
    });
}
