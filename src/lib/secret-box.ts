import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM with a key ring. The active key encrypts; every key in the ring decrypts. Each
 * ciphertext names the key that made it (a fingerprint, not the key), so keys can rotate without
 * anyone keeping a table of key names. Associated data binds a ciphertext to its row: a config
 * copied onto another provider's row does not decrypt.
 */
export interface SecretBox {
  readonly activeKeyId: string;
  encrypt(plaintext: string, associatedData: string): { ciphertext: string; keyId: string };
  decrypt(sealed: { ciphertext: string; keyId: string }, associatedData: string): string;
}

export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A key's public name: the first 16 hex digits of SHA-256 over it. */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update('sis-sync key id\0').update(key).digest('hex').slice(0, 16);
}

export function createSecretBox(activeKey: Buffer, previousKeys: readonly Buffer[] = []): SecretBox {
  for (const key of [activeKey, ...previousKeys]) {
    if (key.length !== 32) throw new SecretBoxError('an AES-256-GCM key is 32 bytes');
  }
  const ring = new Map<string, Buffer>();
  for (const key of [activeKey, ...previousKeys]) ring.set(keyIdOf(key), key);
  const activeKeyId = keyIdOf(activeKey);

  return {
    activeKeyId,
    encrypt(plaintext, associatedData) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', activeKey, iv);
      cipher.setAAD(Buffer.from(associatedData, 'utf8'));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const sealed = Buffer.concat([iv, cipher.getAuthTag(), body]);
      return { ciphertext: `v1.${sealed.toString('base64')}`, keyId: activeKeyId };
    },
    decrypt({ ciphertext, keyId }, associatedData) {
      const key = ring.get(keyId);
      if (key === undefined) {
        throw new SecretBoxError(
          `this value was encrypted with key ${keyId}, which is not configured ` +
            '(set it as SIS_SYNC_ENCRYPTION_KEY or in SIS_SYNC_PREVIOUS_ENCRYPTION_KEYS)',
        );
      }
      if (!ciphertext.startsWith('v1.')) throw new SecretBoxError('unknown ciphertext format');
      const sealed = Buffer.from(ciphertext.slice(3), 'base64');
      if (sealed.length < IV_BYTES + TAG_BYTES) throw new SecretBoxError('ciphertext is truncated');
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(associatedData, 'utf8'));
      decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      try {
        return Buffer.concat([
          decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)),
          decipher.final(),
        ]).toString('utf8');
      } catch {
        throw new SecretBoxError('ciphertext failed authentication (wrong key, or tampered with)');
      }
    },
  };
}
