import { randomUUID } from 'node:crypto';
import type { Actor, ConversationRef, SurfaceName } from '../chat/actor.ts';
import { textReply, type Reply } from '../chat/reply.ts';
import type { ChatSurface, PostedMessage } from '../chat/surface.ts';
import { AppError, badRequest, forbidden, notFound } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Db } from '../store/db.ts';
import type { LiveBus } from '../util/live.ts';
import { sql } from '../store/orm.ts';
import {
  buildSummary,
  renderDiagnosis,
  renderIncidentCard,
  renderSummary,
  type IncidentSummary,
  type SummaryChange,
} from './card.ts';
import { gradeDiagnosis, gradeLabel } from './grading.ts';
import type { Diagnosis, IncidentSignal, RecordedCause, SignalKind } from './model.ts';
import type { PagerDutyApi } from './ports.ts';
import {
  appendEvent,
  applySignal,
  claimInbox,
  claimThread,
  diagnosisFromJson,
  enqueueSignals,
  finishInbox,
  getIncident,
  incidentByNumber,
  incidentsWithoutThread,
  incidentNumber,
  incidentRef,
  listEvents,
  recordCause,
  releaseThread,
  setShown,
  setThread,
  updateIncident,
  userEmail,
  workspaceOfExternal,
  type Applied,
  type IncidentRow,
} from './repository.ts';

/**
 * The incident service: webhook deliveries in (acked at once, processed after), one thread per
 * incident whose first message follows the incident, the diagnosis posted in it, remediation,
 * routing beyond chat, the summary at the end and the grade of the diagnosis against the cause.
 * docs/architecture.md#incidents.
 */

export type IncidentAction = 'acknowledge' | 'resolve' | 'escalate';

export interface IncidentServiceDeps {
  db: Db;
  now: () => Date;
  logger: Logger;
  /** This process among the replicas (claims name it). */
  runner: string;
  sandbox: boolean;
  surface(name: SurfaceName): ChatSurface | undefined;
  /** Where a service's incident thread goes (routing; the default channel for unknown services). */
  channelFor(service: string): ConversationRef;
  /** Change-aware diagnosis (and the narrative when an explainer is wired); absent: none is posted. */
  diagnose?(i: IncidentRow): Promise<Diagnosis>;
  /** Auto-remediation after the diagnosis: a line for the thread when a rule acted or declined. */
  autoRemediate?(
    i: IncidentRow,
    d: Diagnosis,
    thread: ConversationRef,
  ): Promise<{ text: string; changeId?: string } | undefined>;
  /** Routing beyond chat (email, webhooks): never throws. */
  notify?(i: IncidentRow, kind: SignalKind, d?: Diagnosis): Promise<void>;
  /**
   * When the channel is in its quiet hours for this urgency (the routing file's `quietHours` for a
   * chat channel): until when. The thread is then posted when they end (`postDeferred`).
   */
  quietUntil?(channel: ConversationRef, urgency: string): Date | undefined;
  /** PagerDuty's REST API, when a token is configured. */
  pagerduty?: PagerDutyApi;
  /** A chat person's email as their platform tells it (Slack users.info, the console's seeded people). */
  platformEmail?(actor: Actor): Promise<string | undefined>;
  /** Where an incident opened or moved is announced to live pages (src/util/live.ts). */
  live?: Pick<LiveBus, 'publish'>;
  /** How many incidents' deliveries are processed at once (default 2: answering webhooks comes first). */
  concurrency?: number;
  inboxLeaseMs?: number;
  threadLeaseMs?: number;
  /** Processing waits while deliveries arrived within this many ms (default 20)… */
  ingestQuietMs?: number;
  /** …but a claimed delivery waits at most this long for a pause (default 10 s). */
  maxLagMs?: number;
}

export interface IncidentService {
  /** Records a verified, parsed delivery: 'duplicate' for a redelivery (nothing else happens). */
  receive(signal: IncidentSignal): Promise<'queued' | 'duplicate'>;
  /** Processes what is waiting in the inbox (the job calls it; `receive` starts it). */
  drain(): Promise<number>;
  /** Settles when the processing started so far is done (tests, shutdown). */
  idle(): Promise<void>;
  /** Acts in PagerDuty as the person (their PagerDuty login), then updates the card and says it in the thread. */
  act(
    ref: string,
    action: IncidentAction,
    actor: Actor,
    workspaceId: string,
  ): Promise<{ incident: IncidentRow; text: string }>;
  recordCause(ref: string, cause: RecordedCause, actor: Actor, workspaceId: string): Promise<IncidentRow>;
  find(ref: string, workspaceId: string): Promise<IncidentRow>;
  /** Posts the threads held by their channel's quiet hours once those are over; returns how many. */
  postDeferred(): Promise<number>;
  /** Runs the diagnosis again and posts it in the thread. */
  rediagnose(ref: string, workspaceId: string): Promise<IncidentRow>;
}

