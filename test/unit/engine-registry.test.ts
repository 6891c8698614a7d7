import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import type { Role } from '../../src/chat/actor.ts';
import { textReply } from '../../src/chat/reply.ts';
import { ToolRegistry } from '../../src/engine/registry.ts';
import type { Tool, ToolContext } from '../../src/tools/tool.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { cloudTools } from '../../src/cloud/tools.ts';
import { freezeTools } from '../../src/changes/freeze-tools.ts';
import { changeTools } from '../../src/changes/tools.ts';
import { userTools } from '../../src/users/tools.ts';
import { usageTools } from '../../src/usage/tools.ts';

/** The app's real tools; their factories only close over the deps, so none is needed to read the declarations. */
const realTools = (): Tool[] => [
  ...cloudTools({} as never),
  ...changeTools({} as never),
  ...freezeTools({} as never),
  ...userTools({} as never),
  ...usageTools({} as never),
];

const Input = z.object({
  name: z.string().min(1).describe('who'),
  times: z.number().int().min(1).max(3).default(1).describe('how often'),
});
const greet: Tool<typeof Input> = {
  name: 'greet',
  description: 'Greets someone.',
  input: Input,
  kind: 'read',
  minRole: 'operator',
  llm: true,
  run: async ({ name, times }) => ({ type: 'answer', reply: textReply(Array(times).fill(`hi ${name}`).join(' ')) }),
};
const secret: Tool<typeof Input> = { ...greet, name: 'grant_like', llm: false, minRole: 'admin' };

const ctx = (role: Role): ToolContext => ({
  actor: { surface: 'console', workspaceId: 'console', userId: 'u', displayName: 'U' },
  role,
  conversation: { surface: 'console', workspaceId: 'console', channelId: 'ops' },
  now: new Date('2026-11-01T00:00:00Z'),
});

describe('ToolRegistry', () => {
  const metrics = createMetrics();
  const registry = new ToolRegistry(metrics).register(greet, secret);

  it('runs a tool with validated input and defaults', async () => {
    const out = await registry.run('greet', { name: 'bob' }, ctx('operator'));
    expect(out).toEqual({ type: 'answer', reply: textReply('hi bob') });
  });

  it('refuses a role below the tool minimum, saying which role is needed', async () => {
    await expect(registry.run('greet', { name: 'bob' }, ctx('viewer'))).rejects.toMatchObject({
      code: 'forbidden',
      userMessage: expect.stringMatching(/^You are a viewer; .*operator role/),
    });
    await expect(registry.run('grant_like', { name: 'bob' }, ctx('operator'))).rejects.toMatchObject({
      userMessage: expect.stringMatching(/^You are an operator; /),
    });
    await expect(registry.run('grant_like', { name: 'bob' }, ctx('approver'))).rejects.toMatchObject({
      code: 'forbidden',
    });
  });

  it('rejects bad input with the field and reason, and unknown tools', async () => {
    await expect(registry.run('greet', { name: '', times: 9 }, ctx('admin'))).rejects.toMatchObject({
      code: 'bad_request',
      userMessage: expect.stringMatching(/name: .*; times: /),
    });
    await expect(registry.run('nope', {}, ctx('admin'))).rejects.toMatchObject({ code: 'bad_request' });
  });

  it('offers an LLM only the tools marked for it, with JSON schemas', () => {
    const tools = registry.llmTools();
    expect(tools.map((t) => t.name)).toEqual(['greet']);
    expect(tools[0]!.inputSchema).toMatchObject({
      type: 'object',
      properties: { name: { type: 'string', description: 'who' } },
    });
  });

  it("refuses a decide or admin tool that an LLM could call: they act with a person's own authority", () => {
    expect(() => new ToolRegistry().register({ ...greet, name: 'approve_like', kind: 'decide', llm: true })).toThrow(
      /decide tool and must not be offered to an LLM/,
    );
    expect(() => new ToolRegistry().register({ ...greet, name: 'grant_like', kind: 'admin', llm: true })).toThrow(
      /admin tool/,
    );
    expect(
      new ToolRegistry().register({ ...greet, name: 'approve_like', kind: 'decide', llm: false }).llmTools(),
    ).toEqual([]);
  });

  it("declares every real tool's kind truthfully: the ones that decide or grant are never offered to an LLM", () => {
    const personal = realTools().filter((t) => t.kind === 'decide' || t.kind === 'admin');
    expect(personal.map((t) => t.name).sort()).toEqual([
      'approve_change',
      'freeze_changes',
      'grant_role',
      'grant_temporary_role',
      'reject_change',
      'revoke_role_grant',
      'unfreeze_changes',
    ]);
    expect(personal.every((t) => !t.llm)).toBe(true);
    expect(realTools().find((t) => t.name === 'rollback_change')?.kind).toBe('request');
    expect(
      realTools()
        .filter((t) => t.kind === 'change')
        .map((t) => t.name)
        .sort(),
    ).toEqual(['power_action', 'resize_resource', 'resource_action']);
  });

  it('refuses to register a name twice', () => {
    expect(() => new ToolRegistry().register(greet, greet)).toThrow(/registered twice/);
  });

  it('counts calls by outcome', async () => {
    const before =
      (await metrics.toolCalls.get()).values.find((v) => v.labels.tool === 'greet' && v.labels.outcome === 'forbidden')
        ?.value ?? 0;
    await registry.run('greet', { name: 'x' }, ctx('viewer')).catch(() => undefined);
    const after =
      (await metrics.toolCalls.get()).values.find((v) => v.labels.tool === 'greet' && v.labels.outcome === 'forbidden')
        ?.value ?? 0;
    expect(after).toBe(before + 1);
  });
});
