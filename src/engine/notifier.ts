import { conversationKey, type SurfaceName } from '../chat/actor.ts';
import type { ChatSurface } from '../chat/surface.ts';
import { listCardCopies, recordCardCopy } from '../changes/card-copies.ts';
import { renderChangeCard, renderChangeResult } from '../changes/card.ts';
import type { ChangeEvent, ChangeListener } from '../changes/listener.ts';
import type { ChangeRequest } from '../changes/model.ts';
import type { Logger } from '../observability/logger.ts';
import type { Db } from '../store/db.ts';

/** The chat surfaces that are on, by name. */
export type SurfaceDirectory = ReadonlyMap<SurfaceName, ChatSurface>;

const resultEvents = new Set<ChangeEvent>(['succeeded', 'failed', 'rejected', 'expired', 'interrupted']);

/**
 * Keeps every copy of a change card current and tells the requester how it ended. Implements the
 * change service's listener port; a failing surface is logged and never affects the change itself.
 */
export const createChangeNotifier = (d: {
  db: Db;
  surfaces: SurfaceDirectory;
  logger: Logger;
  sandbox: boolean;
  waitMs?: number;
}): ChangeListener => {
  const render = (c: ChangeRequest, progress?: string) =>
    renderChangeCard(c, { sandbox: d.sandbox, ...(progress ? { progress } : {}) });

  const postToApprovalChannels = async (c: ChangeRequest): Promise<void> => {
    const surface = d.surfaces.get(c.conversation.surface);
    if (!surface) return;
    const own = conversationKey(c.conversation);
    for (const channel of surface.approvalChannels(c.workspaceId)) {
      if (conversationKey(channel) === own) continue;
      const posted = await surface.post(channel, render(c));
      await recordCardCopy(d.db, c.id, posted);
    }
  };

  const updateCopies = async (c: ChangeRequest, progress?: string): Promise<void> => {
    const card = render(c, progress);
    for (const copy of await listCardCopies(d.db, c.id)) {
      const surface = d.surfaces.get(copy.surface);
      if (!surface) continue;
      try {
        await surface.update(copy, card);
      } catch (e) {
        d.logger.warn({ err: e, changeId: c.id, surface: copy.surface }, 'could not update a change card copy');
      }
    }
  };

  const deliver = async (c: ChangeRequest, event: ChangeEvent): Promise<void> => {
    try {
      if (event === 'requested') {
        // Auto-approved changes run at once: no approver needs a card for them.
        if (c.status === 'pending' && !c.policy.autoApprove) await postToApprovalChannels(c);
        return;
      }
      await updateCopies(c);
      // An auto-approved change finishes before the requester's own card is even posted: that card says it all.
      // A run that reaches an approval gate says so in its thread (once per gate, before anyone decided it).
      const reachedGate =
        event === 'waiting' && c.gate !== null && !c.gateDecisions.some((g) => g.step === c.gate!.step);
      if (reachedGate || (resultEvents.has(event) && !c.policy.autoApprove)) {
        const surface = d.surfaces.get(c.conversation.surface);
        await surface?.post(c.conversation, renderChangeResult(c, { sandbox: d.sandbox }));
      }
    } catch (e) {
      d.logger.warn({ err: e, changeId: c.id, event }, 'change notification failed');
    }
  };

  // Per change, notifications apply in order (a card never goes back from "Done" to "Running"),
  // but the change service waits at most `waitMs` for one: a chat platform that is slow or
  // retrying a 429 must not hold up the execution of an approved change.
  const chains = new Map<string, Promise<void>>();
  /** Transitions seen per change: a progress update queued before the latest one is stale. */
  const generations = new Map<string, number>();
  /** The newest step not yet shown, per change: steps that arrive faster than Slack updates are merged. */
  const steps = new Map<string, string>();
  const waitMs = d.waitMs ?? 2_000;

  const enqueue = (id: string, job: () => Promise<void>): Promise<void> => {
    const next = (chains.get(id) ?? Promise.resolve()).then(job);
    chains.set(id, next);
    void next.then(() => {
      if (chains.get(id) !== next) return;
      chains.delete(id);
      generations.delete(id);
    });
    return next;
  };

  return {
    changed: async (c, event) => {
      generations.set(c.id, (generations.get(c.id) ?? 0) + 1);
      steps.delete(c.id);
      const next = enqueue(c.id, () => deliver(c, event));
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          d.logger.warn({ changeId: c.id, event, waitMs }, 'change notification still running; continuing without it');
          resolve();
        }, waitMs);
      });
      await Promise.race([next, late]);
      clearTimeout(timer);
    },
    progress: (c, step) => {
      const queued = steps.has(c.id);
      steps.set(c.id, step);
      if (queued) return;
      const generation = generations.get(c.id) ?? 0;
      void enqueue(c.id, async () => {
        const latest = steps.get(c.id);
        steps.delete(c.id);
        if (latest === undefined || (generations.get(c.id) ?? 0) !== generation) return;
        await updateCopies(c, latest).catch((e: unknown) =>
          d.logger.warn({ err: e, changeId: c.id }, 'could not show a change step'),
        );
      });
    },
  };
};
