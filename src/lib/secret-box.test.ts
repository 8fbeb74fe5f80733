import { randomBytes } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { createSecretBox, keyIdOf } from './secret-box.js';

describe('secret box', () => {
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);

  it('round-trips, with a fresh IV each time', () => {
    const box = createSecretBox(newKey);
    const a = box.encrypt('{"clientSecret":"s3cret"}', 'row-1');
    const b = box.encrypt('{"clientSecret":"s3cret"}', 'row-1');
    expect(a.ciphertext).not.toBe(b.ciphertext);
    expect(a.ciphertext).not.toContain('s3cret');
    expect(a.keyId).toBe(keyIdOf(newKey));
    expect(box.decrypt(a, 'row-1')).toBe('{"clientSecret":"s3cret"}');
  });

  it('refuses other associated data and tampered ciphertext', () => {
    const box = createSecretBox(newKey);
    const sealed = box.encrypt('payload', 'row-1');
    expect(() => box.decrypt(sealed, 'row-2')).toThrow(/failed authentication/);
    const bytes = Buffer.from(sealed.ciphertext.slice(3), 'base64');
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 1, bytes.length - 1);
    expect(() => box.decrypt({ ...sealed, ciphertext: `v1.${bytes.toString('base64')}` }, 'row-1')).toThrow(
      /failed authentication/,
    );
  });

  it('decrypts with a previous key after rotation, and encrypts with the new one', () => {
    const sealed = createSecretBox(oldKey).encrypt('payload', 'row');
    const rotated = createSecretBox(newKey, [oldKey]);
    expect(rotated.decrypt(sealed, 'row')).toBe('payload');
    expect(rotated.encrypt('payload', 'row').keyId).toBe(keyIdOf(newKey));
  });

  it('names the missing key when a ciphertext comes from a key not configured', () => {
    const sealed = createSecretBox(oldKey).encrypt('payload', 'row');
    expect(() => createSecretBox(newKey).decrypt(sealed, 'row')).toThrow(keyIdOf(oldKey));
  });

  it('refuses keys that are not 32 bytes', () => {
    expect(() => createSecretBox(randomBytes(16))).toThrow(/32 bytes/);
  });
});
