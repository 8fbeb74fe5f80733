import ssh2 from 'ssh2';

/** Only what the tests and simulators use: an encrypted key needs its passphrase to read back. */
interface KeyOptions {
  passphrase: string;
  cipher: string;
  rounds: number;
}

/**
 * An Ed25519 key pair that ssh2 can read back. ssh2 1.17 writes about one Ed25519 private key in
 * two hundred in a form its own parser then rejects ("Malformed OpenSSH private key"), which
 * made host keys fail at random; a fresh pair is drawn until one reads back.
 */
export function generateEd25519KeyPair(options?: KeyOptions): { private: string; public: string } {
  for (let attempt = 1; ; attempt++) {
    const pair =
      options === undefined
        ? ssh2.utils.generateKeyPairSync('ed25519')
        : ssh2.utils.generateKeyPairSync('ed25519', options);
    const parsed = ssh2.utils.parseKey(pair.private, options?.passphrase);
    if (!(parsed instanceof Error)) return pair;
    if (attempt === 20) throw new Error(`cannot generate a readable Ed25519 key: ${parsed.message}`);
  }
}