const threadOf = (i: IncidentRow): ConversationRef | undefined =>
  i.thread ? { ...i.thread.conversation, threadId: i.thread.conversation.threadId ?? i.thread.messageId } : undefined;

export const createIncidentService = (d: IncidentServiceDeps): IncidentService => {
  const inboxLeaseMs = d.inboxLeaseMs ?? 60_000;
  const threadLeaseMs = d.threadLeaseMs ?? 30_000;
  const concurrency = d.concurrency ?? 2;
  const ingestQuietMs = d.ingestQuietMs ?? 20;
  const maxLagMs = d.maxLagMs ?? 10_000;
  let lastReceivedAt = -Infinity;
  const running = new Set<Promise<unknown>>();
  let draining: Promise<number> | undefined;
  let again = false;

  const track = <T>(p: Promise<T>): Promise<T> => {
    running.add(p);
    void p.finally(() => running.delete(p)).catch(() => undefined);
    return p;
  };

  /** Applies a signal; an incident opened, reopened or moved by it is announced. */
  const apply = async (...args: Parameters<typeof applySignal>): Promise<Applied> => {
    const applied = await applySignal(...args);
    const { incident } = applied;
    if (applied.created || applied.changed || applied.reopened)
      d.live?.publish({
        kind: 'incident',
        workspaceId: incident.workspaceId,
        incidentId: incidentRef(incident),
        status: incident.status,
      });
    return applied;
  };

  const postIn = async (conversation: ConversationRef, reply: Reply): Promise<PostedMessage | undefined> => {
    const surface = d.surface(conversation.surface);
    if (!surface) {
      d.logger.warn({ surface: conversation.surface }, 'incident channel is on a surface that is not running');
      return undefined;
    }
    return surface.post(conversation, reply);
  };

  /** Posts in the incident's thread (when it has one); failures are logged, never thrown. */
  const say = async (i: IncidentRow, reply: Reply): Promise<void> => {
    const thread = threadOf(i);
    if (!thread) return;
    try {
      await postIn(thread, reply);
    } catch (err) {
      d.logger.warn({ err, incident: incidentRef(i) }, 'could not post in an incident thread');
    }
  };

  /**
   * A thread posted late (held by its channel's quiet hours, or an earlier post failed: a Teams
   * channel the bot had not been in, a Slack channel it was not a member of, a surface that was
   * down) catches up: why it is late, then the diagnosis, auto-remediation lines and the summary
   * made meanwhile.
   */
  const catchUp = async (i: IncidentRow, failedBefore: boolean): Promise<void> => {
    const opened = i.openedAt.toISOString().slice(0, 16).replace('T', ' ');
    await say(
      i,
      textReply(
        failedBefore
          ? `Posted late: ${incidentRef(i)} opened at ${opened} UTC, when the bot could not post in this channel yet.`
          : `Posted after the channel's quiet hours: ${incidentRef(i)} opened at ${opened} UTC.`,
      ),
    );
    const diagnosis = i.diagnosis ? diagnosisFromJson(i.diagnosis) : undefined;
    if (diagnosis) await say(i, renderDiagnosis(i, diagnosis, { sandbox: d.sandbox }));
    for (const e of await listEvents(d.db, i.id)) if (e.kind === 'auto_remediation') await say(i, textReply(e.text));
    if (i.status === 'resolved' && i.summary)
      await say(i, renderSummary(i, i.summary as unknown as IncidentSummary, { sandbox: d.sandbox }));
  };

  /** Posts the thread once (one replica), or brings its first message up to date. */
  const showCard = async (id: number, opts: { deferred?: boolean } = {}): Promise<IncidentRow | undefined> => {
    let i = await getIncident(d.db, id);
    if (!i) return undefined;
    if (!i.thread) {
      // A quiet channel gets the thread when its quiet hours end (higher urgencies as they come).
      if (d.quietUntil?.(i.channel, i.urgency)) return i;
      // A runner that tried before and failed is still named (its claim released, see below).
      const failedBefore = i.threadClaimedBy !== null;
      if (!(await claimThread(d.db, i.id, d.runner, d.now(), threadLeaseMs))) return i;
      // A channel the bot cannot post in fails no delivery: retrying it would count the alert again.
      // The claim is released; the incident's next update, or the inbox job (`postDeferred`), tries again.
      let posted: PostedMessage | undefined;
      try {
        posted = await postIn(i.channel, renderIncidentCard(i, { sandbox: d.sandbox }));
      } catch (err) {
        d.logger.warn(
          { err, incident: incidentRef(i), surface: i.channel.surface, channelId: i.channel.channelId },
          'could not post an incident thread; it is tried again',
        );
      }
      if (!posted) {
        await releaseThread(d.db, i.id, d.runner);
        return i;
      }
      await setThread(d.db, i.id, posted, i.version);
      i = (await getIncident(d.db, id))!;
      // Late: posted by the job, after a failed post, or with a diagnosis already made (held by quiet hours).
      if (opts.deferred || failedBefore || i.diagnosis) await catchUp(i, failedBefore);
    }
    if (i.version > i.shownVersion && i.thread) {
      const surface = d.surface(i.thread.surface);
      const version = i.version;
      await surface?.update(i.thread, renderIncidentCard(i, { sandbox: d.sandbox }));
      await setShown(d.db, i.id, version);
    }
    return i;
  };

  const diagnoseAndRemediate = async (i: IncidentRow, opts: { first: boolean }): Promise<void> => {
    if (!d.diagnose) {
      if (opts.first) await d.notify?.(i, 'triggered');
      return;
    }
    let diagnosis: Diagnosis;
    try {
      diagnosis = await d.diagnose(i);
    } catch (err) {
      d.logger.warn({ err, incident: incidentRef(i) }, 'incident diagnosis failed');
      await say(i, textReply(`I could not gather the facts for ${incidentRef(i)}: ${(err as Error).message}`));
      return;
    }
    i = await updateIncident(d.db, i.id, { diagnosis }, d.now());
    await appendEvent(d.db, i.id, {
      at: d.now(),
      kind: 'diagnosed',
      actor: 'DevOps Agent',
      text: diagnosis.suspects[0]
        ? `Diagnosis: ${diagnosis.suspects[0].text}`
        : `Diagnosis: ${diagnosis.facts.length} facts, no clear suspect`,
      origin: 'chat',
    });
    await say(i, renderDiagnosis(i, diagnosis, { sandbox: d.sandbox }));
    // A thread held by quiet hours: the remediation is filed in the channel (its line waits with the thread).
    const thread = threadOf(i) ?? i.channel;
    if (opts.first && d.autoRemediate && thread) {
      try {
        const done = await d.autoRemediate(i, diagnosis, thread);
        if (done) {
          await appendEvent(d.db, i.id, {
            at: d.now(),
            kind: 'auto_remediation',
            actor: 'DevOps Agent',
            text: done.text,
            origin: 'chat',
            ...(done.changeId ? { changeId: done.changeId } : {}),
          });
          await say(i, textReply(done.text));
        }
      } catch (err) {
        d.logger.warn({ err, incident: incidentRef(i) }, 'auto-remediation failed');
        await say(i, textReply(`Auto-remediation did not run: ${(err as Error).message}`));
      }
    }
    if (opts.first) await d.notify?.(i, 'triggered', diagnosis);
  };

  /** Changes filed in the thread, by auto-remediation, or on the affected resources while the incident was open. */
  const changesDuring = async (i: IncidentRow): Promise<SummaryChange[]> => {
    const thread = threadOf(i);
    const diagnosis = i.diagnosis ? diagnosisFromJson(i.diagnosis) : undefined;
    const affected = [
      ...new Set(
        [
          ...(diagnosis?.affected ?? []),
          ...(diagnosis?.proposals.flatMap((p) => (p.target ? [p.target] : [])) ?? []),
        ].map((r) => r.id),
      ),
    ];
    const { rows } = await d.db.execute<{
      id: string;
      status: string;
      action: string;
      resource_name: string;
      requester: { displayName?: string };
      created_at: string | Date;
      finished_at: string | Date | null;
    }>(sql`
      select id, status, action, resource_name, requester, created_at, finished_at from change_requests
      where workspace_id = ${i.workspaceId} and (
        ${thread ? sql`(conversation->>'channelId' = ${thread.channelId} and conversation->>'threadId' = ${thread.threadId ?? ''})` : sql`false`}
        or id in (select change_id from incident_events where incident_id = ${i.id} and change_id is not null)
        or (${
          affected.length > 0
            ? sql`target->>'id' in (${sql.join(
                affected.map((a) => sql`${a}`),
                sql`, `,
              )})`
            : sql`false`
        }
            and created_at >= ${i.openedAt.toISOString()} and created_at <= ${(i.resolvedAt ?? d.now()).toISOString()}))
      order by created_at`);
    return rows.map((r) => ({
      id: r.id,
      status: r.status,
      action: r.action,
      resourceName: r.resource_name,
      requester: r.requester?.displayName ?? '',
      createdAt: new Date(r.created_at),
      finishedAt: r.finished_at ? new Date(r.finished_at) : null,
    }));
  };

  const summarise = async (i: IncidentRow): Promise<void> => {
    const summary = buildSummary(i, await listEvents(d.db, i.id), await changesDuring(i));
    i = await updateIncident(d.db, i.id, { summary: summary as unknown as Record<string, unknown> }, d.now());
    await say(i, renderSummary(i, summary, { sandbox: d.sandbox }));
  };

  const process = async (s: IncidentSignal): Promise<void> => {
    // The incident's own channel when it is known (a partial signal names no service to route by).
    const known = await workspaceOfExternal(d.db, s.source, s.externalId);
    if (!known && s.partial) {
      d.logger.info(
        { source: s.source, externalId: s.externalId, kind: s.kind },
        'a note for an incident this bot never saw; ignored',
      );
      return;
    }
    const channel = known?.channel ?? d.channelFor(s.service);
    const applied = await apply(d.db, s, channel.workspaceId, channel, d.now());
    let i: IncidentRow | undefined = applied.incident;
    if (applied.changed || applied.repeat || !i.thread) i = (await showCard(i.id)) ?? i;
    const news = !applied.created && !applied.repeat && (applied.changed || s.kind === 'annotated');
    if (news) {
      const via = s.source === 'pagerduty' ? 'in PagerDuty' : 'by Alertmanager';
      const who = s.agent?.name ? ` by ${s.agent.name}` : '';
      const line: Partial<Record<SignalKind, string>> = {
        acknowledged: `🟠 Acknowledged ${via}${who}.`,
        unacknowledged: `🔴 The acknowledgement lapsed ${via}.`,
        resolved: `✅ Resolved ${via}${who}${s.note ? `: ${s.note}` : ''}.`,
        reopened: `🔴 Reopened ${via}${who}.`,
        triggered: `🔴 Firing again ${via}.`,
        escalated: `⬆️ Escalated ${via}${s.escalationLevel ? ` to level ${s.escalationLevel}` : ''}${who}.`,
        reassigned: `👤 Reassigned ${via}${s.assignees?.length ? ` to ${s.assignees.join(', ')}` : ''}${who}.`,
        annotated: `📝 Note ${via}${who}: ${s.note ?? ''}`,
        priority_updated: `Priority changed ${via}${s.note ? ` to ${s.note}` : ''}${who}.`,
      };
      const text = applied.reopened ? line.reopened : line[s.kind];
      if (text) await say(i, textReply(text));
    }
    if (applied.created || applied.reopened) {
      if (i.status !== 'resolved') await diagnoseAndRemediate(i, { first: true });
      else await d.notify?.(i, s.kind);
      return;
    }
    if (applied.repeat) {
      await d.notify?.(i, 'triggered');
      return;
    }
    if (applied.changed && i.status === 'resolved' && s.kind === 'resolved') await summarise(i);
    if (applied.changed || s.kind === 'annotated') await d.notify?.(i, s.kind);
  };

  /** Deliveries of one incident in order; different incidents side by side. */
  const drainOnce = async (): Promise<number> => {
    let total = 0;
    for (;;) {
      const items = await claimInbox(d.db, d.runner, d.now(), inboxLeaseMs, 100);
      if (items.length === 0) return total;
      total += items.length;
      const groups = new Map<string, typeof items>();
      for (const it of items) {
        const key = `${it.signal.source}:${it.signal.externalId}`;
        groups.set(key, [...(groups.get(key) ?? []), it]);
      }
      const queue = [...groups.values()];
      const claimedAt = performance.now();
      const worker = async () => {
        for (let g = queue.shift(); g; g = queue.shift())
          for (const it of g) {
            // Answering webhooks comes first: while deliveries keep arriving, processing waits for a
            // pause, but never leaves a claimed delivery waiting longer than `maxLagMs`.
            while (performance.now() - lastReceivedAt < ingestQuietMs && performance.now() - claimedAt < maxLagMs)
              await new Promise((resolve) => setTimeout(resolve, ingestQuietMs));
            try {
              await process(it.signal);
              await finishInbox(d.db, it.id, d.now());
              // Webhooks waiting to be answered go first: they only need one insert each.
              await new Promise<void>((resolve) => setImmediate(resolve));
            } catch (err) {
              d.logger.warn(
                { err, eventId: it.signal.eventId, attempts: it.attempts },
                'could not process an incident event',
              );
              await finishInbox(d.db, it.id, d.now(), err instanceof Error ? err.message : String(err)).catch(
                () => undefined,
              );
            }
          }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
    }
  };

  const drain = (): Promise<number> => {
    if (draining) {
      again = true;
      return draining;
    }
    const run = async (): Promise<number> => {
      let n = 0;
      do {
        again = false;
        n += await drainOnce();
      } while (again);
      return n;
    };
    draining = track(run().finally(() => (draining = undefined)));
    return draining;
  };

  type Waiting = {
    signal: IncidentSignal;
    key: string;
    resolve: (v: 'queued' | 'duplicate') => void;
    reject: (e: unknown) => void;
  };
  const MAX_BATCH = 500;
  let batch: Waiting[] = [];
  let flushTimer: NodeJS.Timeout | undefined;
  const flush = async (): Promise<void> => {
    clearTimeout(flushTimer);
    flushTimer = undefined;
    const taken = batch;
    batch = [];
    if (taken.length === 0) return;
    // The same event twice in one batch: the first is the delivery, the others redeliveries.
    const firsts = new Map<string, Waiting>();
    for (const w of taken) if (!firsts.has(w.key)) firsts.set(w.key, w);
    try {
      const fresh = await enqueueSignals(
        d.db,
        [...firsts.values()].map((w) => w.signal),
        d.now(),
      );
      for (const w of taken) w.resolve(firsts.get(w.key) === w && fresh.has(w.key) ? 'queued' : 'duplicate');
      if (fresh.size > 0)
        void drain().catch((err: unknown) => d.logger.warn({ err }, 'incident inbox processing failed'));
    } catch (e) {
      // Nothing was recorded: each sender gets the error (503 when the database is down) and retries.
      for (const w of taken) w.reject(e);
    }
  };

  const find = async (ref: string, workspaceId: string): Promise<IncidentRow> => {
    const n = incidentNumber(ref);
    if (n === undefined) throw badRequest(`“${ref}” is not an incident; they look like INC-7.`, undefined, 'incident');
    const i = await incidentByNumber(d.db, workspaceId, n);
    if (!i) throw notFound(`There is no incident INC-${n} here.`);
    return { ...i, diagnosis: i.diagnosis ? (diagnosisFromJson(i.diagnosis) ?? null) : null };
  };

  /** The PagerDuty login email of a chat person: an admin's mapping first, else what their platform says. */
  const emailFor = async (actor: Actor): Promise<string | undefined> =>
    (await userEmail(d.db, actor)) ?? (await d.platformEmail?.(actor).catch(() => undefined));

  const act: IncidentService['act'] = async (ref, action, actor, workspaceId) => {
    let i = await find(ref, workspaceId);
    if (i.status === 'resolved') throw badRequest(`${incidentRef(i)} is already resolved.`);
    if (action === 'acknowledge' && i.status === 'acknowledged')
      throw badRequest(
        `${incidentRef(i)} is already acknowledged${i.acknowledgedBy ? ` by ${i.acknowledgedBy}` : ''}.`,
      );
    let level: number | undefined;
    if (i.source === 'pagerduty') {
      if (!d.pagerduty)
        throw new AppError(
          'unavailable',
          'PagerDuty is not connected (PAGERDUTY_API_TOKEN is not set), so I cannot change this incident there.',
        );
      const email = await emailFor(actor);
      if (!email)
        throw forbidden(
          `I don't know your PagerDuty login, so I cannot act for you. An admin can say \`pagerduty map @you your@email\`, or your chat profile can show your email.`,
        );
      const pdUser = await d.pagerduty.userByEmail(email);
      if (!pdUser)
        throw forbidden(
          `No PagerDuty user has the login ${email}: ask a PagerDuty admin to add you, or an admin here to map you to your PagerDuty email.`,
        );
      // PagerDuty first: nothing is recorded here unless PagerDuty took it.
      if (action === 'acknowledge') await d.pagerduty.acknowledge(i.externalId, pdUser.email);
      else if (action === 'resolve') await d.pagerduty.resolve(i.externalId, pdUser.email);
      else level = (await d.pagerduty.escalate(i.externalId, pdUser.email)).level;
    } else if (action === 'escalate') {
      throw badRequest(
        'Alertmanager has no escalation: escalate in your paging tool, or route this service to PagerDuty.',
      );
    }
    const at = d.now();
    const kind: SignalKind =
      action === 'acknowledge' ? 'acknowledged' : action === 'resolve' ? 'resolved' : 'escalated';
    const applied = await apply(
      d.db,
      {
        source: i.source as IncidentSignal['source'],
        eventId: `chat:${randomUUID()}`,
        kind,
        occurredAt: at,
        externalId: i.externalId,
        title: i.title,
        service: i.service,
        urgency: i.urgency as IncidentSignal['urgency'],
        agent: { name: actor.displayName },
        labels: {},
        resources: [],
        ...(level !== undefined ? { escalationLevel: level } : {}),
      },
      i.workspaceId,
      i.channel,
      at,
    );
    i = (await showCard(applied.incident.id)) ?? applied.incident;
    const where = i.source === 'pagerduty' ? ' in PagerDuty' : '';
    const text =
      action === 'acknowledge'
        ? `🟠 ${actor.displayName} acknowledged ${incidentRef(i)}${where}.`
        : action === 'resolve'
          ? `✅ ${actor.displayName} resolved ${incidentRef(i)}${where}.`
          : `⬆️ ${actor.displayName} escalated ${incidentRef(i)}${where}${level ? ` to level ${level}` : ''}.`;
    // Said in the incident's thread, wherever the person acted (a click on the card, which on Slack
    // is answered at the top of the channel, or a command typed elsewhere): the thread is the record.
    if (applied.changed) await say(i, textReply(text));
    if (action === 'resolve' && applied.changed) {
      await summarise(i);
      await d.notify?.(i, 'resolved');
    } else if (applied.changed) {
      await d.notify?.(i, kind);
    }
    return { incident: i, text };
  };

  return {
    receive: (signal) => {
      // Deliveries arriving together are recorded in one insert (a burst of 1,000 a second is a
      // few dozen statements, not a thousand), then the processing starts.
      const key = `${signal.source}:${signal.eventId}`;
      lastReceivedAt = performance.now();
      return new Promise<'queued' | 'duplicate'>((resolve, reject) => {
        batch.push({ signal, key, resolve, reject });
        if (batch.length >= MAX_BATCH) void flush();
        else if (!flushTimer) flushTimer = setTimeout(() => void flush(), 0);
      });
    },
    drain,
    idle: async () => {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
    act,
    find,
    recordCause: async (ref, cause, actor, workspaceId) => {
      const i = await find(ref, workspaceId);
      const grade = i.diagnosis ? gradeDiagnosis(i.diagnosis, cause) : undefined;
      const row = await recordCause(
        d.db,
        i.id,
        cause,
        actor.displayName,
        grade ? { grade, category: cause.category } : undefined,
        d.now(),
      );
      await appendEvent(d.db, i.id, {
        at: d.now(),
        kind: 'cause_recorded',
        actor: actor.displayName,
        text: `Cause: ${cause.category}${cause.resource ? ` · ${cause.resource}` : ''}${cause.changeId ? ` · ${cause.changeId}` : ''}${grade ? ` (diagnosis ${gradeLabel[grade]})` : ''}`,
        origin: 'chat',
        ...(cause.changeId ? { changeId: cause.changeId } : {}),
      });
      return (await showCard(row.id)) ?? row;
    },
    postDeferred: async () => {
      let posted = 0;
      for (const held of await incidentsWithoutThread(d.db)) {
        if (d.quietUntil?.(held.channel, held.urgency)) continue;
        // Nothing to retry yet: a thread nobody has tried to post is the inbox's to post.
        if (!d.quietUntil && held.threadClaimedBy === null) continue;
        if ((await showCard(held.id, { deferred: true }))?.thread) posted++;
      }
      return posted;
    },
    rediagnose: async (ref, workspaceId) => {
      const i = await find(ref, workspaceId);
      await diagnoseAndRemediate(i, { first: false });
      return (await getIncident(d.db, i.id)) ?? i;
    },
  };
};
