import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import {
  AgentApplication,
  CloudAdapter,
  getAuthConfigWithDefaults,
  type Connections,
  type TurnContext,
} from '@microsoft/agents-hosting';
import { startApp } from '../src/app.ts';
import { loadConfig, type Config } from '../src/config.ts';
import { createLogger } from '../src/observability/logger.ts';
import { authConfigFor } from '../src/surfaces/teams/teams.ts';
import { startBotConnectorFake } from '../test/fakes/bot-connector/index.ts';
import { ms, runPool, summarize } from './stats.ts';

/**
 * Teams ack latency: `total` message activities ("list instances" in a personal chat: after the
 * ack, a typing indicator, an engine turn on the sandbox inventory, a database write or two and
 * the answer card posted through the Bot Connector) POSTed at `concurrency` to /api/messages of
 * the whole app, each with a Bot Framework JWT (RS256, signed by the fake's key, checked by the
 * SDK against the fake's JWKS, as in production); and, in the same run, to a bare Agents SDK app
 * as the floor: the same CloudAdapter configuration and token check on a plain node:http server,
 * mounted the way our route mounts it (authorizeRequest → process), with an AgentApplication that
 * only acks. The two alternate in ten rounds so machine noise lands on both. The Bot Connector fake
 * (and its JWKS) runs in a worker thread: the connector's side of a post is not our process's work.
 * Teams (Azure Bot Service) wants the HTTP answer within 15 s; 3 s for an invoke.
 */
export interface TeamsAckFigures {
  total: number;
  concurrency: number;
  auth: 'jwt';
  ours: ReturnType<typeof summarize>;
  floor: ReturnType<typeof summarize>;
  ratioP50: number;
  ratioP99: number;
  /** Messages answered (answer card posted) per second, counting until the last answer. */
  answersPerSecond: number;
}

const TENANT = '0b6f4a1e-6c2d-4a8e-9a57-3f1d2b7c9e10';
const APP_ID = 'bench-teams-app-id';
const BOT = { id: `28:${APP_ID}`, name: 'DevOps Agent' };
const USERS = 50;
const CHAT_PREFIX = 'a:bench-personal-';

/** The Bot Connector fake (with the Entra JWKS) in a worker thread. */
const startFakeWorker = async (): Promise<{
  url: string;
  authority: string;
  issuer: string;
  token(claims: Record<string, unknown>): Promise<string>;
  /** Message activities (answers, not typing) posted to conversations starting with `prefix`. */
  count(prefix: string): Promise<number>;
  stop(): Promise<void>;
}> => {
  const worker = new Worker(new URL(import.meta.url), { workerData: { role: 'teams-fake' } });
  let seq = 0;
  const waiting = new Map<number, (v: unknown) => void>();
  type Ready = { url: string; authority: string; issuer: string };
  const ready = new Promise<Ready>((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (m: { id?: number; value?: unknown; ready?: Ready }) => {
      if (m.ready) resolve(m.ready);
      else if (m.id !== undefined) {
        waiting.get(m.id)?.(m.value);
        waiting.delete(m.id);
      }
    });
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
    token: (claims) => ask('token', claims),
    count: (prefix) => ask('count', prefix),
    stop: async () => {
      await ask('stop', null);
      await worker.terminate();
    },
  };
};

if (!isMainThread && (workerData as { role?: string } | null)?.role === 'teams-fake') {
  const fake = await startBotConnectorFake({ tenant: TENANT });
  parentPort!.on('message', (m: { id: number; op: string; arg: unknown }) => {
    void (async () => {
      const value =
        m.op === 'token'
          ? fake.token(m.arg as Record<string, unknown>)
          : m.op === 'count'
            ? fake.messages(m.arg as string).length
            : await fake.stop();
      parentPort!.postMessage({ id: m.id, value: value ?? null });
    })();
  });
  parentPort!.postMessage({ ready: { url: fake.url, authority: fake.authority, issuer: fake.issuer } });
}

/** The SDK's Express-style response, as small as `adapter.process` and the JWT middleware need. */
const expressResponse = () => {
  const res = {
    statusCode: 200,
    headersSent: false,
    writableEnded: false,
    body: undefined as string | undefined,
    headers: {} as Record<string, string>,
    status(code: number) {
      res.statusCode = code;
      return res;
    },
    setHeader(name: string, value: string) {
      res.headers[name.toLowerCase()] = value;
    },
    send(value: unknown) {
      res.body = typeof value === 'string' ? value : JSON.stringify(value);
    },
    end() {
      res.writableEnded = true;
    },
  };
  return res;
};

