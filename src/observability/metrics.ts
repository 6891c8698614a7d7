import { readFileSync } from 'node:fs';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The open statuses of a change request (docs/architecture.md#states), as gauge labels. */
export const openChangeStatuses = ['pending', 'approved', 'executing'] as const;
export type OpenChangeStatus = (typeof openChangeStatuses)[number];

/** What the change queue reports at scrape time (read from the database: right across replicas). */
export interface OpenChangeStats {
  /** Per open status: how many, and how long (seconds) the oldest has been in it. */
  byStatus: Record<OpenChangeStatus, { count: number; oldestSeconds: number }>;
  /** Seconds since the stalest executing change's lease was last renewed; 0 when none executes. */
  executingLeaseAgeSeconds: number;
}

export interface MetricsOptions {
  /** The commit this build runs (GIT_COMMIT), for devops_agent_build_info. */
  commit?: string | undefined;
  /** How long a scrape waits for the database's counts before leaving those series out (default 2 s). */
  sourceTimeoutMs?: number;
}

const packageVersion = (): string => {
  try {
    const pkg: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    const version = (pkg as { version?: unknown }).version;
    return typeof version === 'string' ? version : 'unknown';
  } catch {
    return 'unknown';
  }
};

/**
 * A value read at scrape time, shared by the gauges that show parts of it: the registry collects
 * every metric at once, so they share the one read in flight. Given up after `timeoutMs` (a hung
 * database must not hang /metrics); undefined when it fails or no source is set.
 */
const scrapeSource = <T>(timeoutMs: number) => {
  let source: (() => Promise<T>) | undefined;
  let inflight: Promise<T | undefined> | undefined;
  const readOnce = (): Promise<T | undefined> => {
    if (!source) return Promise.resolve(undefined);
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      source(),
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), timeoutMs);
      }),
    ])
      .catch(() => undefined)
      .finally(() => clearTimeout(timer));
  };
  return {
    read: (): Promise<T | undefined> =>
      (inflight ??= readOnce().finally(() => {
        inflight = undefined;
      })),
    set: (fn: () => Promise<T>) => {
      source = fn;
    },
  };
};

/**
 * All metrics, on one registry per app instance (tests create several apps in one process).
 * Each capability increments its own; /metrics exposes the registry.
 */
