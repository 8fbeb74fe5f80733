import { randomBytes, randomUUID } from 'node:crypto';

import type { Database, Transaction } from '../db/client.js';
import { WEBHOOK_EVENTS, type WebhookDeliveryStatus, type WebhookEvent } from '../db/schema/index.js';
import {
  ConflictError,
  NotFoundError,
  TenantAccessDeniedError,
  ValidationError,
  type FieldIssue,
} from '../domain/errors.js';
import { canAccessTenant } from '../domain/roles.js';
import { literalRefusal } from '../lib/network-guard.js';
import type { SecretBox } from '../lib/secret-box.js';
import { recordAudit } from '../repositories/audit-log-repository.js';
import { ensureTenant } from '../repositories/tenants-repository.js';
import {
  findWebhook,
  insertAttempt,
  insertDeliveries,
  insertWebhook,
  listAttempts,
  listDeliveries,
  listTenantWebhooks,
  lockDelivery,
  lockWebhook,
  markWebhookDeleted,
  updateDelivery,
  updateWebhook,
  webhookSecretAad,
  type AttemptRow,
  type DeliveryRow,
  type WebhookChanges,
  type WebhookRow,
} from '../repositories/webhooks-repository.js';
import type { RequestContext } from './provider-service.js';
import { sendWebhook, type WebhookSettings } from './webhook-delivery.js';

export { webhookSecretAad };

export interface WebhookInput {
  url: string;
  description?: string | null | undefined;
  events?: readonly WebhookEvent[] | undefined;
  enabled?: boolean | undefined;
}

export type WebhookPatch = Partial<WebhookInput>;

/** A subscription as callers see it: never its secret, at most the secret's last characters. */
export interface WebhookView {
  id: string;
  tenantId: string;
  url: string;
  description: string | null;
  events: WebhookEvent[];
  enabled: boolean;
  /** The secret's last 4 characters, to tell which one a receiver holds. */
  secretHint: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface DeliveryView {
  id: string;
  webhookId: string;
  event: string;
  runId: string | null;
  status: WebhookDeliveryStatus;
  payload: Record<string, unknown>;
  nextAttemptAt: Date | null;
  lastAttemptAt: Date | null;
  responseStatus: number | null;
  lastError: string | null;
  createdAt: Date;
  deliveredAt: Date | null;
  attempts: {
    attempt: number;
    responseStatus: number | null;
    error: string | null;
    durationMs: number;
    at: Date;
  }[];
}

/** What the test button reports: the ping's outcome, recorded in the delivery log as `deliveryId`. */
export interface PingOutcome {
  deliveryId: string;
  delivered: boolean;
  responseStatus: number | null;
  durationMs: number;
  error: string | null;
}

/** Queues attempts of deliveries; implemented over the job queue (jobs/webhook-job.ts). */
export interface WebhookDispatcher {
  /** Inside the transaction that makes the delivery due: the job exists exactly when it commits. */
  enqueue(tx: Transaction, deliveryId: string): Promise<void>;
  /** After that commit: a worker of this process may take it at once. */
  dispatched(): void;
}

export interface WebhookServiceDeps {
  db: Database;
  secretBox: SecretBox;
  /** Production demands https receivers. */
  production: boolean;
  settings: WebhookSettings;
  dispatcher: WebhookDispatcher;
  now?: () => Date;
}

const MAX_URL_LENGTH = 2048;
export const MAX_DESCRIPTION_LENGTH = 500;

/** `whsec_` and 32 random bytes in base64url: shown once, at creation and at rotation. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

export function createWebhookService(deps: WebhookServiceDeps) {
  const now = deps.now ?? (() => new Date());

  const seal = (id: string, secret: string) => {
    const sealed = deps.secretBox.encrypt(secret, webhookSecretAad({ id }));
    return { secretCiphertext: sealed.ciphertext, secretKeyId: sealed.keyId };
  };
  const unseal = (row: WebhookRow) =>
    deps.secretBox.decrypt(
      { ciphertext: row.secretCiphertext, keyId: row.secretKeyId },
      webhookSecretAad(row),
    );

  const toView = (row: WebhookRow): WebhookView => ({
    id: row.id,
    tenantId: row.tenantId,
    url: row.url,
    description: row.description,
    events: row.events,
    enabled: row.enabled,
    secretHint: unseal(row).slice(-4),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  });

  const checkTenant = (ctx: RequestContext, tenantId: string) => {
    if (!canAccessTenant(ctx.principal, tenantId)) throw new TenantAccessDeniedError(tenantId);
  };

  /**
   * A subscription of `tenantId` the caller may see. As on every tenant route, naming a tenant the
   * caller may not reach is "forbidden"; a webhook id of another tenant under one's own is "not
   * found", with no hint that it exists.
   */
  const visible = (ctx: RequestContext, tenantId: string, id: string, row: WebhookRow | undefined) => {
    checkTenant(ctx, tenantId);
    if (row === undefined || row.tenantId !== tenantId) throw new NotFoundError('webhook', id);
    return row;
  };

