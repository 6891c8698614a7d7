import type { Config } from '../../config.ts';

/**
 * Whether Slack is configured: the composition root asks this before it loads the Slack surface
 * (and Bolt with it), so a deployment without Slack never pays for its modules.
 */
export const slackEnabled = (c: Pick<Config, 'SLACK_BOT_TOKEN' | 'SLACK_CLIENT_ID'>): boolean =>
  Boolean(c.SLACK_BOT_TOKEN || c.SLACK_CLIENT_ID);