export const createMetrics = (opts: MetricsOptions = {}) => {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'devops_agent_build_info',
    help: 'Always 1; the labels say which build runs: version (package.json), Node version, commit (GIT_COMMIT)',
    labelNames: ['version', 'node', 'commit'] as const,
    registers: [registry],
  }).set({ version: packageVersion(), node: process.version, commit: opts.commit ?? 'unknown' }, 1);
  const openChanges = scrapeSource<OpenChangeStats>(opts.sourceTimeoutMs ?? 2_000);
  return {
    registry,
    turns: new Counter({
      name: 'devops_agent_turns_total',
      help: 'Conversation turns handled',
      labelNames: ['surface', 'outcome'] as const,
      registers: [registry],
    }),
    turnSeconds: new Histogram({
      name: 'devops_agent_turn_duration_seconds',
      help: 'Time to answer a turn',
      labelNames: ['surface'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    toolCalls: new Counter({
      name: 'devops_agent_tool_calls_total',
      help: 'Tool calls',
      labelNames: ['tool', 'outcome'] as const,
      registers: [registry],
    }),
    changeTransitions: new Counter({
      name: 'devops_agent_change_transitions_total',
      help: 'Change request transitions',
      labelNames: ['from', 'to'] as const,
      registers: [registry],
    }),
    jobRuns: new Counter({
      name: 'devops_agent_job_runs_total',
      help: 'Scheduled job runs',
      labelNames: ['job', 'outcome'] as const,
      registers: [registry],
    }),
    httpSeconds: new Histogram({
      name: 'devops_agent_http_request_duration_seconds',
      help: 'HTTP request latency',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 3],
      registers: [registry],
    }),
    cloudCalls: new Counter({
      name: 'devops_agent_cloud_calls_total',
      help: 'Cloud provider calls',
      labelNames: ['provider', 'operation', 'outcome'] as const,
      registers: [registry],
    }),
    /** One observation per logical call (SDK retries included); outcome `ok` or the failure kind (`auth_failed`, `rate_limited`, `no_credentials`, …). */
    cloudCallSeconds: new Histogram({
      name: 'devops_agent_cloud_call_duration_seconds',
      help: 'Cloud provider call latency, SDK retries included, by outcome (ok or the kind of failure)',
      labelNames: ['provider', 'operation', 'outcome'] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    /** Set by each successful inventory pass of a provider (per instance: alert on the max across instances). */
    inventorySyncedAt: new Gauge({
      name: 'devops_agent_inventory_last_success_timestamp_seconds',
      help: 'Unix time of the last successful inventory sync of a provider by this instance',
      labelNames: ['provider'] as const,
      registers: [registry],
    }),
    /** Every call to an LLM's API (one per loop step; the SDK's retries inside). */
    llmCalls: new Counter({
      name: 'devops_agent_llm_calls_total',
      help: "LLM API calls by model and outcome ('ok', or why it failed: rate_limited, overloaded, timeout, auth_failed, bad_response, api_error)",
      labelNames: ['model', 'outcome'] as const,
      registers: [registry],
    }),
    llmCallSeconds: new Histogram({
      name: 'devops_agent_llm_call_duration_seconds',
      help: 'Time of one LLM API call, retries inside',
      labelNames: ['model'] as const,
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80],
      registers: [registry],
    }),
    llmTokens: new Counter({
      name: 'devops_agent_llm_tokens_total',
      help: 'LLM tokens by kind: input (uncached), output, cache_read, cache_write',
      labelNames: ['model', 'kind'] as const,
      registers: [registry],
    }),
    /** Values removed from what is sent to an LLM, by kind (never the values themselves). */
    llmRedactions: new Counter({
      name: 'devops_agent_llm_redactions_total',
      help: 'Secret-like values replaced in prompts sent to an LLM, by kind',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    /** Turns an LLM planner handed to the command grammar, and why. */
    llmFallbacks: new Counter({
      name: 'devops_agent_llm_fallbacks_total',
      help: 'Turns answered by the rule planner instead of the LLM: unavailable, auth_failed, budget, bad_response',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    /** Every HTTP attempt to a chat platform's Web API (retries counted one by one). */
    chatApiCalls: new Counter({
      name: 'devops_agent_chat_api_calls_total',
      help: "Chat platform Web API attempts, by method, HTTP status ('network' when none came back) and error ('' when ok; Slack's error code otherwise)",
      labelNames: ['surface', 'method', 'status', 'error'] as const,
      registers: [registry],
    }),
    /** Alert webhooks received: accepted, duplicate (a redelivery), unauthorized, invalid. */
    incidentWebhooks: new Counter({
      name: 'devops_agent_incident_webhooks_total',
      help: 'Alert webhook deliveries by source (pagerduty, alertmanager) and outcome (queued, duplicate, ignored, unauthorized, invalid)',
      labelNames: ['source', 'outcome'] as const,
      registers: [registry],
    }),
    /** The change queue's open requests, counted in the database at scrape time (the source is set by the change service). */
    openChanges: openChanges.set,
    changesOpen: new Gauge({
      name: 'devops_agent_changes_open',
      help: 'Change requests pending, approved (not started) or executing, counted in the database at scrape time',
      labelNames: ['status'] as const,
      registers: [registry],
      async collect() {
        const stats = await openChanges.read();
        this.reset();
        if (stats) for (const status of openChangeStatuses) this.set({ status }, stats.byStatus[status].count);
      },
    }),
    changesOldest: new Gauge({
      name: 'devops_agent_changes_oldest_seconds',
      help: 'How long the oldest change request in each open status has been in it (0 when there is none)',
      labelNames: ['status'] as const,
      registers: [registry],
      async collect() {
        const stats = await openChanges.read();
        this.reset();
        if (stats) for (const status of openChangeStatuses) this.set({ status }, stats.byStatus[status].oldestSeconds);
      },
    }),
    changesLeaseAge: new Gauge({
      name: 'devops_agent_changes_lease_age_seconds',
      help: "Seconds since the stalest executing change's lease was renewed (0 when none executes); above EXECUTION_LEASE its executor is gone and recovery has not marked it interrupted",
      // One value, labelled so that it is left out (rather than read as 0) when the database does not answer.
      labelNames: ['status'] as const,
      registers: [registry],
      async collect() {
        const stats = await openChanges.read();
        this.reset();
        if (stats) this.set({ status: 'executing' }, stats.executingLeaseAgeSeconds);
      },
    }),
  };
};
export type Metrics = ReturnType<typeof createMetrics>;
