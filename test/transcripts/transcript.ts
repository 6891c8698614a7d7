import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * The format of a golden transcript (test/transcripts/<name>.json): who asks what, the turns that
 * set the scene, and the model's side of the conversation, scripted step by step. README.md in
 * this folder explains how to write one.
 */

/** The console's seeded people, one per role. */
export const TranscriptUser = z.enum(['alice', 'bob', 'carol', 'dave']);
export type TranscriptUser = z.infer<typeof TranscriptUser>;

export const roleOf: Record<TranscriptUser, string> = {
  alice: 'operator',
  bob: 'approver',
  carol: 'admin',
  dave: 'viewer',
};

const ToolCall = z.strictObject({
  name: z.string().min(1),
  input: z.record(z.string(), z.unknown()),
});

/**
 * One answer of the model. `tools`: a tool_use answer (optionally with text before the calls);
 * `answer`: the final markdown (end_turn); `error`: the API answers with an error status (e.g. 529
 * overloaded; `retryAfterSeconds` keeps the SDK's retry fast); `raw`: a body as is (e.g. malformed JSON).
 */
export const ModelStep = z.union([
  z.strictObject({ tools: z.array(ToolCall).min(1), text: z.string().min(1).optional() }),
  z.strictObject({ answer: z.string().min(1) }),
  z.strictObject({
    error: z.strictObject({
      status: z.number().int().min(400).max(599),
      type: z.string().min(1).optional(),
      message: z.string().min(1).optional(),
      retryAfterSeconds: z.number().min(0).max(1).optional(),
    }),
  }),
  z.strictObject({
    raw: z.strictObject({
      status: z.number().int().min(200).max(599).optional(),
      contentType: z.string().min(1).optional(),
      body: z.string(),
    }),
  }),
]);
export type ModelStep = z.infer<typeof ModelStep>;

/** A turn before (or after) the request: usually a grammar command; with `model`, a scripted model turn. */
const SideTurn = z.strictObject({
  user: TranscriptUser,
  text: z.string().min(1),
  model: z.array(ModelStep).min(1).optional(),
});
export type SideTurn = z.infer<typeof SideTurn>;

export const Transcript = z.strictObject({
  title: z.string().min(1).max(120),
  user: TranscriptUser,
  /** Tags to set on sandbox instances (by Name) before the inventory sync, e.g. an injected instruction. */
  fleet: z.strictObject({ tags: z.record(z.string(), z.record(z.string(), z.string())) }).optional(),
  setup: z.array(SideTurn).default([]),
  request: z.string().min(1),
  model: z.array(ModelStep).min(1),
  /** Turns after the request that show the state it left (e.g. `changes pending`). */
  after: z.array(SideTurn).default([]),
});
export type Transcript = z.infer<typeof Transcript>;

export interface TranscriptFile {
  /** The file name without `.json`, e.g. `01-idle-dev-boxes`. */
  name: string;
  transcript: Transcript;
}

/** Every transcript of `dir`, in file name order; a file that does not fit the format fails with its name. */
export const loadTranscripts = (dir: string): TranscriptFile[] =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.json') && !f.endsWith('.out.json'))
    .sort()
    .map((f) => {
      const parsed = Transcript.safeParse(JSON.parse(readFileSync(join(dir, f), 'utf8')));
      if (!parsed.success) throw new Error(`${f} is not a valid transcript:\n${z.prettifyError(parsed.error)}`);
      return { name: f.slice(0, -'.json'.length), transcript: parsed.data };
    });
