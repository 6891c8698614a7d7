import { webApi, type Logger as BoltLogger } from '@slack/bolt';

/**
 * Web API clients (one per bot token, reused) configured once: base URL (SLACK_API_URL, for
 * proxies, regulated Slack instances and the test fake), retries, timeout. The SDK retries a 429
 * after its Retry-After and 5xx/network failures with backoff, so a rate-limited answer is
 * delayed, not lost.
 */
export type WebClient = webApi.WebClient;
export type WebClientOptions = webApi.WebClientOptions;
export type RetryOptions = NonNullable<WebClientOptions['retryConfig']>;

/** Five retries over about five minutes (the SDK's own default is ten over thirty). */
export const defaultRetryConfig: RetryOptions = webApi.retryPolicies.fiveRetriesInFiveMinutes;

export const DEFAULT_SLACK_API_URL = 'https://slack.com/api/';

export const clientOptions = (o: {
  apiUrl?: string;
  retryConfig?: RetryOptions;
  logger: BoltLogger;
}): WebClientOptions => {
  const base = o.apiUrl ?? DEFAULT_SLACK_API_URL;
  return {
    slackApiUrl: base.endsWith('/') ? base : `${base}/`,
    retryConfig: o.retryConfig ?? defaultRetryConfig,
    timeout: 15_000,
    logger: o.logger,
  };
};

/** `https://slack.com/oauth/v2/authorize` for the Web API's host (slack-gov.com, a proxy, the fake). */
export const authorizationUrlFor = (apiUrl: string | undefined): string =>
  new URL('/oauth/v2/authorize', apiUrl ?? DEFAULT_SLACK_API_URL).toString();

export const createClients = (options: WebClientOptions) => {
  const byToken = new Map<string, WebClient>();
  return (token: string): WebClient => {
    let c = byToken.get(token);
    if (!c) {
      c = new webApi.WebClient(token, options);
      byToken.set(token, c);
    }
    return c;
  };
};
export type ClientFor = ReturnType<typeof createClients>;

/** Slack's error code of a failed call (`not_in_channel`, `channel_not_found`, …), if it is one. */
export const slackError = (e: unknown): string | undefined => {
  if (e instanceof webApi.WebAPIPlatformError) return e.data.error;
  if (typeof e === 'object' && e !== null && 'data' in e) {
    const data = (e as { data?: { error?: unknown } }).data;
    if (typeof data?.error === 'string') return data.error;
  }
  return undefined;
};

/** Errors that mean "the bot cannot post there", as opposed to Slack being down. */
export const isNotPostable = (e: unknown): boolean =>
  [
    'not_in_channel',
    'channel_not_found',
    'is_archived',
    'restricted_action',
    'cannot_dm_bot',
    'user_not_found',
    'messages_tab_disabled',
  ].includes(slackError(e) ?? '');
