import { randomUUID } from 'node:crypto';

import type { Executor } from '../../src/db/client.js';
import type { SecretBox } from '../../src/lib/secret-box.js';
import { insertProvider } from '../../src/repositories/providers-repository.js';
import { ensureTenant } from '../../src/repositories/tenants-repository.js';
import { insertWebhook, webhookSecretAad } from '../../src/repositories/webhooks-repository.js';
import { providerConfigAad } from '../../src/services/provider-service.js';
import { validConfig } from './factories.js';

/*
 * Rows holding sealed secrets, written straight into their tables under a given key (as a
 * deployment that has run for a while under that key holds them), for the key rotation tests.
 */

export interface SealedProvider {
  id: string;
  config: Record<string, unknown>;
}
export interface SealedWebhook {
  id: string;
  secret: string;
}

const TYPES = ['CLEVER', 'CLASSLINK', 'ONEROSTER_API', 'ONEROSTER_CSV'] as const;

/** `providers` providers (every fourth soft-deleted) and `webhooks` subscriptions, sealed by `box`. */
export async function seedSealedRows(
  db: Executor,
  box: SecretBox,
  counts: { providers: number; webhooks: number; tenantId?: string },
): Promise<{ providers: SealedProvider[]; webhooks: SealedWebhook[] }> {
  const tenantId = counts.tenantId ?? 'rotation';
  await ensureTenant(db, tenantId);
  const providers: SealedProvider[] = [];
  for (let i = 0; i < counts.providers; i++) {
    const id = randomUUID();
    const providerType = TYPES[i % TYPES.length]!;
    const config = { ...validConfig(providerType), note: `provider ${i}` };
    const sealed = box.encrypt(JSON.stringify(config), providerConfigAad(id));
    await insertProvider(db, {
      id,
      tenantId,
      providerType,
      name: `Rotation ${i} ${id.slice(0, 8)}`,
      configCiphertext: sealed.ciphertext,
      configKeyId: sealed.keyId,
      createdBy: 'test',
      updatedBy: 'test',
      ...(i % 4 === 3 ? { deletedAt: new Date(), enabled: false } : {}),
    });
    providers.push({ id, config });
  }
  const webhooks: SealedWebhook[] = [];
  for (let i = 0; i < counts.webhooks; i++) {
    const id = randomUUID();
    const secret = `whsec-rotation-${randomUUID()}`;
    const sealed = box.encrypt(secret, webhookSecretAad({ id }));
    await insertWebhook(db, {
      id,
      tenantId,
      url: `https://hooks.example.org/${i}`,
      secretCiphertext: sealed.ciphertext,
      secretKeyId: sealed.keyId,
      createdBy: 'test',
      updatedBy: 'test',
    });
    webhooks.push({ id, secret });
  }
  return { providers, webhooks };
}

export interface SealedState {
  /** Rows per key id, both tables together. */
  keys: Record<string, number>;
  /** Ids of the rows `box` could not open, or opened to something else than was sealed. */
  unreadable: string[];
}

/** Opens every seeded row with `box` and compares it with what was sealed. */
export async function readSealedRows(
  db: Executor,
  box: SecretBox,
  seeded: { providers: SealedProvider[]; webhooks: SealedWebhook[] },
): Promise<SealedState> {
  const state: SealedState = { keys: {}, unreadable: [] };
  const open = (id: string, sealed: { ciphertext: string; keyId: string }, aad: string, expected: string) => {
    state.keys[sealed.keyId] = (state.keys[sealed.keyId] ?? 0) + 1;
    try {
      if (box.decrypt(sealed, aad) !== expected) state.unreadable.push(id);
    } catch {
      state.unreadable.push(id);
    }
  };
  const providers = await db.query.sisProviders.findMany();
  for (const p of seeded.providers) {
    const row = providers.find((r) => r.id === p.id);
    if (row === undefined) throw new Error(`provider ${p.id} is gone`);
    open(
      p.id,
      { ciphertext: row.configCiphertext, keyId: row.configKeyId },
      providerConfigAad(p.id),
      JSON.stringify(p.config),
    );
  }
  const webhooks = await db.query.sisWebhookSubscriptions.findMany();
  for (const w of seeded.webhooks) {
    const row = webhooks.find((r) => r.id === w.id);
    if (row === undefined) throw new Error(`webhook ${w.id} is gone`);
    open(
      w.id,
      { ciphertext: row.secretCiphertext, keyId: row.secretKeyId },
      webhookSecretAad({ id: w.id }),
      w.secret,
    );
  }
  return state;
}