  const checkUrl = (url: string, issues: FieldIssue[]): string => {
    const trimmed = url.trim();
    let parsed: URL;
    try {
      parsed = new URL(trimmed);
    } catch {
      issues.push({ path: 'url', message: 'is not a URL' });
      return trimmed;
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
      issues.push({ path: 'url', message: 'must be an http or https URL' });
    } else if (deps.production && parsed.protocol !== 'https:') {
      issues.push({ path: 'url', message: 'must be an https URL in production' });
    }
    if (parsed.username !== '' || parsed.password !== '') {
      issues.push({
        path: 'url',
        message: 'must not carry credentials; receivers verify the signature instead',
      });
    }
    if (trimmed.length > MAX_URL_LENGTH) {
      issues.push({ path: 'url', message: `must be at most ${MAX_URL_LENGTH} characters` });
    }
    // A literal address can be judged now; a host name only when a delivery connects.
    const refused =
      deps.settings.egress === undefined ? null : literalRefusal(deps.settings.egress, parsed.hostname);
    if (refused !== null) issues.push({ path: 'url', message: refused.message });
    return trimmed;
  };

  const checkEvents = (events: readonly string[], issues: FieldIssue[]): WebhookEvent[] => {
    const unique = [...new Set(events)];
    if (unique.length === 0) issues.push({ path: 'events', message: 'must name at least one event' });
    for (const event of unique) {
      if (!(WEBHOOK_EVENTS as readonly string[]).includes(event)) {
        issues.push({ path: 'events', message: `"${event}" is not one of ${WEBHOOK_EVENTS.join(', ')}` });
      }
    }
    // Stored in the canonical order, so an edit that only reorders them changes nothing.
    return WEBHOOK_EVENTS.filter((e) => unique.includes(e));
  };

  const normaliseDescription = (description: string | null | undefined) => {
    const trimmed = description?.trim() ?? '';
    return trimmed === '' ? null : trimmed;
  };

  const toDeliveryView = (row: DeliveryRow, attempts: AttemptRow[]): DeliveryView => ({
    id: row.id,
    webhookId: row.subscriptionId,
    event: row.event,
    runId: row.runId,
    status: row.status,
    payload: row.payload,
    nextAttemptAt: row.status === 'pending' ? row.nextAttemptAt : null,
    lastAttemptAt: row.lastAttemptAt,
    responseStatus: row.responseStatus,
    lastError: row.lastError,
    createdAt: row.createdAt,
    deliveredAt: row.deliveredAt,
    attempts: attempts
      .filter((a) => a.deliveryId === row.id)
      .map((a) => ({
        attempt: a.attempt,
        responseStatus: a.responseStatus,
        error: a.error,
        durationMs: a.durationMs,
        at: a.createdAt,
      })),
  });

  const audit = (
    tx: Transaction,
    ctx: RequestContext,
    row: WebhookRow,
    action: string,
    details: Record<string, unknown>,
  ) =>
    recordAudit(tx, {
      tenantId: row.tenantId,
      actor: ctx.principal,
      action,
      targetType: 'webhook',
      targetId: row.id,
      details,
      requestId: ctx.requestId,
    });

  /** Only the receiver's host goes into the audit log: a URL's path or query may hold a token. */
  const hostOf = (url: string) => new URL(url).host;

