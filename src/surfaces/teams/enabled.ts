import type { Config } from '../../config.ts';

/**
 * Whether Teams is configured: the composition root asks this before it loads the Teams surface
 * (and the Agents SDK with it), so a deployment without Teams never pays for its modules.
 * `TEAMS_ENABLED=auto` (the default) turns it on with TEAMS_APP_ID; `on` without an app id is the
 * anonymous local-emulator mode.
 */
export const teamsEnabled = (c: Pick<Config, 'TEAMS_ENABLED' | 'TEAMS_APP_ID'>): boolean =>
  c.TEAMS_ENABLED === 'on' || (c.TEAMS_ENABLED === 'auto' && Boolean(c.TEAMS_APP_ID));

/** Anonymous: Teams on without an app id, so nothing checks who sends activities (an emulator on a laptop). */
export const teamsAnonymous = (c: Pick<Config, 'TEAMS_ENABLED' | 'TEAMS_APP_ID'>): boolean =>
  teamsEnabled(c) && !c.TEAMS_APP_ID;
