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
  delivery: Pick<Delivery, 'deliver' | 'working' | 'workingNote' | 'conversation' | 'update'>;
  identity: Pick<Identity, 'actor'>;
  logger: Logger;
  /** ≤ 0: post the working message at once; otherwise only when the answer takes longer than this from arrival. */
  workingAfterMs: number;
  /** Follows the working message's post, which may start while the turn is still queued (BackgroundWork.track). */
  track: (p: Promise<unknown>) => void;
  timers?: Timers;
}

/** What a clock leaves on the target for delivery to replace: a working message, or a slash command's private note. */
type Placeholder = Pick<Target, 'working' | 'workingNote'>;

interface WorkingClock {
  /**
   * A step of long work (a change running on a cloud): posts the placeholder now if it is not up
   * yet, then shows the newest step in it (one update at a time; steps in between are merged).
   */
  progress(text: string): void;
  /** Stops the clock: the placeholder if one was posted (waiting for a post or update in flight). */
  stop(): Promise<Placeholder>;
}

/** How a placeholder is posted and shows a step; `maxSteps` bounds the updates (response_url is good for 5 uses). */
interface PlaceholderKind<P> {
  post(): Promise<P | undefined>;
  show(placeholder: P, step: string): Promise<void>;
  left(placeholder: P): Placeholder;
  maxSteps: number;
}

const startClock = <P>(d: TurnDeps, kind: PlaceholderKind<P>): WorkingClock => {
  const timers = d.timers ?? systemTimers;
  let posting: Promise<P | undefined> | undefined;
  let stopped = false;
  let nextStep: string | undefined;
  let updating: Promise<void> | undefined;
  let shown = 0;
  const post = (): void => {
    posting = kind.post();
    d.track(posting);
  };
  const flush = (): void => {
    if (updating || nextStep === undefined || stopped || shown >= kind.maxSteps) return;
    const step = nextStep;
    nextStep = undefined;
    shown += 1;
    updating = (async () => {
      const placeholder = await posting;
      if (placeholder === undefined || stopped) return;
      await kind
        .show(placeholder, step)
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
      const placeholder = await posting;
      return placeholder === undefined ? {} : kind.left(placeholder);
    },
  };
};

/** Mentions, DMs, thread follow-ups: a "working…" message in the conversation, replaced by the answer. */
const messageClock = (d: TurnDeps, target: Target): WorkingClock =>
  startClock<NonNullable<Target['working']>>(d, {
    post: () => d.delivery.working(target),
    show: (p, step) => d.delivery.update(target.client, p.channel, p.ts, textReply(`${WORKING_TEXT} ${step}`)),
    left: (working) => ({ working }),
    maxSteps: Number.POSITIVE_INFINITY,
  });

/**
 * Slash commands: a private note through the command's response_url (the bot may not be in the
 * channel, and a public placeholder would be noise). Slack honours a response_url 5 times: the
 * note, 2 steps, the answer replacing the note, and one more reply.
 */
const noteClock = (d: TurnDeps, target: Target): WorkingClock =>
  startClock<true>(d, {
    post: async () => ((await d.delivery.workingNote(target)) ? true : undefined),
    show: async (_p, step) => void (await d.delivery.workingNote(target, step)),
    left: () => ({ workingNote: true }),
    maxSteps: 2,
  });

const runTurn = async (d: TurnDeps, t: TurnInput, target: Target, clock: WorkingClock | undefined): Promise<void> => {
  const withPlaceholder = async (): Promise<Target> => ({ ...target, ...(await clock?.stop()) });
  try {
    const actor = await d.identity.actor(t.client, t.teamId, t.userId, t.userHint);
    const turn = {
      actor,
      conversation: d.delivery.conversation(t.teamId, t.channel, t.threadTs),
      text: t.text,
      ...(t.eventId ? { eventId: t.eventId } : {}),
    };
    const replies = await withProgress(
      (step) => clock?.progress(step),
      () => d.engine.handleTurn(turn),
    ).catch((e: unknown): Reply[] => {
      d.logger.warn({ err: e }, 'the engine refused a Slack turn');
      return [textReply('I could not read that message. Nothing was changed.', { ephemeral: true })];
    });
    await d.delivery.deliver(
      await withPlaceholder(),
      t.privately ? replies.map((r) => ({ ...r, ephemeral: true })) : replies,
    );
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
  const clock = t.respond ? noteClock(d, target) : messageClock(d, target);
  return () => runTurn(d, t, target, clock);
};
