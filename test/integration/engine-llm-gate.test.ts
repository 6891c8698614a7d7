import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { textReply } from '../../src/chat/reply.ts';
import { createEngine, type Engine } from '../../src/engine/conversation-engine.ts';
import type { Planner, ToolResult } from '../../src/engine/planner.ts';
import { ToolRegistry } from '../../src/engine/registry.ts';
import { badRequest } from '../../src/errors.ts';
import { createLogger } from '../../src/observability/logger.ts';
import type { Tool } from '../../src/tools/tool.ts';
import { harness } from '../fixtures/changes-harness.ts';
import { createTestStore, type TestStore } from '../helpers/db.ts';

/**
 * The engine's side of an LLM planner (`runTool`), with a scripted planner and tools made for the
 * test: only LLM-offered tools run, refusals and failures come back as results (never thrown), a
 * change plan becomes a pending change request, and a tool that throws leaves nothing half-written.
 */

let store: TestStore;
let engine: Engine;
let h: ReturnType<typeof harness>;
const ran: string[] = [];
let results: Record<string, ToolResult> = {};

const tool = (t: Partial<Tool> & Pick<Tool, 'name' | 'kind' | 'run'>): Tool => ({
  description: `test tool ${t.name}`,
  input: z.object({ n: z.number().int().describe('a number') }).partial(),
  minRole: 'viewer',
  llm: true,
  ...t,
});

const plan = {
  action: 'stop' as const,
  target: { provider: 'aws', account: '1', region: 'eu-west-1', type: 'instance', id: 'i-0abc12345678' },
  resourceName: 'web-1',
  environment: 'prod',
  params: {},
  summary: 'Stop i-0abc12345678 (web-1, prod) in eu-west-1',
  blastRadius: 'web-1 only',
  costDeltaCents: -100,
  rollback: { action: 'start' as const, params: {} },
};

/** Calls every tool of the script through runTool and answers with nothing but what it saw. */
const scripted = (calls: Array<{ tool: string; input: unknown }>): Planner => ({
  name: 'scripted',
  historyTurns: 0,
  plan: async ({ runTool }) => {
    results = {};
    for (const c of calls) results[c.tool] = await runTool(c);
    return { type: 'answer', replies: [textReply('done')] };
  },
});

const turn = (text = 'go') =>
  engine.handleTurn({
    actor: { surface: 'console', workspaceId: 'console', userId: 'alice', displayName: 'Alice' },
    conversation: { surface: 'console', workspaceId: 'console', channelId: 'gate' },
    text,
  });

beforeAll(async () => {
  store = await createTestStore();
  h = harness(store.db);
  const registry = new ToolRegistry(h.metrics).register(
    tool({
      name: 'read_thing',
      kind: 'read',
      run: async (input) => {
        ran.push('read_thing');
        return { type: 'answer', reply: textReply('thing'), data: { thing: input } };
      },
    }),
    tool({
      name: 'throws',
      kind: 'read',
      run: async () => {
        ran.push('throws');
        throw new TypeError("Cannot read properties of undefined (reading 'x')");
      },
    }),
    tool({
      name: 'refuses',
      kind: 'read',
      run: async () => {
        ran.push('refuses');
        throw badRequest('No instance called web-9. Did you mean web-1?');
      },
    }),
    tool({
      name: 'decide_thing',
      kind: 'decide',
      llm: false,
      run: async () => {
        ran.push('decide_thing');
        return { type: 'answer', reply: textReply('decided') };
      },
    }),
    tool({
      name: 'grammar_only',
      kind: 'read',
      llm: false,
      run: async () => ({ type: 'answer', reply: textReply('x') }),
    }),
    tool({
      name: 'needs_admin',
      kind: 'read',
      minRole: 'admin',
      run: async () => ({ type: 'answer', reply: textReply('x') }),
    }),
    tool({ name: 'stop_thing', kind: 'change', minRole: 'operator', run: async () => ({ type: 'plan', plan }) }),
  );
  engine = createEngine({
    db: store.db,
    registry,
    planner: scripted([
      { tool: 'read_thing', input: { n: 1 } },
      { tool: 'read_thing', input: { n: 'one' } },
      { tool: 'throws', input: {} },
      { tool: 'refuses', input: {} },
      { tool: 'decide_thing', input: {} },
      { tool: 'grammar_only', input: {} },
      { tool: 'run_shell', input: { command: 'rm -rf /' } },
      { tool: 'needs_admin', input: {} },
      { tool: 'stop_thing', input: {} },
    ]),
    changes: h.service,
    bootstrapAdmins: [],
    defaultRole: 'operator',
    logger: createLogger('silent'),
    metrics: h.metrics,
    now: h.clock.now,
    sandbox: false,
  });
}, 60_000);
afterAll(async () => {
  await store?.dispose();
});

describe('runTool: the gate between an LLM planner and the tools', () => {
  it('runs offered tools and turns every refusal or failure into a result the model reads', async () => {
    const replies = await turn();
    expect(replies.map((r) => r.text)).toEqual(['done']);

    expect(results.read_thing).toEqual({
      ok: false,
      error: expect.stringMatching(/does not fit read_thing/),
    });
    expect(ran.filter((t) => t === 'read_thing')).toHaveLength(1); // the valid call ran, the invalid one did not
    expect(results.throws).toEqual({
      ok: false,
      error: expect.stringMatching(/failed on the bot's side \(ref \w{8}\)/),
    });
    expect(results.refuses).toEqual({ ok: false, error: 'No instance called web-9. Did you mean web-1?' });
    for (const name of ['decide_thing', 'grammar_only', 'run_shell'])
      expect(results[name]).toEqual({ ok: false, error: expect.stringMatching(/no tool called .* that you may call/) });
    expect(ran).not.toContain('decide_thing');
    expect(results.needs_admin).toEqual({ ok: false, error: expect.stringMatching(/needs the admin role/) });
  });

  it('files a change plan as a pending change request in the asker’s name, and says nothing ran', async () => {
    const r = results.stop_thing!;
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.needsUser).toBe(true);
    expect(r.change).toMatchObject({ status: 'pending', approvalsRequired: 1 });
    expect(r.reply.changeId).toBe(r.change!.id);
    expect(JSON.stringify(r.data)).toMatch(/waiting for approval .*Nothing has run/);
    const stored = await h.service.get(r.change!.id);
    expect(stored?.requester.userId).toBe('alice');
    expect(h.provider.executions).toHaveLength(0);
    const metrics = await h.metrics.registry.metrics();
    expect(metrics).toMatch(/devops_agent_tool_calls_total\{tool="unknown",outcome="refused"\} 1/);
    expect(metrics).toMatch(/devops_agent_tool_calls_total\{tool="decide_thing",outcome="refused"\} 1/);
  });
});
