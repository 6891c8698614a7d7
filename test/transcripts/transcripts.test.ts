import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Reply } from '../../src/chat/reply.ts';
import { seedFleet } from '../../src/cloud/sandbox/fleet.ts';
import { sql } from '../../src/store/orm.ts';
import {
  callTools,
  reply,
  startAnthropicFake,
  text,
  toolUse,
  type AnthropicFake,
  type RecordedRequest,
  type Step,
} from '../fakes/anthropic/index.ts';
import { startTestApp, turn, type TestApp } from '../helpers/app.ts';
import { denormalizeIds, normalize, renderModelCalls, renderReplies } from './render.ts';
import { loadTranscripts, roleOf, type ModelStep, type SideTurn, type TranscriptFile } from './transcript.ts';

/**
 * Golden transcripts (README.md in this folder): each test/transcripts/<name>.json is a realistic
 * request with the model's side scripted; it runs end to end through the console API, the engine,
 * the Claude planner and the real Anthropic SDK against the Messages API fake, and its rendering is
 * compared with <name>.out.md. The tools offered to the model are compared with tools.out.json.
 * UPDATE_TRANSCRIPTS=1 rewrites the outputs instead (then review the diff).
 *
 * One app serves the whole suite; before each transcript its state is reset (change requests,
 * audit log, conversations, usage, the sandbox fleet), so every transcript starts from the same
 * estate and its output does not depend on the others.
 */

const DIR = dirname(fileURLToPath(import.meta.url));
const UPDATE = process.env.UPDATE_TRANSCRIPTS === '1';
const KEY = 'sk-ant-transcripts-0123456789abcdef';

/** What one run leaves behind, reset before each transcript (users, workspaces and the inventory stay). */
const RESET_TABLES = [
  'change_requests',
  'approvals',
  'change_cards',
  'audit_events',
  'conversations',
  'messages',
  'processed_events',
  'llm_usage',
  'change_freezes',
  'role_grants',
];

const transcripts = loadTranscripts(DIR);
let fake: AnthropicFake;
let app: TestApp;

beforeAll(async () => {
  fake = await startAnthropicFake();
  app = await startTestApp({
    ANTHROPIC_API_KEY: KEY,
    ANTHROPIC_BASE_URL: fake.url,
    // One retry: a transcript scripts the retried error too (with a short retryAfterSeconds).
    ANTHROPIC_MAX_RETRIES: '1',
  });
}, 60_000);
afterAll(async () => {
  await app?.stop();
  await fake?.close();
});

/** Messages API calls only (the start-up key check's count_tokens is left out). */
const calls = (): RecordedRequest[] => fake.requests.filter((r) => r.path === '/v1/messages');

const toFakeStep = (s: ModelStep): Step => {
  if ('tools' in s)
    return callTools(...(s.text ? [text(s.text)] : []), ...s.tools.map((t) => toolUse(t.name, t.input)));
  if ('answer' in s) return reply(text(s.answer));
  if ('error' in s) return { kind: 'error', ...s.error };
  return { kind: 'raw', ...s.raw };
};

/** Compares `content` with the file, or writes it with UPDATE_TRANSCRIPTS=1. */
const golden = (file: string, content: string): void => {
  if (UPDATE) writeFileSync(file, content);
  if (!existsSync(file))
    throw new Error(`missing ${file}: run UPDATE_TRANSCRIPTS=1 npm test -- test/transcripts, then review it`);
  expect(content).toBe(readFileSync(file, 'utf8'));
};

/**
 * Back to the estate every transcript starts from: the tables a run writes emptied (ids restart),
 * the sandbox fleet reseeded and synced. Returns the number the next change request id will have.
 */
const resetState = async (): Promise<number> => {
  const db = app.store.db;
  await db.execute(sql.raw(`TRUNCATE ${RESET_TABLES.join(', ')} RESTART IDENTITY CASCADE`));
  await db.execute(sql.raw('ALTER SEQUENCE change_request_seq RESTART'));
  Object.assign(app.sandbox!.fleet, seedFleet(new Date()));
  await app.syncNow();
  const rows = await db.execute(sql.raw('SELECT last_value, is_called FROM change_request_seq'));
  const row = rows.rows[0] as { last_value: string | number; is_called: boolean };
  return Number(row.last_value) + (row.is_called ? 1 : 0);
};

