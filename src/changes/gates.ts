import type { Actor } from '../chat/actor.ts';
import { AppError } from '../errors.ts';
import type { ChangePlan } from '../tools/change-plan.ts';
import { environmentsOf, freezesCovering, freezeText, type ChangeFreeze } from './freezes.ts';
import type { AppliedPolicy, ChangeOverride } from './model.ts';
import type { DbOrTx } from './tx.ts';
import { nextOpening, openingText, openWindow, windowsText, type ApprovalWindow } from './windows.ts';

/**
 * What stops a change from being approved right now, besides who asks: the freezes covering its
 * environments and its rule's approval windows. Approving is checked against these, and so is
 * filing a change its rule auto-approves (that would run it at once: it is filed pending instead,
 * needing one approval). An admin may override them with a reason (`approve CR-n override "…"`),
 * which is stored on the request and audited.
 */
export interface Blockers {
  /** Active freezes covering the change, less those an earlier override named. */
  freezes: ChangeFreeze[];
  /** Set when the rule's windows are all shut now (and no override lifted them). */
  window?: { windows: ApprovalWindow[]; next?: { window: ApprovalWindow; opens: Date } | undefined };
}

export const isBlocked = (b: Blockers): boolean => b.freezes.length > 0 || b.window !== undefined;

export const blockersFor = async (
  db: DbOrTx,
  c: {
    workspaceId: string;
    plan: ChangePlan;
    policy: Pick<AppliedPolicy, 'windows'>;
    override?: ChangeOverride | undefined;
  },
  at: Date,
): Promise<Blockers> => {
  const freezes = (await freezesCovering(db, c.workspaceId, environmentsOf(c.plan), at)).filter(
    (f) => !c.override?.freezes.includes(f.id),
  );
  const windows = c.policy.windows;
  const shut = windows && !c.override?.window && !openWindow(windows, at);
  return { freezes, ...(shut ? { window: { windows, next: nextOpening(windows, at) } } : {}) };
};

const name = (a: Actor): string => a.displayName;

/** One sentence per blocker, for messages (display names, no mentions). */
export const blockerLines = (b: Blockers, rule: string): string[] => [
  ...b.freezes.map((f) => `${freezeText(f, name)}`),
  ...(b.window
    ? [
        `policy rule "${rule}" allows approvals only ${windowsText(b.window.windows)}; ${
          b.window.next
            ? `the next window opens ${openingText(b.window.next.opens, b.window.next.window.timeZone)}`
            : 'none opens in the next week'
        }`,
      ]
    : []),
];

/** Approving is refused for now; `overridable` when the one asking may override it (an admin). */
export class ApprovalBlockedError extends AppError {
  readonly changeId: string;
  readonly blockers: Blockers;
  readonly overridable: boolean;

  constructor(changeId: string, blockers: Blockers, rule: string, overridable: boolean) {
    super(
      'conflict',
      `${changeId} cannot be approved now: ${blockerLines(blockers, rule).join('; ')}. ${
        overridable
          ? `As an admin you can approve it anyway with \`approve ${changeId} override "<reason>"\` (audited).`
          : 'An admin can approve it anyway with an override (audited).'
      }`,
    );
    this.name = 'ApprovalBlockedError';
    this.changeId = changeId;
    this.blockers = blockers;
    this.overridable = overridable;
  }
}
