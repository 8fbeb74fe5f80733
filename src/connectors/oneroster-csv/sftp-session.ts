import { setMaxListeners } from 'node:events';
import { readFile } from 'node:fs/promises';

import ssh2, { type Client, type ConnectConfig, type SFTPWrapper } from 'ssh2';
import type { Static } from 'typebox';

import { type EgressPolicy, findEgressRefusal, resolveChecked } from '../../lib/network-guard.js';
import { ConnectorError } from '../connector.js';
import type { sftpConfigSchema } from './config.js';
import {
  cancelled,
  connectionClosed,
  connectionError,
  describeEndpoint,
  hostKeyMismatch,
} from './sftp-errors.js';
import { sameFingerprint, sshFingerprint } from './sftp-fingerprint.js';

/** The `sftp` object of a OneRoster CSV provider config. */
export type SftpSettings = Static<typeof sftpConfigSchema>;

export interface SftpSessionOptions {
  signal: AbortSignal;
  /** How long the connection, handshake and login may take; 20 s by default. */
  readyTimeoutMs?: number;
  /** Which non-public addresses the host may resolve to; absent: not checked. */
  egress?: EgressPolicy;
}

/** Work done over one SFTP channel; `signal` fires when the connection fails or is cancelled. */
export type SftpWork<T> = (sftp: SFTPWrapper, signal: AbortSignal) => Promise<T>;

const DEFAULT_READY_TIMEOUT_MS = 20_000;

/**
 * Connects, checks the host key against the pinned fingerprint before sending any credential,
 * logs in, opens an SFTP channel, runs `work` and disconnects. Every failure is a ConnectorError;
 * when the connection drops or `options.signal` aborts, that is the error, whatever `work` saw.
 */
export async function withSftpSession<T>(
  settings: SftpSettings,
  options: SftpSessionOptions,
  work: SftpWork<T>,
): Promise<T> {
  const endpoint = describeEndpoint(settings);
  if (options.signal.aborted) throw cancelled(endpoint);
  const client = new ssh2.Client();
  const session = new AbortController();
  // Work may have many requests in flight, each listening for the end of the session.
  setMaxListeners(100, session.signal);
  const fail = (error: ConnectorError) => {
    if (!session.signal.aborted) session.abort(error);
  };
  session.signal.addEventListener('abort', () => client.destroy(), { once: true });
  const onCancel = () => fail(cancelled(endpoint));
  options.signal.addEventListener('abort', onCancel, { once: true });

  let presentedKey: string | undefined;
  client.on('error', (error: Error) => {
    const expected = settings.hostKeyFingerprint;
    fail(
      presentedKey !== undefined && !sameFingerprint(presentedKey, expected)
        ? hostKeyMismatch(endpoint, expected, presentedKey)
        : connectionError(error, endpoint),
    );
  });
  client.on('close', () => fail(connectionClosed(endpoint)));
  if (settings.password !== undefined) answerPasswordPrompts(client, settings.password);

  try {
    const config = await connectConfig(settings, options, (key) => {
      presentedKey = sshFingerprint(key);
      return sameFingerprint(presentedKey, settings.hostKeyFingerprint);
    });
    if (options.egress !== undefined) {
      // Resolved and checked here, then connected to by address, so the name cannot resolve
      // elsewhere in between; messages keep naming the configured host.
      config.host = await checkedAddress(options.egress, settings.host);
    }
    const sftp = await untilAborted<SFTPWrapper>(session.signal, (done) => {
      client.once('ready', () => client.sftp(done));
      client.connect(config);
    });
    return await work(sftp, session.signal);
  } catch (error) {
    if (session.signal.aborted) throw session.signal.reason;
    if (error instanceof ConnectorError) throw error;
    throw connectionError(error instanceof Error ? error : new Error(String(error)), endpoint);
  } finally {
    options.signal.removeEventListener('abort', onCancel);
    client.end();
  }
}

/** The checked address of `host`; a refused one is a configuration problem, never retried. */
async function checkedAddress(policy: EgressPolicy, host: string): Promise<string> {
  try {
    return (await resolveChecked(policy, host)).address;
  } catch (error) {
    const refused = findEgressRefusal(error);
    if (refused === undefined) {
      // A failed lookup reads as ssh2's own (`client-dns`), so the same message and retry apply.
      if (error instanceof Error) Object.assign(error, { level: 'client-dns' });
      throw error;
    }
    throw new ConnectorError('config_invalid', `OneRoster CSV: ${refused.describe('SFTP')}`);
  }
}

/**
 * Runs one callback-style request, settling early when `signal` aborts: a request whose
 * connection died may never be answered.
 */
export function untilAborted<T>(
  signal: AbortSignal,
  start: (done: (error: Error | null | undefined, value: T) => void) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    start((error, value) => {
      signal.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve(value);
    });
  });
}

async function connectConfig(
  settings: SftpSettings,
  options: SftpSessionOptions,
  verifyHostKey: (key: Buffer) => boolean,
): Promise<ConnectConfig> {
  const config: ConnectConfig = {
    host: settings.host,
    port: settings.port ?? 22,
    username: settings.username,
    readyTimeout: options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
    // A server that stops answering mid-transfer surfaces as a timeout instead of a hang.
    keepaliveInterval: 15_000,
    keepaliveCountMax: 4,
    hostVerifier: verifyHostKey,
  };
  if (settings.password !== undefined) {
    config.password = settings.password;
    // Servers that take passwords only through keyboard-interactive (PAM) prompts.
    config.tryKeyboard = true;
  }
  const privateKey = await loadPrivateKey(settings);
  if (privateKey !== undefined) {
    config.privateKey = privateKey;
    if (settings.passphrase !== undefined) config.passphrase = settings.passphrase;
  }
  return config;
}

/** The private key text, checked to be usable so that a bad key or passphrase is a config error. */
async function loadPrivateKey(settings: SftpSettings): Promise<string | undefined> {
  const endpoint = describeEndpoint(settings);
  const { privateKeyPath } = settings;
  let key = settings.privateKey;
  if (key === undefined && privateKeyPath !== undefined) {
    try {
      key = await readFile(privateKeyPath, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new ConnectorError(
        'config_invalid',
        `${endpoint}: cannot read privateKeyPath ${privateKeyPath} (${code})`,
      );
    }
  }
  if (key === undefined) return undefined;
  // ssh2's key parser reports formats and passphrase problems, never key material.
  const parsed = ssh2.utils.parseKey(key, settings.passphrase);
  if (parsed instanceof Error) {
    const source = privateKeyPath === undefined ? 'privateKey' : `the key in ${privateKeyPath}`;
    throw new ConnectorError('config_invalid', `${endpoint}: ${source} is not usable (${parsed.message})`);
  }
  return key;
}

/** Answers a single keyboard-interactive prompt (PAM's "Password:") with the password. */
function answerPasswordPrompts(client: Client, password: string): void {
  client.on('keyboard-interactive', (_name, _instructions, _lang, prompts, finish) => {
    finish(prompts.length === 1 ? [password] : []);
  });
}
