import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  createIncidentExplainer,
  type IncidentNarrativeDeps,
} from '../../src/engine/planner/claude/incident-narrative.ts';
import type { Fact, Suspect } from '../../src/incidents/model.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { callTools, startAnthropicFake, text, toolUse, type AnthropicFake } from '../fakes/anthropic/index.ts';

/**
 * The incident narrative on the real Anthropic SDK against the wire fake of the Messages API:
 * one forced `diagnosis` tool call, claims checked against the facts (a claim citing no known fact
 * is dropped), only the facts, suspects, title and service sent, with secrets redacted; usage
 * recorded; a spent budget, a model that never answers and a refusal each throw what the caller
 * shows as narrativeError.
 */

const KEY = 'sk-ant-narrative-0123456789abcdef';
const SECRET = 'hunter2-db-password-value';
let fake: AnthropicFake;
beforeAll(async () => {
  fake = await startAnthropicFake({ apiKeys: [KEY] });
});
afterAll(() => fake?.close());
beforeEach(() => fake.reset());

const facts: Fact[] = [
  {
    id: 'F1',
    kind: 'change',
    text: `Resize api-prod-1 from t3.small to t3.large: succeeded 30 min before the alert (CR-12), requested by Alice, approved by Bob (password=${SECRET})`,
    source: 'CR-12',
    relation: 'affected',
    at: new Date('2026-11-02T10:00:00Z'),
    changeId: 'CR-12',
    weight: 0.8,
  },
  {
    id: 'F2',
    kind: 'health',
    text: 'target group api: 1 of 2 targets unhealthy',
    source: 'aws target group api',
    relation: 'neighbour',
    weight: 0.4,
  },
  { id: 'F3', kind: 'alert', text: 'Alert "High 5xx rate on api" on api opened', source: 'alert', weight: 0.3 },
];
const suspects: Suspect[] = [
  { category: 'change', changeId: 'CR-12', text: 'CR-12 changed api-prod-1 shortly before the alert', factIds: ['F1'] },
];
const input = { title: 'High 5xx rate on api', service: 'api', facts, suspects, workspaceId: 'T1' };

const recorded: Array<{ workspaceId: string; model: string; inputTokens: number }> = [];
const explainer = (over: Partial<IncidentNarrativeDeps['settings']> = {}, used = 0, metrics = createMetrics()) =>
  createIncidentExplainer({
    settings: {
      apiKey: KEY,
      baseURL: fake.url,
      model: 'claude-sonnet-5-5',
      maxOutputTokens: 1024,
      maxRetries: 0,
      turnTimeoutMs: 5_000,
      monthlyTokenBudget: 0,
      ...over,
    },
    usage: {
      record: async (row) => void recorded.push(row),
      tokensSince: async () => used,
    },
    secrets: [SECRET],
    logger: createLogger('silent'),
    metrics,
  });

/** How many calls the histogram of LLM call durations observed. */
const timedCalls = async (metrics: ReturnType<typeof createMetrics>): Promise<number> =>
  (await metrics.llmCallSeconds.get()).values.find(
    (v) => v.metricName === 'devops_agent_llm_call_duration_seconds_count',
  )?.value ?? 0;

describe('incident narrative', () => {
  it('keeps the claims that cite known facts, drops the rest, and sends only the facts, redacted', async () => {
    recorded.length = 0;
    fake.script(
      callTools(
        toolUse('diagnosis', {
          claims: [
            { text: 'CR-12 resized api-prod-1 half an hour before the 5xx started.', cites: ['F1', 'F3'] },
            { text: 'The database is out of disk.', cites: ['F9'] },
            { text: 'One target of the api target group fails its health checks.', cites: ['F2', 'F7'] },
            { text: 'Nothing cited here.', cites: [] },
          ],
        }),
      ),
    );
    const metrics = createMetrics();
    const narrative = await explainer({}, 0, metrics).explain(input);
    expect(await timedCalls(metrics)).toBe(1);
    expect(narrative).toEqual({
      model: 'claude-sonnet-5-5',
      claims: [
        { text: 'CR-12 resized api-prod-1 half an hour before the 5xx started.', cites: ['F1', 'F3'] },
        { text: 'One target of the api target group fails its health checks.', cites: ['F2'] },
      ],
    });
    const [req] = fake.requests;
    expect(req?.body).toMatchObject({
      model: 'claude-sonnet-5-5',
      tool_choice: { type: 'tool', name: 'diagnosis' },
      tools: [expect.objectContaining({ name: 'diagnosis' })],
    });
    expect(req!.raw).toContain('F1 [change, affected, 2026-11-02T10:00:00.000Z] Resize api-prod-1');
    expect(req!.raw).toContain('1. change: CR-12 changed api-prod-1 shortly before the alert (facts F1)');
    expect(req!.raw).not.toContain(SECRET);
    expect(req!.raw).not.toContain(KEY);
    expect(recorded).toEqual([
      expect.objectContaining({
        workspaceId: 'T1',
        model: 'claude-sonnet-5-5',
        inputTokens: expect.any(Number),
        outputTokens: expect.any(Number),
      }),
    ]);
    expect(recorded[0]!.inputTokens).toBeGreaterThan(0);
  });

  it('throws a readable error when the model never answers in time', async () => {
    fake.script({ kind: 'hang' });
    const metrics = createMetrics();
    await expect(explainer({ turnTimeoutMs: 300 }, 0, metrics).explain(input)).rejects.toMatchObject({
      code: 'unavailable',
      userMessage: 'Claude was too slow to answer',
    });
    // Timed like the planner's calls, failed ones too.
    expect(await timedCalls(metrics)).toBe(1);
  });

  it('throws when the model refuses, or answers without the tool', async () => {
    fake.script({ kind: 'message', content: [text('I cannot help with that.')], stopReason: 'refusal' });
    await expect(explainer().explain(input)).rejects.toMatchObject({
      userMessage: 'the model declined to write a diagnosis',
    });
    fake.script({ kind: 'message', content: [text('It was probably DNS.')] });
    await expect(explainer().explain(input)).rejects.toMatchObject({
      userMessage: 'Claude answered with something I could not read',
    });
  });

  it('sends nothing once the workspace’s monthly budget is spent', async () => {
    await expect(explainer({ monthlyTokenBudget: 1000 }, 1000).explain(input)).rejects.toMatchObject({
      code: 'rate_limited',
      userMessage: "this workspace's AI budget for the month is spent",
    });
    expect(fake.requests).toEqual([]);
  });
});
