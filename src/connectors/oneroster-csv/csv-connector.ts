import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { ENTITY_TYPES, type EntityType } from '../../domain/entity.js';
import type { RecordError } from '../../domain/records.js';
import {
  ConnectorError,
  type ConnectionReport,
  type Connector,
  type ConnectorContext,
  type ExtractBatch,
  type ExtractMode,
  type ExtractSession,
  type IncompleteEntity,
} from '../connector.js';
import { ONEROSTER_ENTITIES, mapOneRosterRow, toExtractedRecord } from '../oneroster/entities.js';
import type { OneRosterCsvConfig } from './config.js';
import { CsvFileError, readCsv } from './csv-rows.js';
import { readManifest, type FileMode, type Manifest } from './manifest.js';
import { openPackage, type PackageFiles } from './package-files.js';
import { fetchFromSftp, listSftp } from './sftp-fetch.js';

const BATCH_SIZE = 1000;

/**
 * Part of every file fingerprint: bump it whenever a change to reading or mapping would turn the
 * same file into different records, so that no run skips a file read the old way.
 */
const READER_VERSION = 1;

/** OneRoster 1.1 files sis-sync reads no data from (gradebook, resources, demographics). */
const IGNORED_FILES = new Set(
  [
    'demographics',
    'categories',
    'classResources',
    'courseResources',
    'lineItems',
    'resources',
    'results',
  ].map((n) => `${n}.csv`),
);

const MODE_OF: Record<FileMode, ExtractMode> = { bulk: 'snapshot', delta: 'delta', absent: 'absent' };

export function createOneRosterCsvConnector(config: OneRosterCsvConfig): Connector {
  /** The package as local files: the configured path, or a download from SFTP into a temp folder. */
  const localPackage = async (
    ctx: ConnectorContext,
  ): Promise<{ files: PackageFiles; cleanup: () => Promise<void> }> => {
    if (config.localPath !== undefined) {
      return { files: await openPackage(config.localPath), cleanup: async () => {} };
    }
    if (config.sftp === undefined || config.remotePath === undefined) {
      throw new ConnectorError(
        'config_invalid',
        'the config names neither localPath nor sftp and remotePath',
      );
    }
    const temp = await mkdtemp(path.join(tmpdir(), 'sis-sync-sftp-'));
    const cleanup = () => rm(temp, { recursive: true, force: true });
    try {
      const fetched = await fetchFromSftp(config.sftp, config.remotePath, temp, { signal: ctx.signal });
      ctx.logger.info(
        { files: fetched.files.length, kind: fetched.kind },
        'fetched the OneRoster package over SFTP',
      );
      return { files: await openPackage(fetched.localPath), cleanup };
    } catch (error) {
      await cleanup();
      throw error;
    }
  };

  return {
    type: 'ONEROSTER_CSV',

    async testConnection(ctx) {
      if (config.sftp !== undefined && config.remotePath !== undefined) {
        const listing = await listSftp(config.sftp, config.remotePath, { signal: ctx.signal });
        return sftpReport(listing, config.remotePath);
      }
      const { files, cleanup } = await localPackage(ctx);
      try {
        const manifest = await loadManifest(files);
        return packageReport(files, manifest);
      } finally {
        await files.close();
        await cleanup();
      }
    },

    async open(ctx) {
      const { files, cleanup } = await localPackage(ctx);
      try {
        const manifest = await loadManifest(files);
        return createSession(files, manifest, cleanup);
      } catch (error) {
        await files.close();
        await cleanup();
        throw error;
      }
    },
  };
}

async function loadManifest(files: PackageFiles): Promise<Manifest> {
  if (!files.names.includes('manifest.csv')) {
    throw new ConnectorError(
      'invalid_payload',
      `manifest.csv is missing from the ${files.description}; a OneRoster 1.1 package starts with one`,
    );
  }
  let manifest: Manifest;
  try {
    manifest = await readManifest(await files.open('manifest.csv'));
  } catch (error) {
    throw new ConnectorError('invalid_payload', `manifest.csv cannot be read: ${(error as Error).message}`);
  }
  const version = manifest.onerosterVersion;
  if (version !== null && version !== '1.1') {
    throw new ConnectorError(
      'unsupported',
      `manifest.csv declares OneRoster ${version}; this connector reads OneRoster 1.1 packages`,
    );
  }
  return manifest;
}

