/**
 * Every secret the suite stores. Distinctive strings, so that the log scan at the end of the run
 * (test/global-setup.ts) can look for them in everything the suite logged.
 */
export const TEST_SECRETS = {
  oneRosterClientSecret: 'orsecret-Qm9vbGVhbiBvcGVyYXRvcnM',
  oneRosterClientSecretRotated: 'orsecret-rotated-7f3c1e0a9b',
  cleverClientSecret: 'clvsecret-a71c92ee4410',
  cleverAccessToken: 'clvtoken-DISTRICT-88ab31',
  classlinkClientSecret: 'clsecret-3e8fd0b6c2',
  classlinkBearer: 'clbearer-proxy-55d0e1f7',
  sftpPassword: 'sftp-pass-Zx81!spectrum',
  sftpPrivateKey:
    '-----BEGIN OPENSSH PRIVATE KEY-----\ntestkeymaterial-b3BlbnNzaC1rZXktdjE\n-----END OPENSSH PRIVATE KEY-----',
  jwtSecret: 'jwt-test-secret-that-is-long-enough-0123456789',
} as const;

/** Strings that must never appear in a log line. */
export function forbiddenInLogs(): string[] {
  return [
    ...Object.values(TEST_SECRETS),
    // Any bearer token: JWT headers start with {"alg" -> eyJhbGciOi
    'eyJhbGciOi',
  ];
}
