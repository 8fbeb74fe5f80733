/** The SQLSTATE and constraint of a PostgreSQL error, wherever a driver or ORM wrapped it. */
export function pgErrorOf(error: unknown): { code: string; constraint: string | undefined } | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const candidate = current as { code?: unknown; constraint?: unknown; cause?: unknown };
    if (typeof candidate.code === 'string' && /^[0-9A-Z]{5}$/.test(candidate.code)) {
      return {
        code: candidate.code,
        constraint: typeof candidate.constraint === 'string' ? candidate.constraint : undefined,
      };
    }
    current = candidate.cause;
  }
  return undefined;
}

export function isUniqueViolation(error: unknown, constraint: string): boolean {
  const pg = pgErrorOf(error);
  return pg?.code === '23505' && (pg.constraint === undefined || pg.constraint === constraint);
}

/** SQLSTATEs of a server that went away or is not up yet: connection exceptions, shutdowns, start-up. */
const CONNECTION_LOST = /^(08...|57P0[123])$/;
/** What node-postgres and the socket say when the connection drops without a SQLSTATE. */
const SOCKET_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTCONN']);

/**
 * The connection to the database was lost or refused (a restart, a failover, a network cut): the
 * statement may not have run, and a later one on a new connection may succeed.
 */
export function isConnectionLost(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const candidate = current as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof candidate.code === 'string') {
      if (CONNECTION_LOST.test(candidate.code) || SOCKET_ERRORS.has(candidate.code)) return true;
    }
    if (
      typeof candidate.message === 'string' &&
      /^(Connection terminated|Client has encountered a connection error)/.test(candidate.message)
    ) {
      return true;
    }
    current = candidate.cause;
  }
  return false;
}
