import { randomUUID } from 'node:crypto';
import { AppError, formatZodIssues, isAppError } from '../../errors.ts';
import type { Logger } from '../../observability/logger.ts';
import type { Db } from '../../store/db.ts';
import { quietUntil, targetsFor, type IncidentRouting, type RouteTarget } from './config.ts';
import { heldEmail, incidentEmail } from './email.ts';
import type { Mailer } from './mailer.ts';
import { IncidentRouteEvent, type IncidentNotice } from './notice.ts';
import * as repo from './repository.ts';
import { createWebhookSender, groupedWebhookBody, webhookBody, type WebhookSenderOptions } from './webhooks.ts';

/**
 * Sends incident events beyond chat: to the email addresses and signed webhooks the routing
 * document gives the incident's service (config.ts), each delivery recorded in
 * `incident_deliveries` (schema.ts) so that every replica sees the same history.
 *
 * Per target and event:
 * 1. dedup: a repeat of the same incident and kind inside `dedupWindow` of the delivery that
 *    opened the window is recorded `grouped` and not sent; the next delivery of that incident and
 *    kind (after the window) reports them ("+3 repeats"). A failed delivery opens no window.
 * 2. quiet hours: while the target's quiet hours are in force and let the urgency not through, the
 *    delivery is recorded `held`; `flushHeld` (a scheduled job) sends the held ones of each target
 *    as ONE message once its quiet hours end.
 * 3. otherwise it is sent (webhooks: retries with backoff, see webhooks.ts) and recorded `sent` or
 *    `failed` with the attempts and the error.
 *
 * Neither `notify` nor `flushHeld` throws: a failing target (or the database) is logged and, when
 * the database answers, recorded. A replica that stops between claiming and recording leaves rows
 * `sending`: `flushHeld` claims those older than `staleSendingMs` and sends them again, with the
 * same event id (webhook receivers drop ids they have seen; an email may arrive twice). An
 * incident notice goes out at least once rather than maybe never.
 */
export interface IncidentRouterDeps {
  db: Db;
  routing: IncidentRouting;
  now: () => Date;
  /** Without one, email targets are recorded failed ("email is not configured"). */
  mailer?: Mailer | undefined;
  fetch?: typeof fetch | undefined;
  /** Webhook timeouts and retries (webhooks.ts defaults otherwise). */
  webhooks?: Omit<WebhookSenderOptions, 'now' | 'fetch'> | undefined;
  logger: Logger;
  /**
   * How long a delivery may stay `sending` before it counts as abandoned by a stopped replica and
   * is sent again (default 15 min: well beyond a webhook's 4 attempts and waits, or an email's
   * timeouts).
   */
  staleSendingMs?: number | undefined;
}

/** Default of `IncidentRouterDeps.staleSendingMs`. */
export const defaultStaleSendingMs = 15 * 60_000;

export type DeliveryOutcome = {
  target: string;
  status: 'sent' | 'held' | 'grouped' | 'failed';
  error?: string;
  /** Repeats a sent delivery reported. */
  repeats?: number;
};

export interface IncidentRouter {
  /** Routes one incident event; resolves when every target is sent, held, grouped or failed. */
  notify(event: IncidentRouteEvent): Promise<DeliveryOutcome[]>;
  /**
   * Sends what quiet hours held, one message per target whose quiet hours are over at `now`; and
   * sends again what a stopped replica left `sending`.
   */
  flushHeld(now?: Date): Promise<DeliveryOutcome[]>;
}

const errorText = (e: unknown): string =>
  isAppError(e) ? e.userMessage : e instanceof Error ? `${e.name}: ${e.message}` : String(e);

const attemptsOf = (e: unknown): number => {
  const a = (e as { attempts?: unknown } | null)?.attempts;
  return typeof a === 'number' ? a : 1;
};

