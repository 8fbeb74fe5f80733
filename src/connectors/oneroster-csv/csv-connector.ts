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
  type ConnectorDeps,
  type ExtractBatch,
  type ExtractMode,
  type ExtractSession,
  type IncompleteEntity,
  type SourceFileFacts,
} from '../connector.js';
import { oneRosterEntities } from '../oneroster/entities.js';
import type { OneRosterVersion } from '../oneroster/row-reader.js';
import type { OneRosterCsvConfig } from './config.js';
import type { CsvFileFacts } from './csv-rows.js';
import { extractFile } from './extract-rows.js';
import { readManifest, type FileMode, type Manifest } from './manifest.js';
import { openPackage, type PackageFiles } from './package-files.js';
import { packageVersion } from './package-version.js';
import { fetchFromSftp, listSftp } from './sftp-fetch.js';
import { extractUsers1p2 } from './users-1p2.js';

/**
 * Part of every file fingerprint: bump it whenever a change to reading or mapping would turn the
 * same file into different records, so that no run skips a file read the old way. 2: OneRoster
 * 1.2, file names matched whatever their case, trailing empty header names tolerated.
 */
const READER_VERSION = 2;

/** OneRoster files sis-sync reads no data from (gradebook, resources, demographics). */
const IGNORED = [
  'demographics',
  'categories',
  'classResources',
  'courseResources',
  'lineItems',
  'resources',
  'results',
];
/** What 1.2 adds to them (providers.md 1.9). */
const IGNORED_1P2 = [
  'userResources',
  'scoreScales',
  'lineItemScoreScales',
  'resultScoreScales',
  'lineItemLearningObjectiveIds',
  'resultLearningObjectiveIds',
];

const MODE_OF: Record<FileMode, ExtractMode> = { bulk: 'snapshot', delta: 'delta', absent: 'absent' };

