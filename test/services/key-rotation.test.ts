import { randomBytes } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { DatabaseHandle } from '../../src/db/client.js';
import type { Principal } from '../../src/domain/roles.js';
import { createSecretBox, keyIdOf } from '../../src/lib/secret-box.js';
import { findSealed, replaceSealed } from '../../src/repositories/sealed-values-repository.js';
import { rotateEncryptionKey } from '../../src/services/key-rotation.js';
import { createProviderService, providerConfigAad } from '../../src/services/provider-service.js';
import { createTestDatabase, driver } from '../support/database.js';
import { readSealedRows, seedSealedRows } from '../support/sealed-rows.js';
import { TEST_SECRETS } from '../support/secrets.js';

/*
 * Key rotation (issue 8, item 5): "a rotation test interrupted half way and resumed: every config
 * still decrypts". Rows are sealed under key A; the deployment then runs with B active and A in
 * the ring, and the rotation is stopped after half the rows, resumed, and run once more.
 */

const actor: Principal = { subject: 'cli:test', roles: ['PLATFORM_ADMIN'], tenantId: undefined };
const keyA = randomBytes(32);
const keyB = randomBytes(32);
const idA = keyIdOf(keyA);
const idB = keyIdOf(keyB);
const boxA = createSecretBox(keyA);
const ringBA = createSecretBox(keyB, [keyA]);
const boxB = createSecretBox(keyB);

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle.close());

class Interrupted extends Error {}

const auditEntries = async () =>
  handle.db.query.auditLog.findMany({ where: (a, { eq }) => eq(a.action, 'encryption_key.rotated') });

