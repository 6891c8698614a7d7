import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import { startApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/observability/logger.ts';
import { startSlackFake, type FakeMessage } from '../test/fakes/slack-api.ts';
import {
  blockActionsPayload,
  eventCallback,
  appMentionEvent,
  interactivityForm,
  signSlackRequest,
} from '../test/helpers/slack-sign.ts';
import { ms, runPool, summarize } from './stats.ts';

/**
 * Slack ack latency: `total` signed block_actions POSTs at `concurrency`, each a click on a real
 * "Show more" button the bot posted (page 2 of `list resources`: a database read and a
 * chat.postMessage after the ack), against the whole app on /slack/events; and, in the same run,
 * against a bare Bolt app (Bolt's own HTTPReceiver, a listener that only acks) as the floor.
 * The two alternate in ten rounds so machine noise lands on both. The Web API fake runs in a worker
 * thread: Slack's side of a chat.postMessage is not our process's work. Slack wants the ack within 3 s.
 */
export interface SlackAckFigures {
  total: number;
  concurrency: number;
  ours: ReturnType<typeof summarize>;
  floor: ReturnType<typeof summarize>;
  ratioP50: number;
  ratioP99: number;
  /** Clicks answered (chat.postMessage done) per second, counting until the last answer. */
  answersPerSecond: number;
}

const SECRET = 'bench-signing-secret-0123456789';
const USER = 'U0BENCH001';
const CHANNEL = 'C0BENCH001';
const noop = (): void => undefined;
const quietBolt = {
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  setLevel: noop,
  getLevel: () => LogLevel.ERROR,
  setName: noop,
};

const post = async (url: string, form: Record<string, string>): Promise<void> => {
  const req = signSlackRequest(SECRET, { form });
  const res = await fetch(url, { method: 'POST', headers: req.headers, body: req.body });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`${url} → ${res.status}`);
};

/** The Web API fake in a worker thread; `count` asks how many bot messages a channel holds. */
const startFakeWorker = async (): Promise<{
  url: string;
  botUserId: string;
  teamId: string;
  messages(channel: string): Promise<FakeMessage[]>;
  responseUrl(t: { channel: string; ts?: string; user?: string }): Promise<string>;
  stop(): Promise<void>;
}> => {
  const worker = new Worker(new URL(import.meta.url), { workerData: { role: 'slack-fake' } });
  let seq = 0;
  const waiting = new Map<number, (v: unknown) => void>();
  const ready = new Promise<{ url: string; botUserId: string; teamId: string }>((resolve, reject) => {
    worker.once('error', reject);
    worker.on(
      'message',
      (m: { id?: number; value?: unknown; ready?: { url: string; botUserId: string; teamId: string } }) => {
        if (m.ready) resolve(m.ready);
        else if (m.id !== undefined) {
          waiting.get(m.id)?.(m.value);
          waiting.delete(m.id);
        }
      },
    );
  });
  const ask = <T>(op: string, arg: unknown): Promise<T> =>
    new Promise((resolve) => {
      const id = ++seq;
      waiting.set(id, resolve as (v: unknown) => void);
      worker.postMessage({ id, op, arg });
    });
  const info = await ready;
  return {
    ...info,
    messages: (channel) => ask('messages', channel),
    responseUrl: (t) => ask('responseUrl', t),
    stop: async () => {
      await ask('stop', null);
      await worker.terminate();
    },
  };
};

if (!isMainThread && (workerData as { role?: string } | null)?.role === 'slack-fake') {
  const fake = await startSlackFake({
    users: [{ id: USER, name: 'bench', displayName: 'Bench' }],
    channels: [{ id: CHANNEL, name: 'bench' }],
  });
  parentPort!.on('message', (m: { id: number; op: string; arg: unknown }) => {
    void (async () => {
      const value =
        m.op === 'messages'
          ? fake.messages(m.arg as string)
          : m.op === 'responseUrl'
            ? fake.responseUrl(m.arg as { channel: string })
            : await fake.stop();
      parentPort!.postMessage({ id: m.id, value: value ?? null });
    })();
  });
  parentPort!.postMessage({ ready: { url: fake.url, botUserId: fake.botUserId, teamId: fake.teamId } });
}