export const createIncidentRouter = (deps: IncidentRouterDeps): IncidentRouter => {
  const { db, routing } = deps;
  const log = deps.logger.child({ component: 'incident-routing' });
  const webhooks = createWebhookSender({ ...deps.webhooks, now: deps.now, fetch: deps.fetch });

  /** Sends one notice, or the held ones as one message; resolves with the attempts made. */
  const deliver = async (
    target: RouteTarget,
    id: string,
    notices: readonly IncidentNotice[],
    grouped: boolean,
  ): Promise<number> => {
    if (target.type === 'email') {
      if (!deps.mailer) throw new AppError('config_invalid', 'email is not configured (SMTP_URL is not set)');
      await deps.mailer.send([target.address], grouped ? heldEmail(notices) : incidentEmail(notices[0]!));
      return 1;
    }
    const body = grouped ? groupedWebhookBody(id, notices, deps.now()) : webhookBody(id, notices[0]!);
    return (await webhooks.send(target.webhook, body)).attempts;
  };

  /** A held row's target, while the routing document still names it. */
  const toTarget = (key: string): RouteTarget | undefined => {
    const address = key.slice('email:'.length);
    if (key.startsWith('email:'))
      return routing.services.some((s) => s.email.includes(address)) ? { type: 'email', key, address } : undefined;
    const webhook = routing.webhooks.get(key.slice('webhook:'.length));
    return key.startsWith('webhook:') && webhook ? { type: 'webhook', key, webhook } : undefined;
  };

  const routeOne = async (event: IncidentRouteEvent, target: RouteTarget): Promise<DeliveryOutcome> => {
    const at = deps.now();
    const dedupKey = `${event.workspaceId}/${event.incidentId}/${event.kind}/${target.key}`;
    const heldUntil = quietUntil(routing, target.key, event.incident.urgency, at);
    const row = {
      workspaceId: event.workspaceId,
      incidentId: event.incidentId,
      kind: event.kind,
      target: target.key,
      dedupKey,
      urgency: event.incident.urgency,
      event,
      at,
    };
    // Two tries: when another replica opens the same window first, this one is its repeat.
    for (let attempt = 0; attempt < 2; attempt++) {
      const last = await repo.lastWindow(db, dedupKey);
      const blocks =
        last &&
        at.getTime() - last.createdAt.getTime() < routing.dedupWindowMs &&
        (last.status === 'sent' || last.status === 'sending' || (last.status === 'held' && heldUntil));
      if (last && blocks) {
        await repo.insertGrouped(db, { ...row, eventId: randomUUID(), windowSeq: last.windowSeq });
        return { target: target.key, status: 'grouped' };
      }
      const eventId = randomUUID();
      const windowSeq = (last?.windowSeq ?? 0) + 1;
      const status = heldUntil ? 'held' : 'sending';
      const id = await repo.openWindow(db, { ...row, eventId, windowSeq, status, heldUntil });
      if (id === undefined) continue;
      if (heldUntil) return { target: target.key, status: 'held' };
      const repeats = await repo.claimRepeats(db, dedupKey, id);
      try {
        const attempts = await deliver(target, eventId, [{ event, occurredAt: at, repeats }], false);
        await repo.finish(db, [id], { status: 'sent', attempts, repeats, at: deps.now() });
        return { target: target.key, status: 'sent', repeats };
      } catch (e) {
        const error = errorText(e);
        log.warn(
          { target: target.key, incidentId: event.incidentId, kind: event.kind, error },
          'incident delivery failed',
        );
        await repo.releaseRepeats(db, [id]);
        await repo.finish(db, [id], { status: 'failed', attempts: attemptsOf(e), error, at: deps.now() });
        return { target: target.key, status: 'failed', error };
      }
    }
    // Only reached when the window row vanished between the tries (deleted by hand).
    return { target: target.key, status: 'failed', error: 'could not record the delivery' };
  };

  /** Sends one target's released held rows as one message. */
  const flushTarget = async (targetKey: string, urgencies: string[], at: Date): Promise<DeliveryOutcome[]> => {
    const batchId = randomUUID();
    const rows = await repo.claimHeld(db, targetKey, urgencies, batchId, at);
    // Another replica's flush claimed them first.
    if (rows.length === 0) return [];
    const notices = await batchNotices(rows, (dedupKey, id) => repo.claimRepeats(db, dedupKey, id));
    return sendBatch(targetKey, batchId, rows, notices);
  };

  /**
   * One notice per incident and kind of a batch: the newest event, with the older rows and the
   * repeats counted (`repeatsOf` claims them, or counts those claimed before).
   */
  const batchNotices = async (
    rows: readonly repo.DeliveryRow[],
    repeatsOf: (dedupKey: string, id: number) => Promise<number>,
  ): Promise<IncidentNotice[]> => {
    const byKey = new Map<string, repo.DeliveryRow[]>();
    for (const r of rows) byKey.set(r.dedupKey, [...(byKey.get(r.dedupKey) ?? []), r]);
    const notices: IncidentNotice[] = [];
    for (const [dedupKey, same] of byKey) {
      const newest = same.at(-1)!;
      const repeats = (await repeatsOf(dedupKey, newest.id)) + same.length - 1;
      notices.push({ event: newest.event, occurredAt: same[0]!.createdAt, repeats });
    }
    return notices;
  };

  /** Sends a batch's notices as one message to a target, and records the outcome on its rows. */
  const sendBatch = async (
    targetKey: string,
    batchId: string,
    rows: readonly repo.DeliveryRow[],
    notices: readonly IncidentNotice[],
  ): Promise<DeliveryOutcome[]> => {
    const ids = rows.map((r) => r.id);
    const target = toTarget(targetKey);
    try {
      if (!target) throw new AppError('config_invalid', `${targetKey} is no longer in the routing document`);
      const attempts = await deliver(target, batchId, notices, true);
      await repo.finish(db, ids, { status: 'sent', attempts, at: deps.now() });
      const repeats = notices.reduce((n, x) => n + x.repeats, 0);
      log.info({ target: targetKey, deliveries: rows.length }, 'held incident deliveries sent after quiet hours');
      return [{ target: targetKey, status: 'sent', repeats }];
    } catch (e) {
      const error = errorText(e);
      log.warn({ target: targetKey, deliveries: rows.length, error }, 'held incident deliveries failed');
      await repo.releaseRepeats(db, ids);
      await repo.finish(db, ids, { status: 'failed', attempts: attemptsOf(e), error, at: deps.now() });
      return [{ target: targetKey, status: 'failed', error }];
    }
  };

  /**
   * Sends again what a stopped replica left `sending`: a single delivery with its own event id and
   * the repeats it had claimed, a held batch as one message with its batch id.
   */
  const resendStale = async (now: Date): Promise<DeliveryOutcome[]> => {
    const staleBefore = new Date(now.getTime() - (deps.staleSendingMs ?? defaultStaleSendingMs));
    const rows = await repo.claimStale(db, staleBefore, now);
    if (rows.length === 0) return [];
    log.warn({ deliveries: rows.length }, 'incident deliveries left sending by a stopped replica: sending them again');
    const singles = rows.filter((r) => r.batchId === null);
    const batches = new Map<string, repo.DeliveryRow[]>();
    for (const r of rows) if (r.batchId !== null) batches.set(r.batchId, [...(batches.get(r.batchId) ?? []), r]);
    const outcomes = await Promise.all([
      ...singles.map(async (r): Promise<DeliveryOutcome[]> => {
        const target = toTarget(r.target);
        const notice = { event: r.event, occurredAt: r.createdAt, repeats: await repo.repeatsClaimedBy(db, r.id) };
        try {
          if (!target) throw new AppError('config_invalid', `${r.target} is no longer in the routing document`);
          const attempts = await deliver(target, r.eventId, [notice], false);
          await repo.finish(db, [r.id], { status: 'sent', attempts, repeats: notice.repeats, at: deps.now() });
          return [{ target: r.target, status: 'sent', repeats: notice.repeats }];
        } catch (e) {
          const error = errorText(e);
          log.warn({ target: r.target, incidentId: r.incidentId, error }, 'incident delivery failed again');
          await repo.releaseRepeats(db, [r.id]);
          await repo.finish(db, [r.id], { status: 'failed', attempts: attemptsOf(e), error, at: deps.now() });
          return [{ target: r.target, status: 'failed', error }];
        }
      }),
      ...[...batches].map(async ([batchId, same]) =>
        sendBatch(
          same[0]!.target,
          batchId,
          same,
          await batchNotices(same, (_key, id) => repo.repeatsClaimedBy(db, id)),
        ),
      ),
    ]);
    return outcomes.flat();
  };

  return {
    notify: async (input) => {
      const parsed = IncidentRouteEvent.safeParse(input);
      if (!parsed.success) {
        log.error({ issues: formatZodIssues(parsed.error, 'event') }, 'incident routing got an invalid event');
        return [];
      }
      const event = parsed.data;
      if (!routing.kinds.has(event.kind)) return [];
      const targets = targetsFor(routing, event.incident.service, event.incident.urgency);
      return Promise.all(
        targets.map((t) =>
          routeOne(event, t).catch((err: unknown): DeliveryOutcome => {
            log.error(
              { err, target: t.key, incidentId: event.incidentId },
              'incident routing could not record a delivery',
            );
            return { target: t.key, status: 'failed', error: errorText(err) };
          }),
        ),
      );
    },

    flushHeld: async (now = deps.now()) => {
      try {
        const held = await repo.heldTargets(db);
        const released = new Map<string, string[]>();
        for (const { target, urgency } of held) {
          if (urgency !== 'high' && urgency !== 'low') continue;
          if (quietUntil(routing, target, urgency, now)) continue;
          released.set(target, [...(released.get(target) ?? []), urgency]);
        }
        const resent = await resendStale(now).catch((err: unknown): DeliveryOutcome[] => {
          log.error({ err }, 'incident routing could not send deliveries left sending');
          return [];
        });
        const outcomes = await Promise.all(
          [...released].map(([target, urgencies]) =>
            flushTarget(target, urgencies, now).catch((err: unknown): DeliveryOutcome[] => {
              log.error({ err, target }, 'incident routing could not flush held deliveries');
              return [{ target, status: 'failed', error: errorText(err) }];
            }),
          ),
        );
        return [...resent, ...outcomes.flat()];
      } catch (err) {
        log.error({ err }, 'incident routing could not read held deliveries');
        return [];
      }
    },
  };
};
