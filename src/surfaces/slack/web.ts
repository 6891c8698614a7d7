import { webApi, type Logger as BoltLogger } from '@slack/bolt';
import type { Metrics } from '../../observability/metrics.ts';

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

type FetchFunction = NonNullable<WebClientOptions['fetch']>;

/** `https://slack.com/api/chat.postMessage` → `chat.postMessage`; anything else (an upload URL) → `other`. */
const methodOf = (url: string | URL): string => {
  const last = String(url).split('?')[0]!.split('/').at(-1) ?? '';
  return /^[a-z]+(\.[A-Za-z]+)+$/.test(last) ? last : 'other';
};
/** Slack's error codes are snake_case words; anything else is not a label value. */
const errorLabel = (e: unknown): string => (typeof e === 'string' && /^[a-z0-9_]{1,64}$/.test(e) ? e : 'other');

/**
 * The Web API client's fetch, counting every HTTP attempt (each retry too) by method, status and
 * Slack's error code: `devops_agent_chat_api_calls_total`. Slack answers most errors 200 with
 * `{ ok: false, error }`, so the body is read too (from a copy; the SDK reads the original).
 */
export const countingFetch =
  (metrics: Pick<Metrics, 'chatApiCalls'>, fetchFn: FetchFunction = fetch): FetchFunction =>
  async (url, init) => {
    const method = methodOf(url);
    const count = (status: string, error: string) =>
      metrics.chatApiCalls.inc({ surface: 'slack', method, status, error });
    let response;
    try {
      response = await fetchFn(url, init);
    } catch (e) {
      count('network', 'network_error');
      throw e;
    }
    let error = '';
    if ((response.headers.get('content-type') ?? '').includes('json') && 'clone' in response) {
      const body: unknown = await (response as Response)
        .clone()
        .json()
        .catch(() => undefined);
      const b = body as { ok?: unknown; error?: unknown } | undefined;
      if (b?.ok === false) error = errorLabel(b.error);
    }
    if (!error && response.status === 429) error = 'ratelimited';
    else if (!error && response.status !== 200) error = `http_${response.status}`;
    count(String(response.status), error);
    return response;
  };

export const clientOptions = (o: {
  apiUrl?: string;
  retryConfig?: RetryOptions;
  logger: BoltLogger;
  metrics?: Pick<Metrics, 'chatApiCalls'>;
}): WebClientOptions => {
  const base = o.apiUrl ?? DEFAULT_SLACK_API_URL;
  return {
    slackApiUrl: base.endsWith('/') ? base : `${base}/`,
    retryConfig: o.retryConfig ?? defaultRetryConfig,
    timeout: 15_000,
    logger: o.logger,
    ...(o.metrics ? { fetch: countingFetch(o.metrics) } : {}),
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
