import type { Database } from '../db/client.js';
import type { Principal } from '../domain/roles.js';
import { SecretBoxError, type SecretBox } from '../lib/secret-box.js';
import { recordAudit } from '../repositories/audit-log-repository.js';
import {
  SEALED_TABLES,
  countSealedByKey,
  findSealed,
  listSealedNotUnder,
  replaceSealed,
  type SealedTable,
  type SealedValue,
} from '../repositories/sealed-values-repository.js';
import { webhookSecretAad } from '../repositories/webhooks-repository.js';
import { providerConfigAad } from './provider-service.js';

/** The associated data each sealed value was bound to: the one its writer uses. */
const AAD: Record<SealedTable, (id: string) => string> = {
  sis_providers: providerConfigAad,
  sis_webhook_subscriptions: (id) => webhookSecretAad({ id }),
};

export interface KeyRotationOptions {
  /** Decrypt each value to check it could be rotated; write nothing. */
  dryRun?: boolean;
  /** Recorded in the audit log. */
  actor: Principal;
  /** After each row re-sealed (the command prints progress; tests interrupt a rotation here). */
  onRotated?: (table: SealedTable, id: string, fromKeyId: string) => void | Promise<void>;
}

export interface UnreadableRow {
  table: SealedTable;
  id: string;
  keyId: string;
  /** Why it did not decrypt (the key is not configured, or it failed authentication); never a value. */
  reason: string;
}

export interface TableRotation {
  table: SealedTable;
  /** Re-sealed under the active key (would be, on a dry run). */
  rotated: number;
  /** Already under the active key. */
  current: number;
  failed: number;
}

export interface KeyRotationResult {
  activeKeyId: string;
  dryRun: boolean;
  tables: TableRotation[];
  unreadable: UnreadableRow[];
  /** Rows per key id across every table, once the rotation is done (on a dry run: as found). */
  keysInUse: Record<string, number>;
}

const PAGE = 200;

/**
 * Re-seals every sealed value (provider configs, soft-deleted ones too, and webhook signing
 * secrets) that is not under the active key. One row at a time, each its own short statement,
 * written only if the row still holds what was read (compare-and-set): nothing is locked beyond
 * the row being written, a config saved meanwhile is never overwritten, and a rotation stopped
 * anywhere leaves every row readable, either still under its old key (which stays in the ring
 * until no row uses it) or under the new one. Running it again rotates what is left; once all is
 * done it rotates nothing.
 *
 * A row that does not decrypt (its key is not configured, or it fails authentication) is reported
 * and left as it is; everything else is still rotated. One audit entry records a run that rotated
 * or failed anything.
 */
export async function rotateEncryptionKey(
  db: Database,
  secretBox: SecretBox,
  options: KeyRotationOptions,
): Promise<KeyRotationResult> {
  const active = secretBox.activeKeyId;
  const dryRun = options.dryRun ?? false;
  const tables: TableRotation[] = [];
  const unreadable: UnreadableRow[] = [];
  const fromKeys = new Set<string>();

  for (const table of SEALED_TABLES) {
    const stats: TableRotation = {
      table,
      rotated: 0,
      current: (await countSealedByKey(db, table)).get(active) ?? 0,
      failed: 0,
    };
    tables.push(stats);
    let afterId: string | null = null;
    for (;;) {
      const page = await listSealedNotUnder(db, table, active, { afterId, limit: PAGE });
      for (const row of page) {
        const outcome = await rotateRow(db, secretBox, table, row, dryRun);
        if (outcome.kind === 'rotated') {
          stats.rotated += 1;
          fromKeys.add(outcome.from);
          await options.onRotated?.(table, row.id, outcome.from);
        } else if (outcome.kind === 'current') {
          stats.current += 1;
        } else if (outcome.kind === 'unreadable') {
          stats.failed += 1;
          unreadable.push({ table, id: row.id, keyId: outcome.keyId, reason: outcome.reason });
        }
      }
      if (page.length < PAGE) break;
      afterId = page.at(-1)!.id;
    }
  }

  const keysInUse: Record<string, number> = {};
  for (const table of SEALED_TABLES) {
    for (const [keyId, n] of await countSealedByKey(db, table)) {
      keysInUse[keyId] = (keysInUse[keyId] ?? 0) + n;
    }
  }
  const touched = tables.some((t) => t.rotated > 0 || t.failed > 0);
  if (!dryRun && touched) {
    await recordAudit(db, {
      tenantId: null,
      actor: options.actor,
      action: 'encryption_key.rotated',
      targetType: 'encryption_key',
      targetId: active,
      details: {
        fromKeyIds: [...fromKeys].sort(),
        tables: Object.fromEntries(tables.map(({ table, ...counts }) => [table, counts])),
        unreadable: unreadable.map(({ table, id, keyId }) => ({ table, id, keyId })),
      },
    });
  }
  return { activeKeyId: active, dryRun, tables, unreadable, keysInUse };
}

type RowOutcome =
  | { kind: 'rotated'; from: string }
  | { kind: 'current' }
  | { kind: 'unreadable'; keyId: string; reason: string }
  | { kind: 'gone' };

async function rotateRow(
  db: Database,
  secretBox: SecretBox,
  table: SealedTable,
  listed: SealedValue,
  dryRun: boolean,
): Promise<RowOutcome> {
  let row: SealedValue | undefined = listed;
  // A row saved between the read and the write is read again; a busy row gets a few tries.
  for (let attempt = 0; attempt < 5 && row !== undefined; attempt++) {
    if (row.keyId === secretBox.activeKeyId) return { kind: 'current' };
    let plaintext: string;
    try {
      plaintext = secretBox.decrypt(row, AAD[table](row.id));
    } catch (error) {
      if (!(error instanceof SecretBoxError)) throw error;
      return { kind: 'unreadable', keyId: row.keyId, reason: error.message };
    }
    if (dryRun) return { kind: 'rotated', from: row.keyId };
    const sealed = secretBox.encrypt(plaintext, AAD[table](row.id));
    if (await replaceSealed(db, table, row, sealed)) return { kind: 'rotated', from: row.keyId };
    row = await findSealed(db, table, row.id);
  }
  if (row === undefined) return { kind: 'gone' };
  throw new Error(`${table} ${row.id} kept changing while it was being re-sealed; run the rotation again`);
}
