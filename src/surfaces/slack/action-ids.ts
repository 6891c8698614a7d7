/**
 * Slack rejects a message whose buttons repeat an `action_id`, but a neutral Reply may well carry
 * two `command.run` buttons (a page link and "Show more"). Repeats get a `#n` suffix; inbound
 * handlers call `neutralActionId` to get the engine's id back.
 *
 * Reversible by construction: an id that already ends in `#<digits>` is always suffixed (`x#3` →
 * `x#3#1`), so stripping exactly one trailing `#<digits>` undoes every encoding.
 */
const SUFFIX = /#\d+$/;

/** Returns a function that maps each neutral action id to one unique within the message. */
export const uniqueActionIds = (): ((actionId: string) => string) => {
  const seen = new Map<string, number>();
  return (actionId) => {
    const n = (seen.get(actionId) ?? 0) + 1;
    seen.set(actionId, n);
    return n > 1 || SUFFIX.test(actionId) ? `${actionId}#${n}` : actionId;
  };
};

/** The engine's action id for a Slack `action_id` produced by `uniqueActionIds`. */
export const neutralActionId = (slackActionId: string): string => slackActionId.replace(SUFFIX, '');
