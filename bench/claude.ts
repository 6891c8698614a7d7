import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/observability/logger.ts';
import {
  callTools,
  canonicalJson,
  countTokens,
  reply,
  startAnthropicFake,
  text,
  toolResults,
  toolUse,
  type RecordedRequest,
  type Step,
} from '../test/fakes/anthropic/index.ts';
import { ms, summarize } from './stats.ts';

/**
 * The Claude planner against the loopback Messages API fake (test/fakes/anthropic/), whose token
 * counts are ceil(characters / 4) of the canonical JSON and whose prompt cache follows the API's
 * rules (breakpoints, 20-block look-back, 1,024-token minimum, 5-minute TTL). Real Claude
 * tokenizes differently: the token figures are the fake's, comparable between runs of this bench.
 *
 * 1. The fixed prefix: the tools offered and the system prompt (sent first on every call).
 * 2. A scripted 5-turn conversation in one thread (each turn: a tool call, then an answer): the
 *    share of input tokens served from the cache, with the cache cold at the start and with the
 *    prefix every thread shares (tools, system prompt) warm from another thread.
 * 3. Engine overhead per turn beyond the model's own latency: a turn's wall time through the
 *    console API minus the time spent inside model calls (devops_agent_llm_call_duration_seconds).
 */

const calls = (reqs: RecordedRequest[]) => reqs.filter((r) => r.path === '/v1/messages');

/** One tool call (list the inventory), then a short markdown answer, whatever the question. */
const oneToolThenAnswer: Step = (req) =>
  toolResults(req).length
    ? reply(text('| Name | State |\n|---|---|\n| web-dev-1 | running |\n\nNothing else stands out.'))
    : callTools(toolUse('list_resources', { type: 'instance' }));

export const benchClaude = async (opts: { turns: number }): Promise<void> => {
  const fake = await startAnthropicFake();
  fake.fallback(oneToolThenAnswer);
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'devops-agent-bench-claude-'));
  const config = loadConfig({
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    SANDBOX: 'on',
    ANTHROPIC_API_KEY: 'sk-ant-bench-0123456789',
    ANTHROPIC_BASE_URL: fake.url,
  });
  const app = await startApp(config, { logger: createLogger('silent'), jobs: false });
  // Each part in its own console channel: a thread of its own, whatever earlier steps of
  // `npm run bench` left in the database (on PostgreSQL they share it).
  const run = Date.now().toString(36);
  const turn = async (user: string, textIn: string, channel = `claude-${run}-${user}`): Promise<void> => {
    const res = await fetch(`${app.url}/console/api/turn`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user, text: textIn, channel }),
    });
    if (!res.ok) throw new Error(`turn → ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
  };
  try {
    // 1. The fixed prefix, from the first call of a turn.
    fake.reset();
    fake.fallback(oneToolThenAnswer);
    await turn('carol', 'what is running in dev and what does it cost?');
    const first = calls(fake.requests)[0]!.body as { tools: unknown[]; system: Array<{ text: string }> };
    const toolsTokens = countTokens(first.tools);
    const systemTokens = countTokens(first.system[0]);
    const contextTokens = countTokens(first.system[1]);
    console.log(
      `   fixed prefix: ${first.tools.length} tools ${toolsTokens.toLocaleString('en-US')} tokens (${canonicalJson(first.tools).length.toLocaleString('en-US')} chars) + system prompt ${systemTokens.toLocaleString('en-US')} tokens = ${(toolsTokens + systemTokens).toLocaleString('en-US')}; then the per-person context ${contextTokens} tokens`,
    );

    // 2. Five turns in one thread: first with the cache cold (nobody used the bot in the last five
    // minutes), then another person's thread while the shared prefix (tools, system prompt) is warm.
    const conversation = async (user: string, label: string): Promise<void> => {
      const before = calls(fake.requests).length;
      const questions = [
        'which dev boxes have been idle all week?',
        'and what would stopping them save?',
        'what about staging?',
        'which of those is the most expensive?',
        'summarise all that for my manager',
      ];
      for (const q of questions) await turn(user, q);
      const usage = calls(fake.requests)
        .slice(before)
        .map((r) => r.response.usage!);
      const sum = (k: 'input_tokens' | 'cache_read_input_tokens' | 'cache_creation_input_tokens' | 'output_tokens') =>
        usage.reduce((a, u) => a + (u[k] ?? 0), 0);
      const input = sum('input_tokens');
      const read = sum('cache_read_input_tokens');
      const written = sum('cache_creation_input_tokens');
      const share = read / (input + read + written);
      console.log(
        `   5-turn conversation, ${label} (${usage.length} model calls): input ${(input + read + written).toLocaleString('en-US')} tokens, ${read.toLocaleString('en-US')} read from cache (${(share * 100).toFixed(1)}%), ${written.toLocaleString('en-US')} written to it, ${input.toLocaleString('en-US')} uncached; output ${sum('output_tokens').toLocaleString('en-US')}`,
      );
    };
    fake.reset();
    fake.fallback(oneToolThenAnswer);
    await conversation('alice', 'cache cold at the start');
    await conversation('bob', 'shared prefix warm (another thread within 5 minutes)');

    // 3. Overhead beyond the model: sequential turns, each one tool call and an answer (2 model calls).
    const modelSeconds = async (): Promise<number> => {
      const m = await app.metrics.llmCallSeconds.get();
      return m.values.filter((v) => v.metricName?.endsWith('_sum')).reduce((a, v) => a + v.value, 0);
    };
    for (let i = 0; i < 20; i++) await turn('dave', `warm-up question ${i}`, `claude-${run}-overhead`);
    const overhead: number[] = [];
    const wall: number[] = [];
    for (let i = 0; i < opts.turns; i++) {
      const m0 = await modelSeconds();
      const t0 = performance.now();
      await turn('dave', `how are the instances doing? (${i})`, `claude-${run}-overhead`);
      const elapsed = performance.now() - t0;
      const model = ((await modelSeconds()) - m0) * 1000;
      wall.push(elapsed);
      overhead.push(elapsed - model);
    }
    const o = summarize(overhead);
    const w = summarize(wall);
    console.log(
      `   ${opts.turns} turns (2 model calls + 1 tool each): engine overhead p50 ${ms(o.p50)}  p90 ${ms(o.p90)}  p99 ${ms(o.p99)}; whole turn against the instant fake p50 ${ms(w.p50)}  p99 ${ms(w.p99)}`,
    );
  } finally {
    await app.close();
    await fake.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
};