describe(`key rotation on ${driver}`, () => {
  it('interrupted half way and resumed: every config and secret decrypts throughout, and ends under the new key', async () => {
    const seeded = await seedSealedRows(handle.db, boxA, { providers: 12, webhooks: 6, tenantId: 'rot-a' });
    const total = seeded.providers.length + seeded.webhooks.length;
    const updatedBefore = await handle.db.query.sisProviders.findMany({
      columns: { id: true, updatedAt: true },
      orderBy: (p, { asc }) => asc(p.id),
    });
    expect(await readSealedRows(handle.db, boxA, seeded)).toEqual({ keys: { [idA]: total }, unreadable: [] });

    // Stopped after half the rows: the error ends the rotation there, as a crash would.
    let rotated = 0;
    await expect(
      rotateEncryptionKey(handle.db, ringBA, {
        actor,
        onRotated: () => {
          rotated += 1;
          if (rotated === total / 2) throw new Interrupted('stopped half way');
        },
      }),
    ).rejects.toBeInstanceOf(Interrupted);
    // Half under B, half still under A, and every one of them opens with the ring {B, A}.
    expect(await readSealedRows(handle.db, ringBA, seeded)).toEqual({
      keys: { [idA]: total / 2, [idB]: total / 2 },
      unreadable: [],
    });
    // A deployment on that ring reads every live provider's config (soft-deleted ones were read above).
    const service = createProviderService({
      db: handle.db,
      secretBox: ringBA,
      production: false,
      importDir: undefined,
    });
    const deleted = new Set(
      (await handle.db.query.sisProviders.findMany()).filter((r) => r.deletedAt !== null).map((r) => r.id),
    );
    expect(deleted.size).toBeGreaterThan(0);
    for (const p of seeded.providers.filter((p) => !deleted.has(p.id))) {
      expect((await service.loadConfig(p.id))?.config, p.id).toEqual(p.config);
    }
    expect(await auditEntries()).toEqual([]);

    // Resumed: the rest is rotated, what was done counts as current.
    const resumed = await rotateEncryptionKey(handle.db, ringBA, { actor });
    const rotatedBefore = total / 2;
    expect(resumed.tables.reduce((n, t) => n + t.rotated, 0)).toBe(total - rotatedBefore);
    expect(resumed.tables.reduce((n, t) => n + t.current, 0)).toBe(rotatedBefore);
    expect(resumed.tables.every((t) => t.failed === 0)).toBe(true);
    expect(resumed.unreadable).toEqual([]);
    expect(resumed.keysInUse).toEqual({ [idB]: total });
    // Under B alone now: A can leave the ring.
    expect(await readSealedRows(handle.db, boxB, seeded)).toEqual({ keys: { [idB]: total }, unreadable: [] });
    // Re-sealing is not an edit.
    expect(
      await handle.db.query.sisProviders.findMany({
        columns: { id: true, updatedAt: true },
        orderBy: (p, { asc }) => asc(p.id),
      }),
    ).toEqual(updatedBefore);

    // One audit entry, with counts and key ids, no secret.
    const [entry, ...more] = await auditEntries();
    expect(more).toEqual([]);
    expect(entry).toMatchObject({
      actor: 'cli:test',
      targetType: 'encryption_key',
      targetId: idB,
      tenantId: null,
    });
    expect(entry!.details).toMatchObject({
      fromKeyIds: [idA],
      tables: {
        sis_providers: { rotated: expect.any(Number), current: expect.any(Number), failed: 0 },
        sis_webhook_subscriptions: { rotated: expect.any(Number), current: expect.any(Number), failed: 0 },
      },
      unreadable: [],
    });
    const details = JSON.stringify(entry!.details);
    for (const secret of [...Object.values(TEST_SECRETS), ...seeded.webhooks.map((w) => w.secret)]) {
      expect(details).not.toContain(secret);
    }

    // Once more: nothing to do, and nothing recorded.
    const again = await rotateEncryptionKey(handle.db, ringBA, { actor });
    expect(again.tables.map((t) => [t.table, t.rotated, t.failed])).toEqual([
      ['sis_providers', 0, 0],
      ['sis_webhook_subscriptions', 0, 0],
    ]);
    expect(again.tables.reduce((n, t) => n + t.current, 0)).toBe(total);
    expect(await auditEntries()).toHaveLength(1);
  });

  it('a row under a key that is not configured is reported by id and key, and everything else is still rotated', async () => {
    const keyC = randomBytes(32);
    const keyD = randomBytes(32);
    const boxC = createSecretBox(keyC);
    const boxD = createSecretBox(keyD);
    const lost = await seedSealedRows(handle.db, boxC, { providers: 1, webhooks: 1, tenantId: 'rot-lost' });
    const fine = await seedSealedRows(handle.db, boxA, { providers: 3, webhooks: 1, tenantId: 'rot-fine' });
    // B too: the first test's rows are under it.
    const ringDA = createSecretBox(keyD, [keyA, keyB]);

    const dry = await rotateEncryptionKey(handle.db, ringDA, { actor, dryRun: true });
    expect(dry.unreadable.map((u) => u.id).sort()).toEqual(
      [lost.providers[0]!.id, lost.webhooks[0]!.id].sort(),
    );
    expect(await readSealedRows(handle.db, boxA, fine)).toMatchObject({ unreadable: [] });

    const result = await rotateEncryptionKey(handle.db, ringDA, { actor });
    expect(result.unreadable).toEqual(
      expect.arrayContaining([
        {
          table: 'sis_providers',
          id: lost.providers[0]!.id,
          keyId: keyIdOf(keyC),
          reason: expect.stringContaining('not configured') as unknown,
        },
        {
          table: 'sis_webhook_subscriptions',
          id: lost.webhooks[0]!.id,
          keyId: keyIdOf(keyC),
          reason: expect.stringContaining('not configured') as unknown,
        },
      ]),
    );
    expect(result.unreadable).toHaveLength(2);
    for (const reason of result.unreadable.map((u) => u.reason)) {
      for (const secret of Object.values(TEST_SECRETS)) expect(reason).not.toContain(secret);
    }
    expect(result.tables.find((t) => t.table === 'sis_providers')?.failed).toBe(1);
    // Everything readable moved to D (the first test's rows too).
    expect(await readSealedRows(handle.db, boxD, fine)).toEqual({
      keys: { [keyIdOf(keyD)]: 4 },
      unreadable: [],
    });
    expect(result.keysInUse).toEqual({ [keyIdOf(keyD)]: expect.any(Number) as unknown, [keyIdOf(keyC)]: 2 });
    // The lost rows are as they were: with key C back in the ring they still open.
    expect(await readSealedRows(handle.db, boxC, lost)).toEqual({
      keys: { [keyIdOf(keyC)]: 2 },
      unreadable: [],
    });
  });

  it('never overwrites a value saved after it was read (compare-and-set)', async () => {
    const seeded = await seedSealedRows(handle.db, boxA, { providers: 1, webhooks: 0, tenantId: 'rot-cas' });
    const id = seeded.providers[0]!.id;
    const read = (await findSealed(handle.db, 'sis_providers', id))!;
    // Saved meanwhile by a server still running with A active: same key, new ciphertext.
    const saved = boxA.encrypt(JSON.stringify({ edited: true }), providerConfigAad(id));
    expect(await replaceSealed(handle.db, 'sis_providers', read, saved)).toBe(true);
    const stale = ringBA.encrypt(JSON.stringify(seeded.providers[0]!.config), providerConfigAad(id));
    expect(await replaceSealed(handle.db, 'sis_providers', read, stale)).toBe(false);
    expect(await findSealed(handle.db, 'sis_providers', id)).toEqual({ id, ...saved });
  });
});
