import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startApp, type App } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/observability/logger.ts';
import type { Store } from '../../src/store/open.ts';
import { startSlackFake, type SlackFake } from '../fakes/slack-api.ts';
import { openProxiedStore, type ProxiedStore } from '../helpers/proxied-store.ts';
import { postSigned, signSlackRequest, slashCommandForm } from '../helpers/slack-sign.ts';
import type { TcpProxy } from '../helpers/tcp-proxy.ts';
import { waitFor } from '../helpers/wait-for.ts';

/**
 * The replay check records each signed request in the database. While the database is down it
 * cannot: the request is still handled (everything it could do needs the database, so the user
 * is told "temporarily unavailable", like everywhere else during an outage) and the ack stays fast.
 * Once the database is back, requests are recorded and replays ignored again.
 */
const SECRET = 'outage-signing-secret-0123456789';
const ALICE = 'U0ALICE001';
const OPS = 'C0OPS00001';

let db: ProxiedStore;
let proxy: TcpProxy;
let store: Store;
let fake: SlackFake;
let app: App;

beforeAll(async () => {
  db = await openProxiedStore();
  ({ proxy, store } = db);
  const logger = createLogger('silent');
  fake = await startSlackFake({
    users: [{ id: ALICE, name: 'alice', displayName: 'Alice' }],
    channels: [{ id: OPS, name: 'ops' }],
  });
  const config = loadConfig({
    PORT: '0',
    LOG_LEVEL: 'silent',
    SANDBOX: 'on',
    SANDBOX_CLOUDS: 'aws',
    SLACK_BOT_TOKEN: 'xoxb-test-token',
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: fake.url,
    DEFAULT_ROLE: 'operator',
  });
  app = await startApp(config, {
    logger,
    store,
    jobs: false,
    slack: { retryConfig: { retries: 0 } },
  });
}, 60_000);
afterAll(async () => {
  await app?.close();
  await db?.close();
  await fake?.stop();
});

const slash = (text: string) => {
  const responseUrl = fake.responseUrl({ channel: OPS, user: ALICE });
  return signSlackRequest(SECRET, { form: slashCommandForm({ text, userId: ALICE, channelId: OPS, responseUrl }) });
};
const send = async (req: ReturnType<typeof slash>) => {
  const res = await postSigned(`${app.url}/slack/events`, req);
  const body = await res.text();
  await app.slack!.idle();
  return { status: res.status, body };
};
const said = () => [...fake.ephemerals(OPS), ...fake.messages(OPS)].map((m) => m.text);

describe('the replay check while the database is down', () => {
  it('a slash command is acked and answered "temporarily unavailable"; after recovery replays are ignored again', async () => {
    proxy.cut('reset');
    await waitFor(async () => (await fetch(`${app.url}/readyz`)).status === 503, {
      what: 'the database down',
      timeoutMs: 10_000,
    });
    const during = await send(slash('list instances env=prod'));
    expect(during).toEqual({ status: 200, body: '' });
    expect(said().join('\n')).toMatch(/temporarily unavailable/);

    proxy.restore();
    await waitFor(async () => (await fetch(`${app.url}/readyz`)).status === 200, {
      what: 'the database back',
      timeoutMs: 10_000,
    });
    const req = slash('list instances env=prod');
    await send(req);
    const answered = said().filter((t) => /Instances env=prod/.test(t)).length;
    expect(answered).toBe(1);
    expect(await send(req)).toEqual({ status: 200, body: '' });
    expect(said().filter((t) => /Instances env=prod/.test(t))).toHaveLength(answered);
  });
});
