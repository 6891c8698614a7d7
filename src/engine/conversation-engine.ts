import { randomUUID } from 'node:crypto';
import { actorKey, type Actor, type ConversationRef, type Role } from '../chat/actor.ts';
import { ActionIds, Interaction, MAX_TURN_TEXT, OptionsQuery, Turn } from '../chat/interaction.ts';
import { textReply, type Reply } from '../chat/reply.ts';
import { recordCardCopy } from '../changes/card-copies.ts';
import { renderChangeCard } from '../changes/card.ts';
import type { ChangeRequest } from '../changes/model.ts';
import type { ChangeService } from '../changes/service.ts';
import { AppError, UnavailableError, badRequest, formatZodIssues, isAppError, isUserFacing } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Db } from '../store/db.ts';
import { ensureUser } from '../users/repository.ts';
import { appendMessage, ensureConversation, markEventProcessed, recentHistory } from './conversations.ts';
import { homeReply } from './home.ts';
import type { Framework } from '../scans/frameworks/index.ts';
import type { ConversationEngine } from './engine.ts';
import type { OptionSources } from './options.ts';
import type { PlanStep, Planner, ToolResult } from './planner.ts';
import type { ToolRegistry } from './registry.ts';
import type { ToolContext } from '../tools/tool.ts';
import { isUnavailable } from '../store/unavailable.ts';
import type { LiveBus } from '../util/live.ts';
import { describeSecrets, redactDeep, redactSecrets, type SecretKind } from '../util/redact.ts';

/** What the user is told when their message held something token-like (it is stored redacted). */
export const redactionNotice = (found: readonly SecretKind[]): Reply =>
  textReply(
    `I removed what looked like ${describeSecrets(found)} from your message; ${found.length > 1 ? 'they were' : 'it was'} not stored.`,
    { ephemeral: true },
  );

export interface EngineDeps {
  db: Db;
  registry: ToolRegistry;
  /** Options of search form fields; none registered: every source is unknown. */
  optionSources?: OptionSources;
  planner: Planner;
  changes: ChangeService;
  bootstrapAdmins: string[];
  /** Role given to a user seen for the first time. */
  defaultRole: Role;
  logger: Logger;
  metrics: Metrics;
  now: () => Date;
  sandbox: boolean;
  /** Where the messages it stores are announced to live pages (src/util/live.ts). */
  live?: Pick<LiveBus, 'publish'>;
  /** The compliance frameworks Home scores (none: Home shows no compliance figure). */
  frameworks?: readonly Framework[] | undefined;
}

export type Engine = ConversationEngine;

/**
 * The conversation engine: the one path from what someone said (or clicked) to tools and back.
 * Every failure becomes a reply the user can act on; database outages become "temporarily
 * unavailable" and nothing is half-written (a change request is one row, moved by compare-and-set).
 */
