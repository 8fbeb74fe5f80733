import type { EntityType } from '../domain/entity.js';
import type { ProviderType } from '../domain/provider-type.js';
import type { ExtractedRecord, RecordError, RecordSource } from '../domain/records.js';
import type { Logger } from '../lib/logger.js';
import type { EgressPolicy } from '../lib/network-guard.js';
import type { HttpObserver } from './http/http-client.js';

/** Why a connector failed. A closed list: the engine and the API switch on it. */
export const CONNECTOR_ERROR_CODES = [
  'auth_failed',
  'rate_limited',
  'provider_unavailable',
  'timeout',
  'invalid_payload',
  'config_invalid',
  'not_found',
  'host_key_mismatch',
  'unsupported',
  'cancelled',
] as const;
export type ConnectorErrorCode = (typeof CONNECTOR_ERROR_CODES)[number];

export class ConnectorError extends Error {
  constructor(
    readonly code: ConnectorErrorCode,
    message: string,
    readonly options: { retryable?: boolean; source?: RecordSource; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ConnectorError';
  }

  get retryable(): boolean {
    return this.options.retryable ?? false;
  }
}

/**
 * How an entity arrives in this pull.
 * - `snapshot`: the complete current set; what it lacks is gone.
 * - `delta`: changes only; records not in it are unchanged, tombstones say what is gone.
 * - `absent`: not delivered; nothing of this entity changes.
 */
export type ExtractMode = 'snapshot' | 'delta' | 'absent';

/** One step of an extraction: records, per-record errors, and a file- or page-level problem. */
export interface ExtractBatch<E extends EntityType = EntityType> {
  records: ExtractedRecord<E>[];
  errors: RecordError[];
}

/**
 * A problem that makes an entity's pull incomplete (a missing file, a missing column, a broken
 * page): the engine loads what arrived but deactivates nothing of that entity.
 */
export interface IncompleteEntity {
  entity: EntityType;
  code: string;
  message: string;
  source: RecordSource;
}

/**
 * What a connector saw of one source file as it read it, for the engine's bad-export diagnosis
 * (which compares it with the last good pull's). Connectors without files report none.
 */
export interface SourceFileFacts {
  entity: EntityType;
  /** The header row as written: names untouched (case, spaces, invisible characters). */
  header: string[];
  /** The byte-order mark the file started with, or null. */
  bom: 'utf-8' | 'utf-16le' | null;
  /** What the bytes were decoded as. */
  encoding: 'utf-8' | 'utf-16le';
  /** Characters that could not be decoded in that encoding (each read as U+FFFD). */
  invalidCharacters: number;
  /** The first cell holding one, with its line. */
  firstInvalid: { line: number; text: string } | null;
  /** Data rows after the header; null when the file was not read to its end. */
  rows: number | null;
}

/** What a connector found on the other side, for "test connection" and run records. */
export interface ConnectionReport {
  /** One line for an admin: "OneRoster 1.1 package at /exports: 6 files, 1,204 users". */
  summary: string;
  details: Record<string, unknown>;
}

/** One pull from a provider: opened, read entity by entity, then closed. */
export interface ExtractSession {
  /** The mode of each entity in this pull. */
  readonly modes: Readonly<Record<EntityType, ExtractMode>>;
  /** Facts about the source recorded on the run (package version, system name, ...). */
  readonly sourceInfo: Record<string, unknown>;
  /**
   * Optional: what each file read so far looked like, by file name, filled in as entities are
   * extracted. The engine keeps it on the run (`sourceInfo.fileFacts`).
   */
  readonly fileFacts?: Readonly<Record<string, SourceFileFacts>>;
  /** Problems that apply to the whole pull but stop nothing (unknown files, quirks). */
  readonly warnings: RecordError[];
  /**
   * Where the next pull may resume (Clever: the newest event id), for an engine that keeps it
   * once this run is loaded and passes it back as `ConnectorContext.checkpoint`. Optional:
   * connectors without deltas, and engines that do not keep it, ignore it.
   */
  readonly checkpoint?: string | null;
  /**
   * Optional: a digest of what `extract(entity)` would read (a CSV file's bytes, with the version of
   * the reading and mapping), or null when there is none. Equal digests promise equal records, so
   * the engine may skip an entity whose digest matches the last applied run's.
   */
  fingerprint?(entity: EntityType): Promise<string | null>;
  /** Batches of mapped records; reports incompleteness through `onIncomplete`. */
  extract<E extends EntityType>(
    entity: E,
    onIncomplete: (problem: IncompleteEntity) => void,
  ): AsyncIterable<ExtractBatch<E>>;
  close(): Promise<void>;
}

export interface ConnectorContext {
  signal: AbortSignal;
  logger: Logger;
  /** The `checkpoint` of the last loaded run of this provider; absent or null: pull everything. */
  checkpoint?: string | null;
}

/** A provider, ready to use: built from its config by the registry's factory. */
export interface Connector {
  readonly type: ProviderType;
  testConnection(ctx: ConnectorContext): Promise<ConnectionReport>;
  open(ctx: ConnectorContext): Promise<ExtractSession>;
}

/** What a connector factory receives: its decrypted config and the services it may use. */
export interface ConnectorDeps {
  logger: Logger;
  /** Counts the connector's outbound HTTP (metrics); connectors hand it to their HTTP clients. */
  httpObserver?: HttpObserver;
  /**
   * Which non-public addresses the connector may reach (SIS_SYNC_OUTBOUND_ALLOW), checked on
   * every connection it opens; the service always passes it. Absent: not checked.
   */
  egress?: EgressPolicy;
}

/** The parts of a connector's deps that its HTTP clients take. */
export function httpDepsOf(deps: ConnectorDeps): { observer?: HttpObserver; egress?: EgressPolicy } {
  return {
    ...(deps.httpObserver === undefined ? {} : { observer: deps.httpObserver }),
    ...(deps.egress === undefined ? {} : { egress: deps.egress }),
  };
}

export type ConnectorFactory = (config: Record<string, unknown>, deps: ConnectorDeps) => Connector;
