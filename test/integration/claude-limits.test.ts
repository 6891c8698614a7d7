import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PassThrough } from 'node:stream';
import { createLogger } from '../../src/observability/logger.ts';
import { startAnthropicFake, text, type AnthropicFake } from '../fakes/anthropic/index.ts';
import { startApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createTestStore } from '../helpers/db.ts';
import { startTestApp, turn, type TestApp } from '../helpers/app.ts';
import { waitFor } from '../helpers/wait-for.ts';

/**
 * The Claude planner's limits and bad configuration: a workspace's monthly token budget, usage
 * stored per turn and shown by `usage`, a key the API refuses, a model that never answers.
 */

const KEY = 'sk-ant-limits-0123456789abcdef';

const logSink = () => {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => {
    for (const l of chunk.toString('utf8').split('\n').filter(Boolean))
      lines.push(JSON.parse(l) as Record<string, unknown>);
  });
  return { lines, logger: createLogger('warn', stream) };
};

const messagesCalls = (fake: AnthropicFake) => fake.requests.filter((r) => r.path === '/v1/messages').length;

describe('monthly token budget and usage', () => {
  let fake: AnthropicFake;
  let app: TestApp;
  beforeAll(async () => {
    fake = await startAnthropicFake({ apiKeys: [KEY] });
    app = await startTestApp({
      ANTHROPIC_API_KEY: KEY,
      ANTHROPIC_BASE_URL: fake.url,
      ANTHROPIC_MONTHLY_TOKEN_BUDGET: '1000',
    });
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
    await fake?.close();
  });

  it('stores each turn’s tokens, shows them with `usage`, and answers with the grammar once the budget is spent', async () => {
    // As the API reports it: 900 uncached input, 120 output, 30 read from cache, 10 written.
    fake.script({
      kind: 'message',
      content: [text('Quiet day.')],
      usage: { input_tokens: 900, output_tokens: 120, cache_read_input_tokens: 30, cache_creation_input_tokens: 10 },
    });
    const first = await turn(app, 'alice', 'anything odd in prod today?');
    expect(first.at(-1)?.text).toBe('Quiet day.');

    const [usage] = await turn(app, 'alice', 'usage');
    expect(usage?.text + JSON.stringify(usage?.blocks)).toMatch(/1,060|1060/);

    const calls = messagesCalls(fake);
    const over = await turn(app, 'alice', 'and what about staging?');
    expect(messagesCalls(fake)).toBe(calls);
    expect(over[0]?.text).toMatch(/used its AI budget for \w+ \(1,060 of 1,000 tokens\)/);
    expect(over.length).toBeGreaterThanOrEqual(2);
    const metrics = await (await fetch(`${app.url}/metrics`)).text();
    expect(metrics).toMatch(/devops_agent_llm_fallbacks_total\{reason="budget"\} 1/);
    expect(metrics).toMatch(/devops_agent_llm_tokens_total\{model="claude-sonnet-5-5",kind="output"\} 120/);
  });
});

describe('a key the API refuses', () => {
  let fake: AnthropicFake;
  let app: TestApp;
  const logs = logSink();
  beforeAll(async () => {
    fake = await startAnthropicFake({ apiKeys: ['sk-ant-the-right-one-000000000'] });
    app = await startTestApp({ ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: fake.url }, { logger: logs.logger });
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
    await fake?.close();
  });

  it('warns once at start (without the key) and the grammar answers every turn with a notice', async () => {
    await waitFor(() => logs.lines.some((l) => /ANTHROPIC_API_KEY was refused/.test(String(l.msg))), {
      what: 'the start-up key check to warn',
      timeoutMs: 10_000,
    });
    const before = messagesCalls(fake);
    const replies = await turn(app, 'dave', 'which instances cost the most?');
    expect(replies[0]?.text).toMatch(/AI planner is off: the Anthropic API refused the configured key/);
    expect(messagesCalls(fake)).toBe(before);
    await turn(app, 'dave', 'and the cheapest?');
    expect(logs.lines.filter((l) => /ANTHROPIC_API_KEY was refused/.test(String(l.msg)))).toHaveLength(1);
    expect(JSON.stringify(logs.lines)).not.toContain(KEY);
  });
});

describe('a model that never answers', () => {
  let fake: AnthropicFake;
  let app: TestApp;
  beforeAll(async () => {
    fake = await startAnthropicFake({ apiKeys: [KEY] });
    app = await startTestApp({
      ANTHROPIC_API_KEY: KEY,
      ANTHROPIC_BASE_URL: fake.url,
      ANTHROPIC_TURN_TIMEOUT: '5s',
      ANTHROPIC_MAX_RETRIES: '0',
    });
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
    await fake?.close();
  });

  it('gives up at the turn timeout and answers with the grammar', async () => {
    fake.script({ kind: 'hang' });
    const replies = await turn(app, 'dave', 'summarise the estate for me');
    expect(replies[0]?.text).toMatch(/too slow to answer/);
  }, 20_000);
});

describe('memory across a restart', () => {
  it('a thread started before a restart is in the history the model reads after it', async () => {
    const fake = await startAnthropicFake({ apiKeys: [KEY] });
    const store = await createTestStore();
    const config = loadConfig({
      NODE_ENV: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      SANDBOX: 'on',
      SANDBOX_CLOUDS: 'aws',
      ANTHROPIC_API_KEY: KEY,
      ANTHROPIC_BASE_URL: fake.url,
    });
    const start = () => startApp(config, { logger: createLogger('silent'), jobs: false, store });
    try {
      const before = await start();
      fake.script({ kind: 'message', content: [text('web-prod-2 looks busy: 41% CPU.')] });
      await turn(before, 'alice', 'how busy is web-prod-2 this week?');
      await before.close();

      const after = await start();
      try {
        fake.script({ kind: 'message', content: [text('Yes, it is the busier of the two.')] });
        await turn(after, 'alice', 'is that more than web-prod-1?');
        const last = fake.requests.filter((r) => r.path === '/v1/messages').at(-1)!;
        const sent = JSON.stringify((last.body as { messages: unknown[] }).messages);
        expect(sent).toContain('how busy is web-prod-2 this week?');
        expect(sent).toContain('web-prod-2 looks busy: 41% CPU.');
      } finally {
        await after.close();
      }
    } finally {
      await store.dispose();
      await fake.close();
    }
  });
});
