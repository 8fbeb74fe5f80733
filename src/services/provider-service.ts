import { randomUUID } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';

import { REDACTED, containsPlaceholder, mergeSecrets, redactConfig } from '../connectors/config-secrets.js';
import { validateProviderConfig } from '../connectors/config-validation.js';
import { providerDefinition } from '../connectors/registry.js';
import type { Database, Transaction } from '../db/client.js';
import {
  describeBlackout,
  sameBlackoutWindows,
  validateBlackoutWindows,
  type BlackoutWindow,
  type BlackoutWindowInput,
} from '../domain/blackout.js';
import {
  ConflictError,
  NotFoundError,
  ServerPathNotAllowedError,
  TenantAccessDeniedError,
  ValidationError,
  type FieldIssue,
} from '../domain/errors.js';
import { MAX_GRACE_RUNS, MIN_GRACE_RUNS, isValidGraceRuns } from '../domain/grace.js';
import type { ProviderType } from '../domain/provider-type.js';
import { canAccessTenant, isPlatformAdmin, type Principal } from '../domain/roles.js';
import type { RunStatus } from '../domain/run-status.js';
import {
  DEFAULT_TIMEZONE,
  isValidTimezone,
  nextRunOutsideBlackouts,
  resolveSchedule,
  upcomingRuns,
} from '../domain/schedule.js';
import type { EgressPolicy } from '../lib/network-guard.js';
import type { SecretBox } from '../lib/secret-box.js';
import { changedPaths, leafPaths } from '../lib/object-paths.js';
import { isUniqueViolation } from '../lib/pg-errors.js';
import { recordAudit } from '../repositories/audit-log-repository.js';
import {
  findProvider,
  insertProvider,
  listTenantProviders,
  lockProvider,
  markProviderDeleted,
  releaseSharedLinks,
  updateProvider,
  type ProviderChanges,
  type ProviderRow,
} from '../repositories/providers-repository.js';
import { findActiveRun } from '../repositories/runs-repository.js';
import { ensureTenant } from '../repositories/tenants-repository.js';

type Json = Record<string, unknown>;

export interface ProviderInput {
  tenantId: string;
  providerType: ProviderType;
  name: string;
  config: Json;
  syncSchedule?: string | null | undefined;
  syncTimezone?: string | undefined;
  enabled?: boolean | undefined;
  maxDeactivationRatio?: number | undefined;
  /** Consecutive complete runs without a record before it is deactivated, 1..100. */
  deactivationGraceRuns?: number | undefined;
  /** Replaces the whole list. */
  blackoutWindows?: readonly BlackoutWindowInput[] | undefined;
}

export interface ProviderPatch {
  name?: string | undefined;
  config?: Json | undefined;
  syncSchedule?: string | null | undefined;
  syncTimezone?: string | undefined;
  enabled?: boolean | undefined;
  maxDeactivationRatio?: number | undefined;
  /** Consecutive complete runs without a record before it is deactivated, 1..100. */
  deactivationGraceRuns?: number | undefined;
  /** Replaces the whole list. */
  blackoutWindows?: readonly BlackoutWindowInput[] | undefined;
}

/** A provider as callers see it: config decrypted, secrets redacted. */
export interface ProviderView {
  id: string;
  tenantId: string;
  providerType: ProviderType;
  name: string;
  config: Json;
  syncSchedule: string | null;
  syncTimezone: string;
  enabled: boolean;
  maxDeactivationRatio: number;
  deactivationGraceRuns: number;
  lastSyncAt: Date | null;
  lastSyncStatus: RunStatus | null;
  blackoutWindows: BlackoutWindow[];
  /** The next scheduled run that no blackout window skips; null when none in the next 366 days. */
  nextSyncAt: Date | null;
  /** The next scheduled run times, with what skips each (`describeBlackout`), or null when it runs. */
  upcomingRuns: { at: Date; skipped: string | null }[];
  createdAt: Date;
  updatedAt: Date;
}

/** Keeps the queue's schedule in step with a provider, inside the transaction that changed it. */
export interface ScheduleKeeper {
  /** After create or update (enabled, schedule, time zone, blackouts may have changed). */
  providerSaved(tx: Transaction, row: ProviderRow): Promise<void>;
  /** After delete. */
  providerDeleted(tx: Transaction, row: ProviderRow): Promise<void>;
}

export interface ProviderServiceDeps {
  db: Database;
  secretBox: SecretBox;
  /** Production demands https provider URLs. */
  production: boolean;
  /** Folder in which district admins may name local CSV paths. */
  importDir: string | undefined;
  /** The outbound policy: provider configs naming a refused literal IP are invalid. */
  egress?: EgressPolicy;
  now?: () => Date;
  schedules?: ScheduleKeeper | undefined;
}

