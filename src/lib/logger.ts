import { pino, type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

/**
 * Paths that may carry credentials or personal data. Rosters hold names, emails and sometimes
 * passwords, so payloads are never logged in the first place; this list is the second line.
 */
const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  'config',
  '*.config',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'clientSecret',
  '*.clientSecret',
  'accessToken',
  '*.accessToken',
  'privateKey',
  '*.privateKey',
  'token',
  '*.token',
];

export interface LoggerOptions {
  level: string;
  /**
   * Where log lines go. Default: JSON lines on stdout, or readable lines when stdout is a
   * terminal. Tests pass a file, to scan it for secrets.
   */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { service: 'sis-sync' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ??
      (process.stdout.isTTY ? pretty({ colorize: true, ignore: 'pid,hostname,service' }) : undefined),
  );
}