export function createOneRosterCsvConnector(
  config: OneRosterCsvConfig,
  deps: Pick<ConnectorDeps, 'egress'> = {},
): Connector {
  const sftpOptions = (ctx: ConnectorContext) => ({
    signal: ctx.signal,
    ...(deps.egress === undefined ? {} : { egress: deps.egress }),
  });
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
      const fetched = await fetchFromSftp(config.sftp, config.remotePath, temp, sftpOptions(ctx));
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

  const versionOf = (manifest: Manifest) =>
    packageVersion(manifest.onerosterVersion, config.onerosterVersion ?? 'auto');

  return {
    type: 'ONEROSTER_CSV',

    async testConnection(ctx) {
      if (config.sftp !== undefined && config.remotePath !== undefined) {
        const listing = await listSftp(config.sftp, config.remotePath, sftpOptions(ctx));
        return sftpReport(listing, config.remotePath);
      }
      const { files, cleanup } = await localPackage(ctx);
      try {
        const manifest = await loadManifest(files);
        return packageReport(files, manifest, versionOf(manifest).version);
      } finally {
        await files.close();
        await cleanup();
      }
    },

    async open(ctx) {
      const { files, cleanup } = await localPackage(ctx);
      try {
        const manifest = await loadManifest(files);
        const { version, warning: versionWarning } = versionOf(manifest);
        return createSession(files, manifest, version, versionWarning, cleanup);
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
      `manifest.csv is missing from the ${files.description}; a OneRoster package starts with one`,
    );
  }
  try {
    return await readManifest(await files.open('manifest.csv'));
  } catch (error) {
    throw new ConnectorError('invalid_payload', `manifest.csv cannot be read: ${(error as Error).message}`);
  }
}

function createSession(
  files: PackageFiles,
  manifest: Manifest,
  version: OneRosterVersion,
  versionWarning: string | null,
  cleanup: () => Promise<void>,
): ExtractSession {
  const specs = oneRosterEntities(version);
  const warnings: RecordError[] = manifest.warnings.map((message) =>
    warning('manifest_value', message, 'manifest.csv'),
  );
  if (versionWarning !== null) warnings.push(warning('manifest_version', versionWarning, 'manifest.csv'));

  const read = ENTITY_TYPES.map((e) => `${specs[e].collection}.csv`);
  if (version === '1.2') read.push('roles.csv', 'userProfiles.csv');
  const ignored = [...IGNORED, ...(version === '1.2' ? IGNORED_1P2 : [])].map((n) => `${n}.csv`);
  // The spec's file name -> its name in this package. Names are matched whatever their case
  // (real 1.2 exports ship userprofiles.csv), with a warning.
  const actual = new Map<string, string>();
  for (const name of files.names) {
    if (name === 'manifest.csv') continue;
    const spec = [...read, ...ignored].find((n) => n.toLowerCase() === name.toLowerCase());
    if (spec === undefined) {
      warnings.push(
        warning('unknown_file', `${name} is not a OneRoster ${version} file and is ignored`, name),
      );
      continue;
    }
    if (ignored.includes(spec)) continue;
    const other = actual.get(spec);
    if (other !== undefined) {
      // Two spellings of one file: the exact one is read.
      const [kept, dropped] = name === spec ? [name, other] : [other, name];
      warnings.push(
        warning('duplicate_file', `${dropped} is ignored: ${kept} is the package's ${spec}`, dropped),
      );
      actual.set(spec, kept);
      continue;
    }
    if (spec !== name) {
      warnings.push(
        warning('file_name_case', `${name} should be named ${spec}; it is read as ${spec}`, name),
      );
    }
    actual.set(spec, name);
    const base = spec.slice(0, -4);
    if (!manifest.files.has(base)) {
      warnings.push(
        warning(
          'unlisted_file',
          `${name} is in the package but manifest.csv has no file.${base} row; it is ignored`,
          name,
        ),
      );
    } else if (manifest.files.get(base) === 'absent') {
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

  const modeOf = (collection: string): FileMode => manifest.files.get(collection) ?? 'absent';
  const modes = Object.fromEntries(
    ENTITY_TYPES.map((e) => [e, MODE_OF[modeOf(specs[e].collection)]]),
  ) as Record<EntityType, ExtractMode>;
  /** The files an entity is read from: 1.2 users also take roles.csv and userProfiles.csv. */
  const sourcesOf = (entity: EntityType): string[] =>
    version === '1.2' && entity === 'users'
      ? ['users.csv', 'roles.csv', 'userProfiles.csv']
      : [`${specs[entity].collection}.csv`];

  const fileFacts: Record<string, SourceFileFacts> = {};
  /** Keeps the facts object itself: the reader fills in its row count as the rows are read. */
  const sawFile = (entity: EntityType) => (name: string, facts: CsvFileFacts) => {
    fileFacts[name] = Object.assign(facts, { entity });
  };

  return {
    modes,
    fileFacts,
    sourceInfo: {
      format: `OneRoster ${version} CSV`,
      ...(manifest.onerosterVersion === null ? {} : { declaredVersion: manifest.onerosterVersion }),
      package: files.description,
      systemName: manifest.systemName,
      systemCode: manifest.systemCode,
      files: Object.fromEntries(manifest.files),
    },
    warnings,
    async fingerprint(entity) {
      const [main, ...others] = sourcesOf(entity);
      const mainFile = actual.get(main!);
      if (mainFile === undefined) return null;
      const hash = createHash('sha256');
      for (const spec of [main!, ...others]) {
        const name = actual.get(spec);
        const mode = modeOf(spec.slice(0, -4));
        // Each file's name and mode go in too: the same bytes under another mode read differently.
        hash.update(`${spec}\u0000${mode}\u0000${name === undefined || mode === 'absent' ? '-' : '+'}\u0000`);
        if (name === undefined || mode === 'absent') continue;
        for await (const chunk of await files.open(name)) hash.update(chunk as Buffer);
        hash.update('\u0000');
      }
      return `oneroster-csv/${READER_VERSION}/${version}:${hash.digest('base64url')}`;
    },
    extract<E extends EntityType>(
      entity: E,
      onIncomplete: (problem: IncompleteEntity) => void,
    ): AsyncIterable<ExtractBatch<E>> {
      const mode = modes[entity];
      if (mode === 'absent') return (async function* () {})();
      if (version === '1.2' && entity === 'users') {
        return extractUsers1p2(
          {
            nameOf: (file) => actual.get(file),
            open: (name) => files.open(name),
            modeOf,
            saw: sawFile(entity),
          },
          mode,
          onIncomplete,
        ) as AsyncIterable<ExtractBatch<E>>;
      }
      const spec = specs[entity];
      const file = actual.get(`${spec.collection}.csv`);
      if (file === undefined) {
        onIncomplete({
          entity,
          code: 'missing_file',
          message: `manifest.csv says file.${spec.collection}=${mode === 'delta' ? 'delta' : 'bulk'} but ${spec.collection}.csv is not in the package`,
          source: { file: `${spec.collection}.csv` },
        });
        return (async function* () {})();
      }
      const saw = (facts: CsvFileFacts) => sawFile(entity)(file, facts);
      return extractFile(
        { entity, spec, version, file, mode, open: () => files.open(file), saw },
        onIncomplete,
      );
    },
    async close() {
      await files.close();
      await cleanup();
    },
  };
}

function warning(code: string, message: string, file: string): RecordError {
  return { externalId: null, field: null, code, message, source: { file }, severity: 'warning' };
}

function packageReport(files: PackageFiles, manifest: Manifest, version: OneRosterVersion): ConnectionReport {
  const declared = [...manifest.files].filter(([, mode]) => mode !== 'absent');
  return {
    summary: `OneRoster ${version} package (${files.description}): ${declared
      .map(([name, mode]) => `${name} ${mode}`)
      .join(', ')}`,
    details: {
      package: files.description,
      version,
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
