import { withProgress } from '../../chat/progress.ts';
import { textReply, type Reply } from '../../chat/reply.ts';
import type { ConversationEngine } from '../../engine/engine.ts';
import type { Logger } from '../../observability/logger.ts';
import { WORKING_TEXT, type Delivery, type Respond, type Target } from './deliver.ts';
import type { Identity } from './identity.ts';
import type { WebClient } from './web.ts';

/**
 * One thing someone said to the bot (mention, DM, thread follow-up, slash command) → engine turn →
 * replies in Slack. `acceptTurn` runs in the listener, at the ack, and starts the "working…" clock
 * there: the engine work itself is queued (background.ts), and under load the queue alone can take
 * longer than `workingAfterMs`, which the user should not spend without a sign of life. If the
 * answer is not ready by then, "⏳ Working on it…" is posted (queued or not) and later replaced.
 */
export interface TurnInput {
  client: WebClient;
  teamId: string;
  channel: string;
  threadTs?: string;
  userId: string;
  /** The user's name from the payload, used if users.info fails. */
  userHint?: string;
  text: string;
  /** Slack event_id: the engine records it, so retries and duplicate deliveries run once. */
  eventId?: string;
  respond?: Respond;
  /** Every reply to the asker only (help for an empty slash command). */
  privately?: boolean;
}

export const MAX_TEXT = 40_000;

/** The timer functions the working clock uses (tests pass manual ones). */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}
export const systemTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface TurnDeps {
  engine: Pick<ConversationEngine, 'handleTurn'>;
  delivery: Pick<Delivery, 'deliver' | 'working' | 'conversation' | 'update'>;
  identity: Pick<Identity, 'actor'>;
  logger: Logger;
  /** ≤ 0: post the working message at once; otherwise only when the answer takes longer than this from arrival. */
  workingAfterMs: number;
  /** Follows the working message's post, which may start while the turn is still queued (BackgroundWork.track). */
  track: (p: Promise<unknown>) => void;
  timers?: Timers;
}

type Placeholder = NonNullable<Target['working']>;

interface WorkingClock {
  /**
   * A step of long work (a change running on a cloud): posts the placeholder now if it is not up
   * yet, then shows the newest step in it (one chat.update at a time; steps in between are merged).
   */
  progress(text: string): void;
  /** Stops the clock: the placeholder if one was posted (waiting for a post or update in flight), else undefined. */
  stop(): Promise<Placeholder | undefined>;
}

const startWorkingClock = (d: TurnDeps, target: Target): WorkingClock => {
  const timers = d.timers ?? systemTimers;
  let posting: Promise<Placeholder | undefined> | undefined;
  let stopped = false;
  let nextStep: string | undefined;
  let updating: Promise<void> | undefined;
  const post = (): void => {
    posting = d.delivery.working(target);
    d.track(posting);
  };
  const flush = (): void => {
    if (updating || nextStep === undefined || stopped) return;
    const step = nextStep;
    nextStep = undefined;
    updating = (async () => {
      const placeholder = await posting;
      if (!placeholder || stopped) return;
      await d.delivery
        .update(target.client, placeholder.channel, placeholder.ts, textReply(`${WORKING_TEXT} ${step}`))
        .catch((e: unknown) => d.logger.warn({ err: e }, 'could not show progress in the working message'));
    })().finally(() => {
      updating = undefined;
      flush();
    });
    d.track(updating);
  };
  let handle: unknown;
  if (d.workingAfterMs <= 0) post();
  else handle = timers.setTimeout(post, d.workingAfterMs);
  return {
    progress: (text) => {
      if (stopped) return;
      if (!posting) {
        timers.clearTimeout(handle);
        post();
      }
      nextStep = text;
      flush();
    },
    stop: async () => {
      stopped = true;
      if (!posting) timers.clearTimeout(handle);
      // The answer replaces the placeholder: an update still on its way must land before it.
      await updating;
      return posting;
    },
  };
};

const runTurn = async (d: TurnDeps, t: TurnInput, target: Target, clock: WorkingClock | undefined): Promise<void> => {
  const withPlaceholder = async (): Promise<Target> => {
    const working = await clock?.stop();
    return working ? { ...target, working } : target;
  };
  try {
    const actor = await d.identity.actor(t.client, t.teamId, t.userId, t.userHint);
    if (t.text.length > MAX_TEXT) {
      const size = t.text.length.toLocaleString('en-US');
      await d.delivery.deliver(await withPlaceholder(), [textReply(`That message is ${size} characters long; I read at most ${MAX_TEXT.toLocaleString('en-US')}. Please send a shorter question.`, { ephemeral: true })]);
      return;
    }
    const turn = { actor, conversation: d.delivery.conversation(t.teamId, t.channel, t.threadTs), text: t.text, ...(t.eventId ? { eventId: t.eventId } : {}) };
    const replies = await withProgress((step) => clock?.progress(step), () => d.engine.handleTurn(turn))
      .catch((e: unknown): Reply[] => {
        d.logger.warn({ err: e }, 'the engine refused a Slack turn');
        return [textReply('I could not read that message. Nothing was changed.', { ephemeral: true })];
      });
    await d.delivery.deliver(await withPlaceholder(), t.privately ? replies.map((r) => ({ ...r, ephemeral: true })) : replies);
  } finally {
    // A turn that failed on its way must not leave the clock to post a placeholder nobody replaces.
    await clock?.stop();
  }
};

/** At the ack: starts the working clock and returns the turn itself, to queue. */
export const acceptTurn = (d: TurnDeps, t: TurnInput): (() => Promise<void>) => {
  const target: Target = {
    client: t.client,
    teamId: t.teamId,
    channel: t.channel,
    userId: t.userId,
    ...(t.threadTs ? { threadTs: t.threadTs } : {}),
    ...(t.respond ? { respond: t.respond } : {}),
  };
  // Slash commands answer through their response_url: a public placeholder would only add noise.
  const clock = t.respond ? undefined : startWorkingClock(d, target);
  return () => runTurn(d, t, target, clock);
};