export interface RequestContext {
  principal: Principal;
  requestId?: string | undefined;
}

const NAME_CONSTRAINT = 'sis_providers_tenant_name_uq';
/** How many upcoming run times a provider shows. */
const UPCOMING_RUNS = 5;
/** How far ahead the next run that no blackout skips is looked for. */
const NEXT_SYNC_HORIZON_MS = 366 * 24 * 60 * 60 * 1000;

/**
 * The associated data that binds a provider's sealed config to its row (see lib/secret-box): a
 * ciphertext copied onto another provider does not decrypt. Key rotation re-seals with it.
 */
export function providerConfigAad(id: string): string {
  return `sis_providers:${id}`;
}

export function createProviderService(deps: ProviderServiceDeps) {
  const now = deps.now ?? (() => new Date());

  const decrypt = (row: ProviderRow): Json =>
    JSON.parse(
      deps.secretBox.decrypt(
        { ciphertext: row.configCiphertext, keyId: row.configKeyId },
        providerConfigAad(row.id),
      ),
    ) as Json;

  const encrypt = (id: string, config: Json) => {
    const sealed = deps.secretBox.encrypt(JSON.stringify(config), providerConfigAad(id));
    return { configCiphertext: sealed.ciphertext, configKeyId: sealed.keyId };
  };

  const toView = (row: ProviderRow): ProviderView => {
    const schema = providerDefinition(row.providerType).configSchema;
    let nextSyncAt: Date | null = null;
    let upcoming: ProviderView['upcomingRuns'] = [];
    if (row.enabled && row.syncSchedule !== null) {
      const schedule = resolveSchedule(row.syncSchedule, row.syncTimezone);
      if (schedule.ok) {
        const from = now();
        const until = new Date(from.getTime() + NEXT_SYNC_HORIZON_MS);
        nextSyncAt = nextRunOutsideBlackouts(schedule.value, row.blackoutWindows, from, until) ?? null;
        upcoming = upcomingRuns(schedule.value, row.blackoutWindows, from, UPCOMING_RUNS).map((run) => ({
          at: run.at,
          skipped: run.skippedBy === null ? null : describeBlackout(run.skippedBy),
        }));
      }
    }
    return {
      id: row.id,
      tenantId: row.tenantId,
      providerType: row.providerType,
      name: row.name,
      config: redactConfig(schema, decrypt(row)),
      syncSchedule: row.syncSchedule,
      syncTimezone: row.syncTimezone,
      enabled: row.enabled,
      maxDeactivationRatio: row.maxDeactivationRatio,
      deactivationGraceRuns: row.deactivationGraceRuns,
      lastSyncAt: row.lastSyncAt,
      lastSyncStatus: row.lastSyncStatus,
      blackoutWindows: row.blackoutWindows,
      nextSyncAt,
      upcomingRuns: upcoming,
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
    };
  };

  /** A provider the caller may see; another tenant's is "not found", not "forbidden". */
  const visible = (ctx: RequestContext, id: string, row: ProviderRow | undefined): ProviderRow => {
    if (row === undefined || !canAccessTenant(ctx.principal, row.tenantId)) {
      throw new NotFoundError('provider', id);
    }
    return row;
  };

  const checkSchedule = (schedule: string | null | undefined, timezone: string | undefined): FieldIssue[] => {
    if (schedule === null || schedule === undefined) {
      return timezone !== undefined && !isValidTimezone(timezone)
        ? [{ path: 'syncTimezone', message: `"${timezone}" is not an IANA time zone (e.g. America/Chicago)` }]
        : [];
    }
    const resolved = resolveSchedule(schedule, timezone ?? DEFAULT_TIMEZONE);
    return resolved.ok ? [] : [{ path: resolved.error.field, message: resolved.error.message }];
  };

  const checkGraceRuns = (runs: number | undefined): FieldIssue[] =>
    runs === undefined || isValidGraceRuns(runs)
      ? []
      : [
          {
            path: 'deactivationGraceRuns',
            message: `must be a whole number of runs from ${MIN_GRACE_RUNS} to ${MAX_GRACE_RUNS}`,
          },
        ];

  const checkBlackouts = (input: unknown, issues: FieldIssue[]): BlackoutWindow[] | undefined => {
    if (input === undefined) return undefined;
    const result = validateBlackoutWindows(input);
    if (result.ok) return result.value;
    issues.push(...result.error);
    return undefined;
  };

  const checkConfig = (type: ProviderType, config: unknown): Json => {
    const result = validateProviderConfig(type, config, {
      production: deps.production,
      ...(deps.egress === undefined ? {} : { egress: deps.egress }),
    });
    if (!result.ok) {
      throw new ValidationError(
        result.error.map((i) => ({
          path: i.path === '' ? 'config' : `config.${i.path}`,
          message: i.message,
        })),
      );
    }
    return result.value;
  };

  /** `localPath` and `privateKeyPath` make the server read its own files: only trusted callers. */
  const checkServerPaths = (
    ctx: RequestContext,
    type: ProviderType,
    config: Json,
    stored: Json | undefined,
  ) => {
    if (isPlatformAdmin(ctx.principal)) return;
    const definition = providerDefinition(type);
    const before = new Map(
      stored === undefined ? [] : definition.serverPaths(stored as never).map((p) => [p.path, p.value]),
    );
    for (const { path: field, value } of definition.serverPaths(config as never)) {
      if (before.get(field) === value) continue; // unchanged: set earlier by someone allowed to
      if (deps.importDir === undefined || !isInside(value, deps.importDir)) {
        throw new ServerPathNotAllowedError(field, deps.importDir);
      }
    }
  };

  return {
    async list(ctx: RequestContext, tenantId: string): Promise<ProviderView[]> {
      if (!canAccessTenant(ctx.principal, tenantId)) throw new TenantAccessDeniedError(tenantId);
      return (await listTenantProviders(deps.db, tenantId)).map(toView);
    },

    async get(ctx: RequestContext, id: string): Promise<ProviderView> {
      return toView(visible(ctx, id, await findProvider(deps.db, id)));
    },

    /** The decrypted config, secrets included, for the engine. Never for a response. */
    async loadConfig(id: string): Promise<{ row: ProviderRow; config: Json } | undefined> {
      const row = await findProvider(deps.db, id);
      return row === undefined ? undefined : { row, config: decrypt(row) };
    },

    async create(ctx: RequestContext, input: ProviderInput): Promise<ProviderView> {
      if (!canAccessTenant(ctx.principal, input.tenantId)) throw new TenantAccessDeniedError(input.tenantId);
      const issues = checkSchedule(input.syncSchedule, input.syncTimezone);
      issues.push(...checkGraceRuns(input.deactivationGraceRuns));
      const blackoutWindows = checkBlackouts(input.blackoutWindows, issues);
      if (containsPlaceholder(providerDefinition(input.providerType).configSchema, input.config)) {
        issues.push({
          path: 'config',
          message: `a secret cannot be "${REDACTED}" (the redaction placeholder)`,
        });
      }
      if (issues.length > 0) throw new ValidationError(issues);
      const config = checkConfig(input.providerType, input.config);
      checkServerPaths(ctx, input.providerType, config, undefined);
      const id = randomUUID();
      try {
        const row = await deps.db.transaction(async (tx) => {
          await ensureTenant(tx, input.tenantId);
          const inserted = await insertProvider(tx, {
            id,
            tenantId: input.tenantId,
            providerType: input.providerType,
            name: input.name.trim(),
            ...encrypt(id, config),
            syncSchedule: input.syncSchedule?.trim() ?? null,
            syncTimezone: input.syncTimezone ?? DEFAULT_TIMEZONE,
            enabled: input.enabled ?? true,
            ...(input.maxDeactivationRatio === undefined
              ? {}
              : { maxDeactivationRatio: input.maxDeactivationRatio }),
            ...(input.deactivationGraceRuns === undefined
              ? {}
              : { deactivationGraceRuns: input.deactivationGraceRuns }),
            ...(blackoutWindows === undefined ? {} : { blackoutWindows }),
            createdBy: ctx.principal.subject,
            updatedBy: ctx.principal.subject,
          });
          await recordAudit(tx, {
            tenantId: input.tenantId,
            actor: ctx.principal,
            action: 'provider.create',
            targetType: 'provider',
            targetId: id,
            details: {
              name: inserted.name,
              providerType: inserted.providerType,
              configFields: leafPaths(config),
              syncSchedule: inserted.syncSchedule,
              enabled: inserted.enabled,
              deactivationGraceRuns: inserted.deactivationGraceRuns,
              blackoutWindows: inserted.blackoutWindows,
            },
            requestId: ctx.requestId,
          });
          await deps.schedules?.providerSaved(tx, inserted);
          return inserted;
        });
        return toView(row);
      } catch (error) {
        if (isUniqueViolation(error, NAME_CONSTRAINT)) {
          throw new ConflictError(
            `tenant ${input.tenantId} already has a provider named "${input.name.trim()}"`,
          );
        }
        throw error;
      }
    },

    async update(ctx: RequestContext, id: string, patch: ProviderPatch): Promise<ProviderView> {
      try {
        const row = await deps.db.transaction(async (tx) => {
          const current = visible(ctx, id, await lockProvider(tx, id));
          const timezone = patch.syncTimezone ?? current.syncTimezone;
          const schedule = patch.syncSchedule === undefined ? current.syncSchedule : patch.syncSchedule;
          const issues = checkSchedule(schedule, timezone);
          issues.push(...checkGraceRuns(patch.deactivationGraceRuns));
          const blackoutWindows = checkBlackouts(patch.blackoutWindows, issues);
          if (issues.length > 0) throw new ValidationError(issues);

          const changes: ProviderChanges = { updatedBy: ctx.principal.subject };
          const changed: string[] = [];
          if (patch.name !== undefined && patch.name.trim() !== current.name) {
            changes.name = patch.name.trim();
            changed.push('name');
          }
          if (
            patch.syncSchedule !== undefined &&
            (patch.syncSchedule?.trim() ?? null) !== current.syncSchedule
          ) {
            changes.syncSchedule = patch.syncSchedule?.trim() ?? null;
            changed.push('syncSchedule');
          }
          if (patch.syncTimezone !== undefined && patch.syncTimezone !== current.syncTimezone) {
            changes.syncTimezone = patch.syncTimezone;
            changed.push('syncTimezone');
          }
          if (patch.enabled !== undefined && patch.enabled !== current.enabled) {
            changes.enabled = patch.enabled;
            changed.push('enabled');
          }
          if (
            patch.maxDeactivationRatio !== undefined &&
            patch.maxDeactivationRatio !== current.maxDeactivationRatio
          ) {
            changes.maxDeactivationRatio = patch.maxDeactivationRatio;
            changed.push('maxDeactivationRatio');
          }
          if (
            patch.deactivationGraceRuns !== undefined &&
            patch.deactivationGraceRuns !== current.deactivationGraceRuns
          ) {
            changes.deactivationGraceRuns = patch.deactivationGraceRuns;
            changed.push('deactivationGraceRuns');
          }
          if (
            blackoutWindows !== undefined &&
            !sameBlackoutWindows(blackoutWindows, current.blackoutWindows)
          ) {
            changes.blackoutWindows = blackoutWindows;
            changed.push('blackoutWindows');
          }
          let changedSecrets: string[] = [];
          if (patch.config !== undefined) {
            const schema = providerDefinition(current.providerType).configSchema;
            const stored = decrypt(current);
            const merged = mergeSecrets(schema, patch.config, stored);
            const config = checkConfig(current.providerType, merged.config);
            checkServerPaths(ctx, current.providerType, config, stored);
            const configChanges = changedPaths(stored, config);
            if (configChanges.length > 0) {
              Object.assign(changes, encrypt(id, config));
              changed.push(...configChanges.map((f) => `config.${f}`));
              changedSecrets = merged.changedSecrets;
            }
          }
          if (changed.length === 0) return current;
          const updated = await updateProvider(tx, id, changes);
          if (updated === undefined) throw new NotFoundError('provider', id);
          await recordAudit(tx, {
            tenantId: current.tenantId,
            actor: ctx.principal,
            action: 'provider.update',
            targetType: 'provider',
            targetId: id,
            details: { changed, secretsChanged: changedSecrets },
            requestId: ctx.requestId,
          });
          await deps.schedules?.providerSaved(tx, updated);
          return updated;
        });
        return toView(row);
      } catch (error) {
        if (isUniqueViolation(error, NAME_CONSTRAINT)) {
          throw new ConflictError(`this tenant already has a provider named "${patch.name?.trim() ?? ''}"`);
        }
        throw error;
      }
    },

    async remove(ctx: RequestContext, id: string): Promise<void> {
      await deps.db.transaction(async (tx) => {
        const current = visible(ctx, id, await lockProvider(tx, id));
        // A run of a deleted provider could neither finish nor be reviewed where admins look.
        const active = await findActiveRun(tx, id);
        if (active !== undefined) {
          throw new ConflictError(
            active.status === 'HELD'
              ? `run ${active.id} of this provider is held for review; approve or discard it before deleting the provider`
              : `a sync of this provider is running (run ${active.id}); cancel it or let it finish before deleting the provider`,
            { runId: active.id, status: active.status },
          );
        }
        await markProviderDeleted(tx, id, ctx.principal.subject);
        const releasedLinks = await releaseSharedLinks(tx, current.tenantId, id);
        await recordAudit(tx, {
          tenantId: current.tenantId,
          actor: ctx.principal,
          action: 'provider.delete',
          targetType: 'provider',
          targetId: id,
          details: { name: current.name, providerType: current.providerType, releasedLinks },
          requestId: ctx.requestId,
        });
        // The row as it stood before the delete: its id and schedule job are what the keeper needs.
        await deps.schedules?.providerDeleted(tx, current);
      });
    },
  };
}

export type ProviderService = ReturnType<typeof createProviderService>;

function isInside(candidate: string, folder: string): boolean {
  const real = (p: string) => (existsSync(p) ? realpathSync.native(p) : path.resolve(p));
  const relative = path.relative(real(folder), real(candidate));
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}