/** The bot's outbound token, as the app gets it in the bench (TeamsTuning.accessToken): MSAL refuses an http authority. */
const outboundToken = async (): Promise<string> => 'bench-outbound-token';

/**
 * The Agents SDK with nothing of ours: a CloudAdapter with the app's auth configuration (JWT
 * checked against the same JWKS, issuer validation on), its JWT middleware and `process` on a
 * plain node:http server, and an AgentApplication whose only route acks every activity.
 */
const startFloor = async (config: Config): Promise<{ url: string; stop(): Promise<void> }> => {
  const adapter = new CloudAdapter(getAuthConfigWithDefaults(authConfigFor(config)));
  adapter.onTurnError = async () => undefined;
  // The same in-process token provider as the app's (see TeamsTuning.accessToken).
  const provider = { getAccessToken: outboundToken } as unknown as ReturnType<Connections['getTokenProvider']>;
  const real = adapter.connectionManager;
  adapter.connectionManager = {
    getConnection: () => provider,
    getDefaultConnection: () => provider,
    getTokenProvider: () => provider,
    getTokenProviderFromActivity: () => provider,
    getDefaultConnectionConfiguration: () => real.getDefaultConnectionConfiguration(),
  };
  const agent = new AgentApplication({ adapter });
  agent.onActivity('message', async () => undefined);
  const server = http.createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const sdkReq: { method: string; headers: http.IncomingHttpHeaders; body?: unknown; user?: unknown } = {
        method: 'POST',
        headers: req.headers,
      };
      const auth = expressResponse();
      let authorized = false;
      await adapter.authorizeRequest(sdkReq as never, auth as never, () => {
        authorized = true;
      });
      let out = auth;
      if (authorized) {
        sdkReq.body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        out = expressResponse();
        await adapter.process(sdkReq as never, out as never, (ctx: TurnContext) => agent.run(ctx));
      }
      res.writeHead(out.statusCode, out.headers);
      res.end(out.body ?? '');
    })().catch((e: unknown) => {
      res.writeHead(500);
      res.end(String(e));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/messages`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

export const benchTeamsAck = async (o: { total?: number; concurrency?: number } = {}): Promise<TeamsAckFigures> => {
  const total = o.total ?? 5_000;
  const concurrency = o.concurrency ?? 50;
  const fake = await startFakeWorker();
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'devops-agent-bench-teams-'));
  const config = loadConfig({
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    SANDBOX: 'on',
    SLACK_BOT_TOKEN: '',
    SLACK_APP_TOKEN: '',
    SLACK_CLIENT_ID: '',
    TEAMS_ENABLED: 'auto',
    TEAMS_APP_ID: APP_ID,
    TEAMS_APP_PASSWORD: 'bench-unused-the-outbound-token-is-stubbed',
    TEAMS_TENANT_ID: TENANT,
    TEAMS_ALLOWED_TENANTS: TENANT,
    TEAMS_AUTHORITY: fake.authority,
    TEAMS_ISSUERS: fake.issuer,
    TEAMS_APPROVALS_CONVERSATION: '',
  });
  // BENCH_LOG_LEVEL=info: the production log level (an access line per request, request ids),
  // written to /dev/null so that what is measured is the cost of writing it, not a terminal.
  const logLevel = process.env.BENCH_LOG_LEVEL ?? 'silent';
  const app = await startApp(config, {
    logger: createLogger(logLevel, logLevel === 'silent' ? undefined : createWriteStream('/dev/null')),
    jobs: false,
    teams: {
      accessToken: outboundToken,
      retries: 0,
      ...(process.env.BENCH_TEAMS_WORK ? { maxConcurrentWork: Number(process.env.BENCH_TEAMS_WORK) } : {}),
    },
  });
  const floor = await startFloor(config);
  try {
    const ours = `${app.url}/api/messages`;
    // Teams' channel service reuses a token for many requests; each phase gets a fresh one.
    const token = async (): Promise<string> => {
      const now = Math.floor(Date.now() / 1000);
      return fake.token({
        aud: APP_ID,
        iss: fake.issuer,
        tid: TENANT,
        serviceurl: fake.url,
        nbf: now - 10,
        exp: now + 3600,
      });
    };
    let n = 0;
    // A new activity id each time (a redelivery would run once), from one of USERS people, each in their personal chat.
    const activity = (): string => {
      const u = n++ % USERS;
      return JSON.stringify({
        type: 'message',
        id: `bench-${randomUUID()}`,
        timestamp: new Date().toISOString(),
        channelId: 'msteams',
        serviceUrl: fake.url,
        from: { id: `29:bench-user-${u}`, name: `Bench User ${u}`, aadObjectId: `aad-bench-${u}` },
        recipient: BOT,
        conversation: { id: `${CHAT_PREFIX}${u}`, conversationType: 'personal', tenantId: TENANT },
        channelData: { tenant: { id: TENANT } },
        text: 'list instances',
        textFormat: 'plain',
        locale: 'en-US',
      });
    };
    const post = async (url: string, bearer: string, body = activity()): Promise<void> => {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
        body,
      });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${url} → ${res.status}`);
    };
    // The user typing: acknowledged and otherwise ignored by both sides (no engine work).
    const typing = (): string =>
      JSON.stringify({ ...(JSON.parse(activity()) as object), type: 'typing', text: undefined });

    // One real answer first: the bench measures a bot that answers.
    await post(ours, await token());
    await app.teams!.idle();
    if ((await fake.count(CHAT_PREFIX)) !== 1) throw new Error('the bot did not answer "list instances" once');

    // Each phase first warms up with real messages and settles (their answers posted), then
    // reopens its keep-alive connections with typing activities (acked, no work: the client closes
    // connections idle for a few seconds, and reconnecting 50 at once would be measured as acks),
    // so both sides are measured warm; then all its answers are awaited.
    // `drainMs`: from the first message to the last answer posted (ours: the engine work after acks).
    const phase = async (url: string, count: number): Promise<{ times: number[]; drainMs: number }> => {
      const bearer = await token();
      await runPool(2 * concurrency, concurrency, () => post(url, bearer));
      await app.teams!.idle();
      await runPool(concurrency, concurrency, () => post(url, bearer, typing()));
      const t0 = performance.now();
      const times = await runPool(count, concurrency, () => post(url, bearer));
      await app.teams!.idle();
      return { times, drainMs: performance.now() - t0 };
    };
    // Ten alternating rounds each, so a slow stretch of this shared machine lands on both sides.
    const rounds = 10;
    const oursTimes: number[] = [];
    const floorTimes: number[] = [];
    let drainMs = 0;
    for (let r = 0; r < rounds; r++) {
      const count = Math.floor(total / rounds) + (r < total % rounds ? 1 : 0);
      floorTimes.push(...(await phase(floor.url, count)).times);
      const o = await phase(ours, count);
      oursTimes.push(...o.times);
      drainMs += o.drainMs;
    }
    const oursSummary = summarize(oursTimes);
    const floorSummary = summarize(floorTimes);
    const answered = (await fake.count(CHAT_PREFIX)) - 1;
    if (answered < total + 2 * rounds * concurrency)
      throw new Error(`only ${answered} of ${total + 2 * rounds * concurrency} messages were answered`);
    return {
      total,
      concurrency,
      auth: 'jwt',
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

export const printTeamsAck = (f: TeamsAckFigures): void => {
  const line = (s: TeamsAckFigures['ours']) => `p50 ${ms(s.p50)}  p90 ${ms(s.p90)}  p99 ${ms(s.p99)}  max ${ms(s.max)}`;
  console.log(`   ours  (whole app, POST /api/messages):            ${line(f.ours)}`);
  console.log(`   floor (bare Agents SDK CloudAdapter, ack only):   ${line(f.floor)}`);
  console.log(
    `   ratio ours/floor: p50 ${f.ratioP50.toFixed(2)}×  p99 ${f.ratioP99.toFixed(2)}×  (both check a Bot Framework JWT, RS256)`,
  );
  console.log(
    `   answers (ours): ${f.answersPerSecond.toFixed(0)} messages/s answered, counting until the last answer was posted`,
  );
};

if (isMainThread && process.argv[1] === fileURLToPath(import.meta.url)) {
  const total = Number(process.env.BENCH_TEAMS_ACTIVITIES ?? 5_000);
  console.log(`Teams ack latency: ${total} message activities ("list instances", JWT-signed) at concurrency 50`);
  printTeamsAck(await benchTeamsAck({ total }));
}