/** Bolt with nothing of ours: HTTPReceiver verifies, parses and acks; the listener only acks. */
const startFloor = async (): Promise<{ url: string; stop(): Promise<void> }> => {
  const receiver = new HTTPReceiver({ signingSecret: SECRET, endpoints: ['/slack/events'], logger: quietBolt });
  const bolt = new App({
    receiver,
    token: 'xoxb-floor',
    botId: 'B0FLOOR001',
    botUserId: 'U0FLOOR001',
    logger: quietBolt,
  });
  bolt.action(/.*/, async ({ ack }) => ack());
  const server = http.createServer((req, res) => receiver.requestListener(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

export const benchSlackAck = async (o: { total?: number; concurrency?: number } = {}): Promise<SlackAckFigures> => {
  const total = o.total ?? 5_000;
  const concurrency = o.concurrency ?? 50;
  const fake = await startFakeWorker();
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'devops-agent-bench-slack-'));
  const config = loadConfig({
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    SANDBOX: 'on',
    SLACK_BOT_TOKEN: 'xoxb-test-token',
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: fake.url,
    SLACK_APP_TOKEN: '',
    SLACK_CLIENT_ID: '',
  });
  // BENCH_LOG_LEVEL=info: the production log level (an access line per request, request ids),
  // written to /dev/null so that what is measured is the cost of writing it, not a terminal.
  const logLevel = process.env.BENCH_LOG_LEVEL ?? 'silent';
  const app = await startApp(config, {
    logger: createLogger(logLevel, logLevel === 'silent' ? undefined : createWriteStream('/dev/null')),
    jobs: false,
    slack: {
      retryConfig: { retries: 0 },
      ...(process.env.BENCH_SLACK_WORK ? { maxConcurrentWork: Number(process.env.BENCH_SLACK_WORK) } : {}),
    },
  });
  const floor = await startFloor();
  try {
    const ours = `${app.url}/slack/events`;
    // A real answer of ours with a real "Show more" button on it.
    const mention = appMentionEvent({ user: USER, channel: CHANNEL, text: `<@${fake.botUserId}> list resources` });
    // A fresh event id: with DATABASE_URL the processed-events table outlives this run.
    const r = signSlackRequest(SECRET, { json: eventCallback(mention, { eventId: `EvBENCH${randomUUID()}` }) });
    await fetch(ours, { method: 'POST', headers: r.headers, body: r.body });
    await app.slack!.idle();
    const answer = (await fake.messages(CHANNEL)).find((m) => m.threadTs === mention.ts);
    const more = (
      (answer?.blocks ?? []) as Array<{
        type: string;
        elements?: Array<{ text?: { text: string }; action_id: string; value?: string }>;
      }>
    )
      .flatMap((b) => (b.type === 'actions' ? (b.elements ?? []) : []))
      .find((e) => e.text?.text === 'Show more');
    if (!answer || !more) throw new Error('the bot posted no "Show more" button to click');
    const responseUrl = await fake.responseUrl({ channel: CHANNEL, ts: answer.ts, user: USER });
    const click = () =>
      interactivityForm(
        blockActionsPayload({
          userId: USER,
          channelId: CHANNEL,
          messageTs: answer.ts,
          threadTs: mention.ts,
          actionId: more.action_id,
          value: more.value ?? '',
          label: 'Show more',
          responseUrl,
        }),
      );

    // Each phase first reopens its keep-alive connections (idle ones closed during the other
    // phase) and settles, so both are measured warm; then all its answers are awaited.
    // `drainMs`: from the first click to the last answer posted (ours: the engine work after acks).
    const phase = async (url: string, n: number): Promise<{ times: number[]; drainMs: number }> => {
      await runPool(2 * concurrency, concurrency, () => post(url, click()));
      await app.slack!.idle();
      const t0 = performance.now();
      const times = await runPool(n, concurrency, () => post(url, click()));
      await app.slack!.idle();
      return { times, drainMs: performance.now() - t0 };
    };
    // Ten alternating rounds each, so a slow stretch of this shared machine lands on both sides.
    const rounds = 10;
    const oursTimes: number[] = [];
    const floorTimes: number[] = [];
    let drainMs = 0;
    for (let r = 0; r < rounds; r++) {
      const n = Math.floor(total / rounds) + (r < total % rounds ? 1 : 0);
      floorTimes.push(...(await phase(floor.url, n)).times);
      const o = await phase(ours, n);
      oursTimes.push(...o.times);
      drainMs += o.drainMs;
    }
    const oursSummary = summarize(oursTimes);
    const floorSummary = summarize(floorTimes);
    const posted = (await fake.messages(CHANNEL)).filter((m) => m.threadTs === mention.ts).length - 1;
    if (posted < total + 2 * rounds * concurrency)
      throw new Error(`only ${posted} of ${total + 2 * rounds * concurrency} clicks were answered`);
    return {
      total,
      concurrency,
      ours: oursSummary,
      floor: floorSummary,
      ratioP50: oursSummary.p50 / floorSummary.p50,
      ratioP99: oursSummary.p99 / floorSummary.p99,
      answersPerSecond: total / (drainMs / 1000),
    };
  } finally {
    await floor.stop();
    await app.close();
    await fake.stop();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
};

export const printSlackAck = (f: SlackAckFigures): void => {
  const line = (s: SlackAckFigures['ours']) => `p50 ${ms(s.p50)}  p90 ${ms(s.p90)}  p99 ${ms(s.p99)}  max ${ms(s.max)}`;
  console.log(`   ours  (whole app, POST /slack/events): ${line(f.ours)}`);
  console.log(`   floor (bare Bolt HTTPReceiver, ack only): ${line(f.floor)}`);
  console.log(
    `   ratio ours/floor: p50 ${f.ratioP50.toFixed(2)}×  p99 ${f.ratioP99.toFixed(2)}×  (Slack's deadline: 3 s)`,
  );
  console.log(
    `   answers (ours): ${f.answersPerSecond.toFixed(0)} clicks/s answered, counting until the last answer was posted`,
  );
};

if (isMainThread && process.argv[1] === fileURLToPath(import.meta.url)) {
  const total = Number(process.env.BENCH_SLACK_CLICKS ?? 5_000);
  console.log(`Slack ack latency: ${total} signed block_actions ("Show more" clicks) at concurrency 50`);
  printSlackAck(await benchSlackAck({ total }));
}
