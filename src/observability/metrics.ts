import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * All metrics, on one registry per app instance (tests create several apps in one process).
 * Each capability increments its own; /metrics exposes the registry.
 */
export const createMetrics = () => {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
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
  };
};
export type Metrics = ReturnType<typeof createMetrics>;