  return {
    async list(ctx: RequestContext, tenantId: string): Promise<WebhookView[]> {
      checkTenant(ctx, tenantId);
      return (await listTenantWebhooks(deps.db, tenantId)).map(toView);
    },

    async get(ctx: RequestContext, tenantId: string, id: string): Promise<WebhookView> {
      return toView(visible(ctx, tenantId, id, await findWebhook(deps.db, id)));
    },

    /** The new subscription and its signing secret, which is never shown again. */
    async create(
      ctx: RequestContext,
      tenantId: string,
      input: WebhookInput,
    ): Promise<{ webhook: WebhookView; secret: string }> {
      checkTenant(ctx, tenantId);
      const issues: FieldIssue[] = [];
      const url = checkUrl(input.url, issues);
      const events = checkEvents(input.events ?? ['run.applied'], issues);
      if (issues.length > 0) throw new ValidationError(issues);
      const id = randomUUID();
      const secret = generateWebhookSecret();
      const row = await deps.db.transaction(async (tx) => {
        await ensureTenant(tx, tenantId);
        const inserted = await insertWebhook(tx, {
          id,
          tenantId,
          url,
          description: normaliseDescription(input.description),
          events,
          enabled: input.enabled ?? true,
          ...seal(id, secret),
          createdBy: ctx.principal.subject,
          updatedBy: ctx.principal.subject,
        });
        await audit(tx, ctx, inserted, 'webhook.create', {
          host: hostOf(url),
          events,
          enabled: inserted.enabled,
        });
        return inserted;
      });
      return { webhook: toView(row), secret };
    },

    async update(
      ctx: RequestContext,
      tenantId: string,
      id: string,
      patch: WebhookPatch,
    ): Promise<WebhookView> {
      return toView(
        await deps.db.transaction(async (tx) => {
          const current = visible(ctx, tenantId, id, await lockWebhook(tx, id));
          const issues: FieldIssue[] = [];
          const changes: WebhookChanges = { updatedBy: ctx.principal.subject };
          const changed: string[] = [];
          if (patch.url !== undefined) {
            const url = checkUrl(patch.url, issues);
            if (url !== current.url) {
              changes.url = url;
              changed.push('url');
            }
          }
          if (patch.events !== undefined) {
            const events = checkEvents(patch.events, issues);
            if (events.join() !== current.events.join()) {
              changes.events = events;
              changed.push('events');
            }
          }
          if (issues.length > 0) throw new ValidationError(issues);
          if (patch.description !== undefined) {
            const description = normaliseDescription(patch.description);
            if (description !== current.description) {
              changes.description = description;
              changed.push('description');
            }
          }
          if (patch.enabled !== undefined && patch.enabled !== current.enabled) {
            changes.enabled = patch.enabled;
            changed.push('enabled');
          }
          if (changed.length === 0) return current;
          const updated = await updateWebhook(tx, id, changes);
          if (updated === undefined) throw new NotFoundError('webhook', id);
          await audit(tx, ctx, updated, 'webhook.update', {
            changed,
            ...(changes.url === undefined ? {} : { host: hostOf(changes.url) }),
          });
          return updated;
        }),
      );
    },

    /** Soft delete: no more notices; deliveries still pending end `failed` at their next attempt. */
    async remove(ctx: RequestContext, tenantId: string, id: string): Promise<void> {
      await deps.db.transaction(async (tx) => {
        const current = visible(ctx, tenantId, id, await lockWebhook(tx, id));
        await markWebhookDeleted(tx, id, ctx.principal.subject);
        await audit(tx, ctx, current, 'webhook.delete', { host: hostOf(current.url) });
      });
    },

    /**
     * A new signing secret, returned once; the old one stops at once (attempts, retries included,
     * are signed when they are sent, with the secret of that moment).
     */
    async rotateSecret(
      ctx: RequestContext,
      tenantId: string,
      id: string,
    ): Promise<{ webhook: WebhookView; secret: string }> {
      const secret = generateWebhookSecret();
      const row = await deps.db.transaction(async (tx) => {
        visible(ctx, tenantId, id, await lockWebhook(tx, id));
        const updated = await updateWebhook(tx, id, {
          ...seal(id, secret),
          updatedBy: ctx.principal.subject,
        });
        if (updated === undefined) throw new NotFoundError('webhook', id);
        await audit(tx, ctx, updated, 'webhook.rotate_secret', {});
        return updated;
      });
      return { webhook: toView(row), secret };
    },

    /**
     * The test button: sends a signed `ping` now, waits for the answer (at most the attempt timeout)
     * and records it in the delivery log. A disabled subscription can be tested (before enabling it).
     * The receiver's failure is an outcome, not an error.
     */
    async ping(ctx: RequestContext, tenantId: string, id: string): Promise<PingOutcome> {
      const deliveryId = randomUUID();
      const startedAt = now();
      const { webhook, delivery } = await deps.db.transaction(async (tx) => {
        const row = visible(ctx, tenantId, id, await findWebhook(tx, id));
        const [inserted] = await insertDeliveries(tx, [
          {
            id: deliveryId,
            tenantId: row.tenantId,
            subscriptionId: row.id,
            event: 'ping',
            runId: null,
            payload: {
              id: deliveryId,
              event: 'ping',
              createdAt: startedAt.toISOString(),
              tenantId: row.tenantId,
              webhook: { id: row.id, events: row.events },
            },
            status: 'pending',
            attempts: 1,
            lastAttemptAt: startedAt,
            // Held while the attempt is under way; past it, an unrecorded attempt is re-sent by a worker.
            nextAttemptAt: new Date(startedAt.getTime() + deps.settings.timeoutMs),
          },
        ]);
        await audit(tx, ctx, row, 'webhook.test', { deliveryId });
        return { webhook: row, delivery: inserted! };
      });
      const outcome = await sendWebhook(
        deps.settings,
        { url: webhook.url, secret: unseal(webhook) },
        delivery,
        startedAt,
      );
      await deps.db.transaction(async (tx) => {
        await lockDelivery(tx, deliveryId);
        await insertAttempt(tx, {
          deliveryId,
          responseStatus: outcome.responseStatus,
          error: outcome.error,
          durationMs: outcome.durationMs,
        });
        const finishedAt = now();
        await updateDelivery(tx, deliveryId, {
          status: outcome.delivered ? 'succeeded' : 'failed',
          nextAttemptAt: null,
          responseStatus: outcome.responseStatus,
          lastError: outcome.error,
          deliveredAt: outcome.delivered ? finishedAt : null,
        });
      });
      return {
        deliveryId,
        delivered: outcome.delivered,
        responseStatus: outcome.responseStatus,
        durationMs: outcome.durationMs,
        error: outcome.error,
      };
    },

    /** A subscription's delivery log, newest first, each delivery with its attempts. */
    async listDeliveries(
      ctx: RequestContext,
      tenantId: string,
      id: string,
      page: { limit: number; offset: number },
    ): Promise<{ deliveries: DeliveryView[]; total: number }> {
      const webhook = visible(ctx, tenantId, id, await findWebhook(deps.db, id));
      const { deliveries, total } = await listDeliveries(deps.db, webhook.id, page);
      const attempts = await listAttempts(
        deps.db,
        deliveries.map((d) => d.id),
      );
      return { deliveries: deliveries.map((d) => toDeliveryView(d, attempts)), total };
    },

    /**
     * Sends a finished delivery (succeeded or failed) again, same id and payload, with a fresh round
     * of attempts. A pending one is refused: it is still being tried.
     */
    async redeliver(
      ctx: RequestContext,
      tenantId: string,
      webhookId: string,
      deliveryId: string,
    ): Promise<DeliveryView> {
      const row = await deps.db.transaction(async (tx) => {
        const webhook = visible(ctx, tenantId, webhookId, await lockWebhook(tx, webhookId));
        const delivery = await lockDelivery(tx, deliveryId);
        if (delivery?.subscriptionId !== webhook.id) throw new NotFoundError('webhook delivery', deliveryId);
        if (!webhook.enabled) {
          throw new ConflictError('this webhook is disabled; enable it before redelivering to it');
        }
        if (delivery.status === 'pending') {
          throw new ConflictError(
            `delivery ${deliveryId} is still pending` +
              (delivery.nextAttemptAt === null
                ? ''
                : `; its next attempt is due at ${delivery.nextAttemptAt.toISOString()}`),
            { deliveryId },
          );
        }
        const updated = await updateDelivery(tx, deliveryId, {
          status: 'pending',
          // A fresh round: the attempt budget starts again; the log keeps the earlier attempts.
          attempts: 0,
          nextAttemptAt: now(),
          deliveredAt: null,
        });
        await deps.dispatcher.enqueue(tx, deliveryId);
        await audit(tx, ctx, webhook, 'webhook.redeliver', { deliveryId, event: delivery.event });
        return updated;
      });
      deps.dispatcher.dispatched();
      return toDeliveryView(row, await listAttempts(deps.db, [row.id]));
    },
  };
}

export type WebhookService = ReturnType<typeof createWebhookService>;
