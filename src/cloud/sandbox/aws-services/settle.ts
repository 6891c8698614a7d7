import type { Settle } from './model.ts';
import type { ServiceCall } from './wire.ts';

/**
 * Time passing for the account services, as for EC2 instances (../call.ts): a transitional status
 * (an RDS instance `creating`, a Route 53 change `PENDING`) ends at a time of the sandbox's clock,
 * or after a number of describes that saw it. No timers: under a fixed clock the emulator is
 * deterministic, and a test can count the reads a wait takes.
 */

export interface Settling {
  settle?: Settle | undefined;
}

/** How `to` will be reached from now: at the configured time, or after the configured describes. */
export const beginSettle = (call: ServiceCall, to: string): Settle =>
  'ms' in call.transition
    ? { to, at: call.now().getTime() + call.transition.ms }
    : { to, afterDescribes: call.transition.describes };

/**
 * The status an item settles to now, if it does: its time has come, or the describes it waited
 * for have all seen it. The caller applies it (and drops `settle`).
 */
export const dueStatus = (call: ServiceCall, item: Settling): string | undefined => {
  const s = item.settle;
  if (!s) return undefined;
  if (s.at !== undefined) return call.now().getTime() >= s.at ? s.to : undefined;
  return (s.afterDescribes ?? 0) <= 0 ? s.to : undefined;
};

/** One describe saw these items in their transitional status: counted settles move a step on. */
export const countDescribe = (items: readonly Settling[]): void => {
  for (const i of items)
    if (i.settle && i.settle.at === undefined) i.settle.afterDescribes = (i.settle.afterDescribes ?? 1) - 1;
};