/** One turn through the console API: the model's side scripted when given. */
const runTurn = async (t: SideTurn, base: number): Promise<{ replies: string; model: string | undefined }> => {
  const before = calls().length;
  const steps = t.model ? denormalizeIds(t.model, base) : [];
  fake.script(...steps.map(toFakeStep));
  // The console API's answer, read with the Reply schema every surface renders.
  const replies = Reply.array().parse(await turn(app, t.user, denormalizeIds(t.text, base)));
  const made = calls().slice(before);
  // Steps a turn left unused are reported in its render; they must not answer the next turn.
  if (fake.pending() > 0) fake.reset();
  return {
    replies: renderReplies(replies),
    model: t.model || made.length ? renderModelCalls(made, steps) : undefined,
  };
};

const who = (user: SideTurn['user']) => `**${user}** (${roleOf[user]})`;

const renderSideTurn = async (t: SideTurn, base: number): Promise<string> => {
  const { replies, model } = await runTurn(t, base);
  return [`${who(t.user)}: ${t.text}`, ...(model ? [model] : []), replies].join('\n\n');
};

const runTranscript = async ({ name, transcript: t }: TranscriptFile): Promise<string> => {
  fake.reset();
  const base = await resetState();
  const out: string[] = [
    `# ${t.title}`,
    `\`${name}.json\` · asked by ${who(t.user)} in the web console (sandbox cloud)`,
  ];

  if (t.fleet) {
    for (const [instanceName, tags] of Object.entries(t.fleet.tags)) {
      const instance = app.sandbox!.fleet.instances.find((i) => i.tags.Name === instanceName);
      if (!instance) throw new Error(`${name}: no sandbox instance named ${instanceName}`);
      Object.assign(instance.tags, denormalizeIds(tags, base));
    }
    await app.syncNow();
    out.push(
      '## Fleet',
      Object.entries(t.fleet.tags)
        .flatMap(([n, tags]) => Object.entries(tags).map(([k, v]) => `- tag on ${n}: \`${k}\` = ${JSON.stringify(v)}`))
        .join('\n'),
    );
  }

  if (t.setup.length) {
    out.push('## Setup');
    for (const s of t.setup) out.push(await renderSideTurn(s, base));
  }

  out.push('## Request', `${who(t.user)}: ${t.request}`);
  const { replies, model } = await runTurn({ user: t.user, text: t.request, model: t.model }, base);
  out.push('## Model', model ?? '', '## What the user saw', replies);

  if (t.after.length) {
    out.push('## After');
    for (const s of t.after) out.push(await renderSideTurn(s, base));
  }
  return `${normalize(out.join('\n\n'), base).trimEnd()}\n`;
};

describe('golden transcripts', () => {
  it('the tools offered to the model match tools.out.json', async () => {
    fake.reset();
    fake.script(reply(text('Hello.')));
    await turn(app, 'dave', 'hello there, what can you do for me?');
    const offered = (calls()[0]?.body?.tools ?? []) as Array<Record<string, unknown>>;
    expect(offered.length).toBeGreaterThan(0);
    const tools = offered.map((t) => ({ name: t.name, description: t.description, input_schema: t.input_schema }));
    golden(join(DIR, 'tools.out.json'), `${JSON.stringify(tools, null, 2)}\n`);
  });

  it('every output belongs to a transcript', () => {
    const names = new Set(transcripts.map((t) => t.name));
    const orphans = readdirSync(DIR).filter((f) => f.endsWith('.out.md') && !names.has(f.slice(0, -'.out.md'.length)));
    if (UPDATE) for (const f of orphans) rmSync(join(DIR, f));
    else expect(orphans).toEqual([]);
  });

  it.each(transcripts.map((t) => [t.name, t] as const))('%s', async (name, t) => {
    const rendered = await runTranscript(t);
    golden(join(DIR, `${name}.out.md`), rendered);
  });
});
