import { createHash } from 'node:crypto';

import ssh2 from 'ssh2';

/**
 * OpenSSH's fingerprint of a public key blob (the key in SSH wire format): `SHA256:` and the
 * unpadded base64 SHA-256 digest, exactly what `ssh-keygen -lf` prints, so that an admin can
 * pin what their SFTP host shows them.
 */
export function sshFingerprint(publicKeyBlob: Buffer): string {
  const digest = createHash('sha256').update(publicKeyBlob).digest('base64');
  return `SHA256:${digest.replace(/=+$/, '')}`;
}

/** The fingerprint of a key given as text: OpenSSH public key, or PEM/OpenSSH private key. */
export function keyTextFingerprint(keyText: string): string {
  const key = ssh2.utils.parseKey(keyText);
  if (key instanceof Error) throw new Error(`not a usable SSH key: ${key.message}`);
  return sshFingerprint(key.getPublicSSH());
}

/** Whether two fingerprints name the same key; the config schema allows a trailing `=`. */
export function sameFingerprint(a: string, b: string): boolean {
  return a.replace(/=+$/, '') === b.replace(/=+$/, '');
}