function createSession(
  files: PackageFiles,
  manifest: Manifest,
  cleanup: () => Promise<void>,
): ExtractSession {
  const warnings: RecordError[] = manifest.warnings.map((message) =>
    warning('manifest_value', message, 'manifest.csv'),
  );
  if (manifest.onerosterVersion === null) {
    warnings.push(
      warning(
        'manifest_version',
        'manifest.csv has no oneroster.version row; read as OneRoster 1.1',
        'manifest.csv',
      ),
    );
  }
  const used = new Set(ENTITY_TYPES.map((e) => `${ONEROSTER_ENTITIES[e].collection}.csv`));
  for (const name of files.names) {
    if (name === 'manifest.csv' || IGNORED_FILES.has(name)) continue;
    if (!used.has(name)) {
      warnings.push(warning('unknown_file', `${name} is not a OneRoster 1.1 file and is ignored`, name));
    } else if (!manifest.files.has(name.slice(0, -4))) {
      warnings.push(
        warning(
          'unlisted_file',
          `${name} is in the package but manifest.csv has no file.${name.slice(0, -4)} row; it is ignored`,
          name,
        ),
      );
    } else if (manifest.files.get(name.slice(0, -4)) === 'absent') {
      warnings.push(
        warning(
          'absent_file_present',
          `${name} is in the package but manifest.csv says absent; it is ignored`,
          name,
        ),
      );
    }
  }
  for (const name of files.nested) {
    warnings.push(warning('nested_file', `${name} is not at the package root and is ignored`, name));
  }

  const modes = Object.fromEntries(
    ENTITY_TYPES.map((e) => [e, MODE_OF[manifest.files.get(ONEROSTER_ENTITIES[e].collection) ?? 'absent']]),
  ) as Record<EntityType, ExtractMode>;

  return {
    modes,
    sourceInfo: {
      format: 'OneRoster 1.1 CSV',
      package: files.description,
      systemName: manifest.systemName,
      systemCode: manifest.systemCode,
      files: Object.fromEntries(manifest.files),
    },
    warnings,
    async fingerprint(entity) {
      const file = `${ONEROSTER_ENTITIES[entity].collection}.csv`;
      if (!files.names.includes(file)) return null;
      const hash = createHash('sha256');
      for await (const chunk of await files.open(file)) hash.update(chunk as Buffer);
      return `oneroster-csv/${READER_VERSION}:${hash.digest('base64url')}`;
    },
    extract: (entity, onIncomplete) => extractFile(files, entity, modes[entity], onIncomplete),
    async close() {
      await files.close();
      await cleanup();
    },
  };
}

async function* extractFile<E extends EntityType>(
  files: PackageFiles,
  entity: E,
  mode: ExtractMode,
  onIncomplete: (problem: IncompleteEntity) => void,
): AsyncGenerator<ExtractBatch<E>> {
  if (mode === 'absent') return;
  const spec = ONEROSTER_ENTITIES[entity];
  const file = `${spec.collection}.csv`;
  if (!files.names.includes(file)) {
    onIncomplete({
      entity,
      code: 'missing_file',
      message: `manifest.csv says file.${spec.collection}=${mode === 'delta' ? 'delta' : 'bulk'} but ${file} is not in the package`,
      source: { file },
    });
    return;
  }
  const stream = await files.open(file);
  let batch: ExtractBatch<E> = { records: [], errors: [] };
  try {
    const reader = await readCsv(stream, file, spec.columns, spec.requiredColumns);
    for (const problem of reader.header) {
      if (problem.fatal) {
        onIncomplete({ entity, code: problem.code, message: problem.message, source: { file, line: 1 } });
      } else {
        batch.errors.push({
          externalId: null,
          field: problem.column,
          code: problem.code,
          message: problem.message,
          source: { file, line: 1 },
          severity: 'warning',
        });
      }
    }
    if (reader.header.some((p) => p.fatal)) {
      stream.destroy();
      if (batch.errors.length > 0) yield batch;
      return;
    }
    for await (const row of reader.rows) {
      const mapped = mapOneRosterRow(spec, row.values, mode === 'delta');
      const source = { file, line: row.line };
      const problems = [...mapped.problems];
      if (row.cellCountProblem !== null) {
        problems.unshift({ field: '', code: 'invalid_value', message: row.cellCountProblem });
      }
      if (problems.length > 0) {
        for (const p of problems) {
          batch.errors.push({
            externalId: mapped.externalId,
            field: p.field === '' ? null : p.field,
            code: p.code,
            message: p.message.startsWith(file) ? p.message : `${file} line ${row.line}: ${p.message}`,
            source,
          });
        }
      } else if (mapped.externalId !== null) {
        batch.records.push(
          toExtractedRecord({ ...mapped, externalId: mapped.externalId }, row.values, source),
        );
      }
      if (batch.records.length + batch.errors.length >= BATCH_SIZE) {
        yield batch;
        batch = { records: [], errors: [] };
      }
    }
  } catch (error) {
    if (!(error instanceof CsvFileError)) throw error;
    onIncomplete({
      entity,
      code: 'malformed_file',
      message: error.message,
      source: { file, ...(error.line === undefined ? {} : { line: error.line }) },
    });
  }
  if (batch.records.length + batch.errors.length > 0) yield batch;
}

function warning(code: string, message: string, file: string): RecordError {
  return { externalId: null, field: null, code, message, source: { file }, severity: 'warning' };
}

function packageReport(files: PackageFiles, manifest: Manifest): ConnectionReport {
  const declared = [...manifest.files].filter(([, mode]) => mode !== 'absent');
  return {
    summary: `OneRoster ${manifest.onerosterVersion ?? '1.1'} package (${files.description}): ${declared
      .map(([name, mode]) => `${name} ${mode}`)
      .join(', ')}`,
    details: {
      package: files.description,
      systemName: manifest.systemName,
      files: files.names,
      manifest: Object.fromEntries(manifest.files),
    },
  };
}

function sftpReport(listing: Awaited<ReturnType<typeof listSftp>>, remotePath: string): ConnectionReport {
  return {
    summary: `SFTP ${remotePath}: ${listing.kind === 'zip' ? 'a zip file' : `a folder of ${listing.files.length} file(s)`}`,
    details: { ...listing },
  };
}