export const createEngine = (d: EngineDeps): Engine => {
  /** In sandbox mode every answer says so, not only those that read the cloud: help and errors too. */
  const mark = (r: Reply): Reply => (d.sandbox && !r.sandbox ? { ...r, sandbox: true } : r);

  const toReply = (e: unknown, where: string): Reply => {
    if (isUnavailable(e)) {
      d.logger.warn({ err: e }, `${where}: database unavailable`);
      return mark(
        textReply(new UnavailableError('The bot').userMessage, { ephemeral: true, errorCode: 'unavailable' }),
      );
    }
    // An `internal` AppError is a bug: logged with a reference like any unexpected error.
    if (isUserFacing(e)) return mark(textReply(e.userMessage, { ephemeral: true, errorCode: e.code }));
    const ref = randomUUID().slice(0, 8);
    d.logger.error({ err: e, ref }, `${where} failed`);
    return mark(
      textReply(`Something went wrong on my side (ref ${ref}). Nothing was changed.`, {
        ephemeral: true,
        errorCode: 'internal',
      }),
    );
  };

  const context = async (actor: Actor, conversation: ConversationRef): Promise<ToolContext> => {
    const { role } = await ensureUser(d.db, actor, d.bootstrapAdmins, d.now(), d.defaultRole);
    return { actor, role, conversation, now: d.now() };
  };

  /** Runs one tool call; a plan becomes a change request and its card. */
  const runStep = async (step: PlanStep, ctx: ToolContext): Promise<Reply> => {
    const out = await d.registry.run(step.tool, step.input, ctx);
    if (out.type === 'answer') return out.reply;
    const change = await d.changes.request(out.plan, ctx.actor, ctx.role, ctx.conversation);
    return renderChangeCard(change, { sandbox: d.sandbox });
  };

  /**
   * One tool call chosen by an LLM planner. Only tools the registry offers to an LLM are reachable
   * (never approve, reject or grant, whatever name the model invents); the registry then checks
   * the role and the input like for any call. A change tool's plan is filed as a change request in
   * the asking user's name, so the approval policy applies exactly as if they had typed the command.
   * Every refusal or failure goes back to the model as an error it can read; only a database
   * outage is thrown (the turn fails as a whole and nothing is half-written).
   */
  const runLlmTool = async (step: PlanStep, ctx: ToolContext): Promise<ToolResult> => {
    const tool = d.registry.get(step.tool);
    if (!tool || !d.registry.offeredToLlm(tool)) {
      d.metrics.toolCalls.inc({ tool: tool ? step.tool : 'unknown', outcome: 'refused' });
      return {
        ok: false,
        error: `There is no tool called ${JSON.stringify(step.tool.slice(0, 80))} that you may call. Use only the tools you were given; approving, rejecting and granting roles are done by people.`,
      };
    }
    try {
      const out = await d.registry.run(step.tool, step.input, ctx);
      if (out.type === 'answer') {
        // rollback_change files its request itself and answers with the card: told like any change.
        const filed = out.reply.changeId ? await d.changes.get(out.reply.changeId) : null;
        if (filed) return changeResult(filed, out.reply);
        return { ok: true, reply: out.reply, data: out.data ?? out.reply.text, needsUser: tool.asksUser === true };
      }
      const change = await d.changes.request(out.plan, ctx.actor, ctx.role, ctx.conversation);
      return changeResult(change, renderChangeCard(change, { sandbox: d.sandbox }));
    } catch (e) {
      if (isUnavailable(e)) throw e;
      if (isUserFacing(e)) return { ok: false, error: e.userMessage };
      const ref = randomUUID().slice(0, 8);
      d.logger.error({ err: e, ref, tool: step.tool }, 'tool failed in an LLM turn');
      return { ok: false, error: `The tool failed on the bot's side (ref ${ref}); nothing was changed.` };
    }
  };

  /**
   * A filed change request as the model is told about it: what it is, and what happens next in
   * words that match its status at this moment (an auto-approved change may already have run).
   */
  const changeResult = (c: ChangeRequest, card: Reply): ToolResult => {
    const approvers = c.approvalsRequired === 1 ? 'an approver' : `${c.approvalsRequired} approvers`;
    const byPolicy = `the approval policy (rule ${c.policy.rule}) approved it without a person`;
    const note: Record<string, string> = {
      pending: `${c.id} was filed and is waiting for approval by ${approvers}. Nothing has run. Its card is shown to the user.`,
      approved: `${c.id} was filed; ${byPolicy}, and the executor is about to run it. Its card, shown to the user, reports the outcome; do not claim it is done.`,
      executing: `${c.id} was filed; ${byPolicy}, and it is running now. Its card, shown to the user, reports the outcome; do not claim it is done.`,
      succeeded: `${c.id} was filed; ${byPolicy}, and it has already run: ${c.result?.summary ?? 'done'}. Its card is shown to the user.`,
      failed: `${c.id} was filed; ${byPolicy}, and it failed: ${c.error ?? 'unknown error'}. Its card is shown to the user.`,
    };
    return {
      ok: true,
      reply: card,
      needsUser: true,
      change: { id: c.id, status: c.status, approvalsRequired: c.approvalsRequired },
      data: {
        changeId: c.id,
        status: c.status,
        summary: c.plan.summary,
        costDeltaCents: c.plan.costDeltaCents,
        note: note[c.status] ?? `${c.id} was filed; its status is ${c.status}. Its card is shown to the user.`,
      },
    };
  };

  const store = async (conversationId: string, replies: Reply[], viewer: string): Promise<Reply[]> => {
    const stored: Reply[] = [];
    for (const raw of replies) {
      const r = mark(raw);
      const id = await appendMessage(
        d.db,
        { conversationId, author: 'bot', text: r.text, reply: r, visibleTo: r.ephemeral ? viewer : null },
        d.live,
      );
      stored.push({ ...r, messageId: String(id) });
    }
    return stored;
  };

  const handleTurn: ConversationEngine['handleTurn'] = async (raw) => {
    const started = process.hrtime.bigint();
    const parsed = Turn.safeParse(raw);
    // Fallback '' keeps these texts as they were: a root-level issue reads `: Invalid input…`.
    if (!parsed.success) throw badRequest(`invalid turn: ${formatZodIssues(parsed.error, '')}`);
    const turn = parsed.data;
    const surface = turn.actor.surface;
    let outcome = 'ok';
    try {
      if (turn.eventId && !(await markEventProcessed(d.db, `${surface}:${turn.eventId}`))) {
        outcome = 'duplicate';
        return [];
      }
      if (turn.text.length > MAX_TURN_TEXT) {
        // After de-duplication, so a redelivered long message is answered once; its text is not stored.
        outcome = 'too_long';
        const size = turn.text.length.toLocaleString('en-US');
        return [
          mark(
            textReply(
              `That message is ${size} characters long; I read at most ${MAX_TURN_TEXT.toLocaleString('en-US')}. Please send a shorter question.`,
              { ephemeral: true },
            ),
          ),
        ];
      }
      // Token-like values (a pasted key, a connection string) are replaced before anything is
      // stored or planned: the message, a reason, the audit log never hold them (src/util/redact.ts).
      const { text, found } = redactSecrets(turn.text);
      const ctx = await context(turn.actor, turn.conversation);
      const conversationId = await ensureConversation(d.db, turn.conversation);
      const history =
        d.planner.historyTurns > 0
          ? await recentHistory(d.db, conversationId, d.planner.historyTurns, actorKey(turn.actor))
          : [];
      await appendMessage(d.db, { conversationId, author: 'user', actorKey: actorKey(turn.actor), text }, d.live);
      const plan = await d.planner.plan(
        { text, history, conversationId, runTool: (step) => runLlmTool(step, ctx) },
        ctx,
      );
      const replies: Reply[] = found.length > 0 ? [redactionNotice(found)] : [];
      replies.push(...(plan.notices ?? []));
      if (plan.type === 'reply') replies.push(plan.reply);
      else if (plan.type === 'answer') replies.push(...plan.replies);
      else {
        for (const step of plan.steps) {
          try {
            replies.push(await runStep(step, ctx));
          } catch (e) {
            if (isUnavailable(e)) throw e;
            outcome = isAppError(e) ? e.code : 'error';
            replies.push({ ...toReply(e, 'tool'), ephemeral: false });
          }
        }
      }
      return await store(conversationId, replies, actorKey(turn.actor));
    } catch (e) {
      outcome = isUnavailable(e) ? 'unavailable' : 'error';
      return [toReply(e, 'turn')];
    } finally {
      d.metrics.turns.inc({ surface, outcome });
      d.metrics.turnSeconds.observe({ surface }, Number(process.hrtime.bigint() - started) / 1e9);
    }
  };

  /** Button → tool call. Deciding buttons answer privately; the card itself is updated by the notifier. */
  const stepFor = (i: Interaction): { step: PlanStep; privateAnswer: boolean } => {
    switch (i.actionId) {
      case ActionIds.approve:
        return { step: { tool: 'approve_change', input: { changeId: i.value } }, privateAnswer: true };
      case ActionIds.reject:
        return {
          step: {
            tool: 'reject_change',
            input: { changeId: i.value, ...(i.inputs?.reason ? { reason: i.inputs.reason } : {}) },
          },
          privateAnswer: true,
        };
      case ActionIds.command: {
        let call: unknown;
        try {
          call = JSON.parse(i.value);
        } catch (e) {
          throw badRequest('That button carries a malformed command.', e);
        }
        const c = call as Partial<PlanStep>;
        if (!c || typeof c.tool !== 'string') throw badRequest('That button carries a malformed command.');
        // A form's inputs complete the call (e.g. the size picked in a resize form).
        const input =
          typeof c.input === 'object' && c.input !== null
            ? { ...c.input, ...(i.inputs ?? {}) }
            : (c.input ?? i.inputs ?? {});
        return { step: { tool: c.tool, input }, privateAnswer: false };
      }
      default:
        throw new AppError(
          'bad_request',
          `I don't know the button “${i.actionId}”. It may come from an older version of this card.`,
        );
    }
  };

  /** What a click means, as the history shows it (close to the command one could have typed). */
  const describeClick = (i: Interaction, step: PlanStep): string => {
    if (i.actionId === ActionIds.approve) return `approve ${i.value}`;
    if (i.actionId === ActionIds.reject) return `reject ${i.value}${i.inputs?.reason ? ` ${i.inputs.reason}` : ''}`;
    const args =
      typeof step.input === 'object' && step.input !== null
        ? Object.entries(step.input)
            .map(([k, v]) => `${k}=${String(v)}`)
            .join(' ')
        : '';
    return `[${step.tool.replace(/_/g, ' ')}${args ? `: ${args}` : ''}]`;
  };

  const handleInteraction: ConversationEngine['handleInteraction'] = async (raw) => {
    const parsed = Interaction.safeParse(raw);
    if (!parsed.success) throw badRequest(`invalid interaction: ${formatZodIssues(parsed.error, '')}`);
    // A button's value and a form's inputs (a rejection reason) are typed text too.
    const { value: typed, found } = redactDeep({ value: parsed.data.value, inputs: parsed.data.inputs });
    const i: Interaction = { ...parsed.data, ...typed };
    const notice = found.length > 0 ? [redactionNotice(found)] : [];
    try {
      const { step, privateAnswer } = stepFor(i);
      const ctx = await context(i.actor, i.conversation);
      const conversationId = await ensureConversation(d.db, i.conversation);
      await appendMessage(
        d.db,
        { conversationId, author: 'user', actorKey: actorKey(i.actor), text: describeClick(i, step) },
        d.live,
      );
      let answer: Reply;
      try {
        answer = await runStep(step, ctx);
      } catch (e) {
        if (isUnavailable(e)) throw e;
        const answer = toReply(e, 'interaction');
        // A form value at fault: surfaces show the message on that field and keep the form open.
        if (isAppError(e) && e.field && i.inputs && e.field in i.inputs)
          answer.fieldErrors = { [e.field]: e.userMessage };
        return await store(conversationId, [answer, ...notice], actorKey(i.actor));
      }
      if (privateAnswer) answer = decisionAck(i, answer);
      return await store(conversationId, [answer, ...notice], actorKey(i.actor));
    } catch (e) {
      return [toReply(e, 'interaction')];
    }
  };

  return {
    handleTurn,
    handleInteraction,
    cardPosted: async (changeId, posted) => {
      await recordCardCopy(d.db, changeId, posted);
    },
    options: async (raw) => {
      const parsed = OptionsQuery.safeParse(raw);
      if (!parsed.success) throw badRequest(`invalid options query: ${formatZodIssues(parsed.error, '')}`);
      // Not stored, but it may reach a log line (a failed lookup).
      const q = { ...parsed.data, query: redactSecrets(parsed.data.query).text };
      if (!d.optionSources) throw new AppError('bad_request', 'No option sources are registered.');
      return d.optionSources.list(q.source, q.query, await context(q.actor, q.conversation));
    },
    home: async (actor) =>
      mark(
        await homeReply(
          {
            db: d.db,
            changes: d.changes,
            bootstrapAdmins: d.bootstrapAdmins,
            defaultRole: d.defaultRole,
            now: d.now,
            sandbox: d.sandbox,
            frameworks: d.frameworks,
          },
          actor,
        ),
      ),
  };
};

/**
 * The clicker's private confirmation; everyone else sees the card change in place. An answer that
 * is not the card (approving refused for now by a freeze, with what to do) is shown as it is.
 */
const decisionAck = (i: Interaction, card: Reply): Reply => {
  if (!card.changeId) return { ...card, ephemeral: true };
  const verb = i.actionId === ActionIds.approve ? 'approved' : 'rejected';
  return textReply(`You ${verb} ${i.value}. ${card.text}`, {
    ephemeral: true,
    ...(card.sandbox ? { sandbox: true } : {}),
  });
};
