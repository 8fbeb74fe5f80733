import ssh2 from 'ssh2';

import { ConnectorError } from '../connector.js';

const { STATUS_CODE } = ssh2.utils.sftp;

/** ssh2 marks its errors with where they arose (`level`) and socket or SFTP status codes. */
type SshError = Error & { level?: string; code?: string | number };

/** Socket errors that say the server is unreachable for now, as opposed to misconfigured. */
const TRANSIENT_SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);

/**
 * How messages name a connection: `SFTP user@host:port`. Built from the settings and never from
 * an error's text, so that no password or key can end up in a message.
 */
export function describeEndpoint(settings: { host: string; port?: number; username: string }): string {
  return `SFTP ${settings.username}@${settings.host}:${settings.port ?? 22}`;
}

export function hostKeyMismatch(endpoint: string, expected: string, presented: string): ConnectorError {
  return new ConnectorError(
    'host_key_mismatch',
    `${endpoint}: the server's host key ${presented} does not match the pinned ${expected}; ` +
      'if the server changed its key on purpose, update hostKeyFingerprint',
  );
}

export function cancelled(endpoint: string): ConnectorError {
  return new ConnectorError('cancelled', `${endpoint}: cancelled`);
}

export function connectionClosed(endpoint: string): ConnectorError {
  return new ConnectorError('provider_unavailable', `${endpoint}: the server closed the connection`, {
    retryable: true,
  });
}

/** An error of the SSH connection itself: socket, handshake, login. */
export function connectionError(error: Error, endpoint: string): ConnectorError {
  const { level, code } = error as SshError;
  const options = { retryable: true, cause: error };
  switch (level) {
    case 'client-authentication':
      return new ConnectorError(
        'auth_failed',
        `${endpoint}: authentication failed (wrong password or key, or the user may not log in)`,
        { cause: error },
      );
    case 'client-timeout':
      return new ConnectorError('timeout', `${endpoint}: timed out (${error.message})`, options);
    case 'client-dns':
      // A name that does not resolve is usually a typo; a failing resolver (EAI_AGAIN) is not.
      return new ConnectorError('provider_unavailable', `${endpoint}: host name lookup failed (${code})`, {
        ...options,
        retryable: code !== 'ENOTFOUND',
      });
    case 'client-socket':
      if (code === 'ETIMEDOUT') {
        return new ConnectorError('timeout', `${endpoint}: connection timed out`, options);
      }
      return new ConnectorError(
        'provider_unavailable',
        `${endpoint}: connection failed (${typeof code === 'string' ? code : error.message})`,
        { ...options, retryable: typeof code !== 'string' || TRANSIENT_SOCKET_CODES.has(code) },
      );
    case undefined:
    default:
      return new ConnectorError(
        'provider_unavailable',
        `${endpoint}: SSH failure (${error.message})`,
        options,
      );
  }
}

/** An error answering an SFTP request about `remotePath`. */
export function remoteError(error: unknown, endpoint: string, remotePath: string): ConnectorError {
  if (error instanceof ConnectorError) return error;
  const code = (error as SshError).code;
  if (code === STATUS_CODE.NO_SUCH_FILE) {
    return new ConnectorError('not_found', `${endpoint}: ${remotePath} does not exist`, { cause: error });
  }
  if (code === STATUS_CODE.PERMISSION_DENIED) {
    // Logged in, but this user may not read the path: access to fix on the server, not to retry.
    return new ConnectorError('auth_failed', `${endpoint}: permission denied reading ${remotePath}`, {
      cause: error,
    });
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new ConnectorError('provider_unavailable', `${endpoint}: reading ${remotePath} failed (${reason})`, {
    retryable: true,
    cause: error,
  });
}
