import os from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { listAuditEvents, verifyAudit, formatAuditAnchor } from '../../src/changes/audit.ts';
import { startSandbox, type Sandbox } from '../../src/cloud/sandbox/server.ts';
import { startSlackFake, type SlackFake } from '../fakes/slack-api.ts';
import { ALICE, APPROVALS, BOB, buttonsOf, CAROL, OPS, SECRET } from '../fixtures/slack-harness.ts';
import { startAppProcess, type AppProcess, type LogLine } from '../helpers/app-process.ts';
import { click, turn, type ReplyLike } from '../helpers/app.ts';
import { createTestStore, type TestStore } from '../helpers/db.ts';
import { startRoundRobinProxy, type RoundRobinProxy } from '../helpers/round-robin-proxy.ts';
import {
  appMentionEvent,
  blockActionsPayload,
  eventCallback,
  interactivityForm,
  postSigned,
  signSlackRequest,
} from '../helpers/slack-sign.ts';
import { waitFor } from '../helpers/wait-for.ts';

/**
 * Two replicas of the real app (`node src/main.ts`, separate processes) on one PostgreSQL, behind a
 * round-robin HTTP proxy, with Slack pointed at the Web API fake and both replicas pointed at ONE
 * EC2 sandbox (started here, reached through AWS_ENDPOINT_URL, as a deployment reaches AWS). What a
 * platform team needs to be true before running N of them: every event, approval, job occurrence
 * and change happens once across the replicas, a replica's crash is recovered by another, and
 * every replica shows the same history and audit chain.
 *
 * Embedded PGlite serves one process by design (its data dir is locked), so this needs DATABASE_URL.
 */
const onServer = process.env.DATABASE_URL ? describe : describe.skip;
if (!process.env.DATABASE_URL)
  process.stdout.write(
    'replicas.test.ts skipped: two replicas need a shared PostgreSQL (set DATABASE_URL); embedded PGlite serves one process by design\n',
  );

const LEASE_MS = 4_000;
/** changes.recover runs every half lease (src/changes/jobs.ts). */
const RECOVER_EVERY_MS = LEASE_MS / 2;
const EXPIRE_EVERY_MS = 2_000;
const SYNC_EVERY_MS = 10_000;
/** The scheduler's processEvery (src/jobs/scheduler.ts): how late a due job may be picked up. */
const POLL_MS = 1_000;

let store: TestStore;
let sandbox: Sandbox;
let fake: SlackFake;
let replicas: AppProcess[] = [];
let proxy: RoundRobinProxy;
/** Replicas this test stops or kills on purpose; any other exit is recorded in `crashes`. */
const killed = new Set<AppProcess>();
const crashes: unknown[] = [];

const a = (): AppProcess => replicas[0]!;
const b = (): AppProcess => replicas[1]!;

/** Calls of `action` on the sandbox that named `instanceId`. */
const cloudCalls = (action: string, instanceId: string): number =>
  sandbox.requests.filter(
    (r) =>
      r.action === action &&
      r.status === 200 &&
      Object.entries(r.params).some(([k, v]) => /^InstanceIds?\.\d+$|^InstanceId$/.test(k) && v === instanceId),
  ).length;

const instanceId = (name: string): string => {
  const i = sandbox.fleet.instances.find((x) => x.tags.Name === name);
  if (!i) throw new Error(`no sandbox instance ${name}`);
  return i.id;
};

/** A counter's value summed over the series whose labels include `labels`, from one replica's /metrics. */
const metric = async (url: string, name: string, labels: Record<string, string>): Promise<number> => {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^(\w+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...m[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(m[3]);
  }
  return sum;
};
const perReplica = (name: string, labels: Record<string, string>): Promise<number[]> =>
  Promise.all(
    replicas
      .filter((r) => r.child.exitCode === null && r.child.signalCode === null)
      .map((r) => metric(r.url, name, labels)),
  );
const total = async (name: string, labels: Record<string, string>): Promise<number> =>
  (await perReplica(name, labels)).reduce((x, y) => x + y, 0);

const changeRow = async (id: string) =>
  (
    await store.pool.query<{ status: string; executor: string | null; reason: string | null }>(
      'SELECT status, executor, reason FROM change_requests WHERE id = $1',
      [id],
    )
  ).rows[0];

const auditTypes = async (id: string): Promise<string[]> =>
  (await listAuditEvents(store.db, { subject: id })).map((e) => e.type);

/** The change card among a turn's replies. */
const changeIdOf = (replies: ReplyLike[], what: string): string => {
  const id = replies.find((r) => r.changeId)?.changeId;
  if (!id) throw new Error(`${what}: no change card in ${JSON.stringify(replies.map((r) => r.text))}`);
  return id;
};

const diagnostics = () => ({
  replicas: replicas.map((r) => ({ pid: r.pid, exit: r.child.exitCode ?? r.child.signalCode, stderr: r.stderr() })),
  proxy: proxy?.served.slice(-10),
});

onServer('two replicas on one PostgreSQL (needs DATABASE_URL: embedded PGlite is one process by design)', () => {
  beforeAll(async () => {
    store = await createTestStore();
    // Many DescribeInstances see `stopping` before it settles: a resize waits there (15 s per poll)
    // long enough to kill its executor mid-call.
    sandbox = await startSandbox({ transitionDescribes: 30 });
    fake = await startSlackFake({
      users: [
        { id: ALICE, name: 'alice', displayName: 'Alice' },
        { id: BOB, name: 'bob', displayName: 'Bob' },
        { id: CAROL, name: 'carol', displayName: 'Carol' },
      ],
      channels: [
        { id: OPS, name: 'ops' },
        { id: APPROVALS, name: 'approvals', isPrivate: true },
      ],
    });
    // The same configuration on every replica, as a deployment gives it.
    const env = {
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: '0',
      // debug: the scheduler logs each run ('job done'), which the jobs test reads.
      LOG_LEVEL: 'debug',
      DATABASE_URL: store.connectionString,
      DB_POOL_MAX: '4',
      AWS_ENDPOINT_URL: sandbox.url,
      AWS_ACCESS_KEY_ID: 'AKIDSANDBOX',
      AWS_SECRET_ACCESS_KEY: 'sandbox',
      AWS_REGIONS: 'us-east-1,eu-west-1',
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: fake.url,
      SLACK_APPROVALS_CHANNEL: APPROVALS,
      BOOTSTRAP_ADMINS: `${BOB},${CAROL}`,
      DEFAULT_ROLE: 'operator',
      EXECUTION_LEASE: `${LEASE_MS}ms`,
      EXPIRY_CHECK_INTERVAL: `${EXPIRE_EVERY_MS}ms`,
      INVENTORY_SYNC_INTERVAL: `${SYNC_EVERY_MS}ms`,
    };
    replicas = await Promise.all([
      startAppProcess(env, { name: 'replica A' }),
      startAppProcess(env, { name: 'replica B' }),
    ]);
    proxy = await startRoundRobinProxy(replicas.map((r) => r.url));
    // A replica that dies on its own is a defect: say so with what it printed, not as a refused connection later.
    replicas.forEach(
      (r, i) =>
        void r.exited.then(({ code, signal }) => {
          if (!killed.has(r))
            crashes.push({ replica: 'AB'[i], code, signal, stderr: r.stderr(), log: r.logs.slice(-20) });
        }),
    );
  }, 120_000);

  afterEach(() => {
    expect(crashes).toEqual([]);
  });

  afterAll(async () => {
    replicas.forEach((r) => killed.add(r));
    await proxy?.close();
    await Promise.all(replicas.map((r) => r.stop()));
    await fake?.stop();
    await sandbox?.stop();
    await store?.dispose();
  }, 60_000);

  test('a Slack event delivered to both replicas (a retry with the same event_id) is answered once', async () => {
    const mention = appMentionEvent({ user: ALICE, channel: OPS, text: `<@${fake.botUserId}> whoami` });
    const body = { json: eventCallback(mention, { eventId: 'Ev0REPLICAS1' }) };
    const served = proxy.served.length;
    // Slack retries when the first delivery is slow to be acknowledged: both are in flight at once.
    const answers = await Promise.all([
      postSigned(`${proxy.url}/slack/events`, signSlackRequest(SECRET, body)),
      postSigned(`${proxy.url}/slack/events`, signSlackRequest(SECRET, body, { retryNum: 1 })),
    ]);
    expect(answers.map((r) => r.status)).toEqual([200, 200]);
    expect(new Set(proxy.served.slice(served).map((s) => s.upstream))).toEqual(new Set([0, 1]));

    // One replica ran the turn, the other recognised the redelivery.
    const outcomes = async () => ({
      ok: await perReplica('devops_agent_turns_total', { surface: 'slack', outcome: 'ok' }),
      duplicate: await perReplica('devops_agent_turns_total', { surface: 'slack', outcome: 'duplicate' }),
    });
    const seen = await waitFor(
      async () => {
        const o = await outcomes();
        return o.ok.reduce((x, y) => x + y) + o.duplicate.reduce((x, y) => x + y) === 2 && o;
      },
      { what: 'both replicas to handle the delivery', timeoutMs: 20_000, detail: outcomes },
    );
    expect([...seen.ok].sort()).toEqual([0, 1]);
    expect(seen.ok.map((n, i) => n + seen.duplicate[i]!)).toEqual([1, 1]);

    const answersInThread = () =>
      fake.messages(OPS).filter((m) => m.user === fake.botUserId && m.threadTs === mention.ts);
    await waitFor(() => answersInThread().length > 0, { what: 'the answer in the thread', timeoutMs: 20_000 });
    const posts = fake.callsTo('chat.postMessage').filter((c) => c.args.thread_ts === mention.ts);
    expect(posts.filter((c) => !String(c.args.text).includes('Working on it'))).toHaveLength(1);
    expect(answersInThread()).toHaveLength(1);
    expect(answersInThread()[0]!.text).toContain('You are Alice');
  }, 60_000);

  test('an Approve click sent to each replica at once runs the change once', async () => {
    const id = changeIdOf(await turn(proxy, 'alice', 'stop web-prod-1'), 'stop web-prod-1');
    const target = instanceId('web-prod-1');
    // The same person's click, delivered to both replicas at the same moment (a double click, a retry).
    const results = await Promise.all([a(), b()].map((r) => click(r, 'bob', 'change.approve', id)));
    const texts = results.map((replies) => replies.map((r) => r.text).join(' | '));
    expect(cloudCalls('StopInstances', target)).toBe(1);
    expect((await changeRow(id))?.status).toBe('succeeded');
    expect(await auditTypes(id)).toEqual([
      'change.requested',
      'change.approved',
      'change.executing',
      'change.succeeded',
    ]);
    // The loser is told what happened instead of running it again.
    expect(texts.filter((t) => /already/i.test(t))).toHaveLength(1);
  }, 60_000);

  test('many changes approved concurrently across the replicas each run exactly once', async () => {
    const plan: Array<[action: 'stop' | 'reboot', name: string]> = [
      ['stop', 'web-prod-2'],
      ['reboot', 'api-prod-1'],
      ['stop', 'api-prod-2'],
      ['reboot', 'worker-prod-1'],
      ['reboot', 'db-prod-1'],
      ['stop', 'web-staging-1'],
      ['reboot', 'api-staging-1'],
      ['stop', 'db-staging-1'],
      ['reboot', 'web-prod-eu-1'],
    ];
    const ids: string[] = [];
    for (const [action, name] of plan)
      ids.push(changeIdOf(await turn(proxy, 'alice', `${action} ${name}`), `${action} ${name}`));

    const transition = { from: 'approved', to: 'executing' };
    const executedBefore = await total('devops_agent_change_transitions_total', transition);
    // Two approvers click every card at once, Bob on replica A and Carol on replica B.
    const clicks = ids.flatMap((id) => [
      click(a(), 'bob', 'change.approve', id),
      click(b(), 'carol', 'change.approve', id),
    ]);
    await Promise.all(clicks);

    const runs = plan.map(([action, name]) =>
      cloudCalls(action === 'stop' ? 'StopInstances' : 'RebootInstances', instanceId(name)),
    );
    expect(runs).toEqual(plan.map(() => 1));
    for (const id of ids) {
      expect((await changeRow(id))?.status).toBe('succeeded');
      const types = await auditTypes(id);
      expect(types.filter((t) => t === 'change.executing')).toHaveLength(1);
      expect(types.filter((t) => t === 'change.succeeded')).toHaveLength(1);
    }
    // Each replica counts the executions it ran: one per change in all.
    expect((await total('devops_agent_change_transitions_total', transition)) - executedBefore).toBe(ids.length);
  }, 120_000);

  test('Slack approvals from two approvers on two replicas at once run the change once', async () => {
    // By id: the name is also a security group's.
    const target = instanceId('bastion-prod');
    const mention = appMentionEvent({ user: ALICE, channel: OPS, text: `<@${fake.botUserId}> stop ${target}` });
    expect(
      (await postSigned(`${proxy.url}/slack/events`, signSlackRequest(SECRET, { json: eventCallback(mention) })))
        .status,
    ).toBe(200);
    const card = await waitFor(
      () =>
        fake
          .messages(APPROVALS)
          .find((m) => m.user === fake.botUserId && buttonsOf(m).some((x) => x.label === 'Approve')),
      { what: 'the approval card in the approvals channel', timeoutMs: 20_000 },
    );
    const approve = buttonsOf(card).find((x) => x.label === 'Approve');
    if (!approve) throw new Error(`no Approve button: ${JSON.stringify(buttonsOf(card))}`);
    const approvalsBefore = await total('devops_agent_tool_calls_total', { tool: 'approve_change' });
    const clickBy = (user: string, replica: AppProcess) =>
      postSigned(
        `${replica.url}/slack/events`,
        signSlackRequest(SECRET, {
          form: interactivityForm(
            blockActionsPayload({
              userId: user,
              channelId: card.channel,
              messageTs: card.ts,
              actionId: approve.actionId,
              value: approve.value,
              label: approve.label,
              responseUrl: fake.responseUrl({ channel: card.channel, ts: card.ts, user }),
            }),
          ),
        }),
      );
    const acks = await Promise.all([clickBy(BOB, a()), clickBy(CAROL, b())]);
    expect(acks.map((r) => r.status)).toEqual([200, 200]);
    // Clicks are handled after the ack: wait until both replicas have decided.
    await waitFor(
      async () => (await total('devops_agent_tool_calls_total', { tool: 'approve_change' })) - approvalsBefore === 2,
      { what: 'both clicks to be decided', timeoutMs: 20_000 },
    );
    expect(cloudCalls('StopInstances', target)).toBe(1);
    const { rows } = await store.pool.query<{ id: string; status: string }>(
      "SELECT id, status FROM change_requests WHERE resource_name = 'bastion-prod'",
    );
    expect(rows.map((r) => r.status)).toEqual(['succeeded']);
    expect((await auditTypes(rows[0]!.id)).filter((t) => t === 'change.executing')).toHaveLength(1);
  }, 60_000);

  test('every replica shows the same console history and the same audit head', async () => {
    const history = async (url: string) => {
      const r = await fetch(`${url}/console/api/messages?user=alice&channel=ops`);
      expect(r.status).toBe(200);
      return ((await r.json()) as { messages: unknown[] }).messages;
    };
    // Cards are updated in place in the background: wait until nothing differs, then compare once more through the proxy.
    const same = await waitFor(
      async () => {
        const [x, y] = await Promise.all([history(a().url), history(b().url)]);
        return x.length > 0 && isDeepStrictEqual(x, y) && x;
      },
      { what: 'both replicas to return the same console history', timeoutMs: 20_000 },
    );
    expect(same.length).toBeGreaterThan(20);
    expect(await history(proxy.url)).toEqual(same);

    const verify = async (url: string) => {
      const [reply] = await turn({ url }, 'carol', 'audit verify');
      const head = /Head: `(\d+:[0-9a-f]{64})`/.exec(reply?.text ?? '')?.[1];
      return { ok: /Audit log OK/.test(reply?.text ?? ''), head };
    };
    const [viaA, viaB] = [await verify(a().url), await verify(b().url)];
    const own = await verifyAudit(store.db);
    if (!own.ok || !own.head) throw new Error(`audit chain broken: ${JSON.stringify(own)}`);
    expect(viaA).toEqual({ ok: true, head: formatAuditAnchor(own.head) });
    expect(viaB).toEqual(viaA);
  }, 60_000);

  test('each scheduled job runs once per interval across the two replicas', async () => {
    const since = Math.max(...replicas.map((r) => r.logs.find((l) => l.msg === 'DevOps Agent is ready')!.time));
    const runsOf = (job: string, until: number) =>
      replicas
        .flatMap((r, replica) =>
          r.logs
            .filter((l: LogLine) => l.msg === 'job done' && l.job === job)
            .map((l) => ({ start: l.time - Number(l.ms), end: l.time, replica: 'AB'[replica] })),
        )
        .filter((r) => r.start >= since && r.end <= until)
        .sort((x, y) => x.start - y.start);
    // Long enough for two inventory passes after both replicas were up.
    await waitFor(() => runsOf('inventory.sync', Date.now()).length >= 2, {
      what: 'two scheduled inventory syncs',
      timeoutMs: 3 * SYNC_EVERY_MS + 10_000,
      intervalMs: 200,
    });
    const until = Date.now();
    const window = until - since;
    const report: Record<string, unknown> = {};
    for (const [job, every] of [
      ['inventory.sync', SYNC_EVERY_MS],
      ['changes.expire', EXPIRE_EVERY_MS],
      ['changes.recover', RECOVER_EVERY_MS],
    ] as const) {
      const runs = runsOf(job, until);
      const gaps = runs.slice(1).map((r, i) => r.start - runs[i]!.start);
      report[job] = { runs: runs.length, window, by: runs.map((r) => r.replica).join(''), gaps };
      // Agenda schedules the next occurrence an interval after the last one started, whichever
      // replica ran it: runs are an interval apart (give or take how long a handler waits to start
      // after Agenda stamps the run: 10 %), so a window of W holds at most W/interval + 1. A second
      // run of one occurrence would start within a poll of the first.
      expect({ job, closest: Math.min(...gaps) >= every / 2 }).toEqual({ job, closest: true });
      expect(runs.length).toBeLessThanOrEqual(Math.floor(window / (every * 0.9)) + 1);
      // And none is skipped: each occurrence is picked up within a poll (plus a second for a busy machine).
      expect(runs.length).toBeGreaterThanOrEqual(Math.floor(window / (every + POLL_MS + 1_000)) - 1);
    }
    process.stdout.write(`scheduled runs across both replicas: ${JSON.stringify(report)}\n`);
  }, 90_000);

  test('a replica killed mid-execution is recovered by the other through the lease; nothing runs twice', async () => {
    // The worst case: the victim is the replica holding the scheduler's lock on the recovery job.
    // Instances lock a due run ahead of time and the same one tends to win every time, so the one
    // that dies usually holds it.
    const recoveryLockHolder = async (): Promise<AppProcess | undefined> => {
      const { rows } = await store.pool.query<{ by: string }>(
        "SELECT last_modified_by AS by FROM agenda_jobs WHERE name = 'changes.recover' AND locked_at IS NOT NULL",
      );
      return replicas.find((r) => rows[0]?.by === `${os.hostname()}:${r.pid}`);
    };
    const victim = await waitFor(recoveryLockHolder, {
      what: 'a replica to lock changes.recover',
      timeoutMs: 20_000,
      intervalMs: 10,
    });
    const survivor = replicas.find((r) => r !== victim)!;
    const id = changeIdOf(await turn(proxy, 'alice', 'resize api-prod-eu-1 to c5.xlarge'), 'resize');
    const target = instanceId('api-prod-eu-1');
    // Approved on the victim: it executes the resize there (stop, then wait for `stopped`).
    const pending = click(victim, 'bob', 'change.approve', id).catch((e: unknown) => e);
    await waitFor(
      async () =>
        cloudCalls('StopInstances', target) === 1 && (await changeRow(id))?.executor?.includes(`:${victim.pid}:`),
      { what: 'the victim to be inside the resize', timeoutMs: 30_000, detail: diagnostics },
    );
    await waitFor(async () => (await recoveryLockHolder()) === victim, {
      what: 'the victim to hold the lock of changes.recover again',
      timeoutMs: 30_000,
      intervalMs: 10,
    });
    expect((await changeRow(id))?.status).toBe('executing');
    const killedAt = Date.now();
    killed.add(victim);
    expect(await victim.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    await pending;

    const row = await waitFor(async () => ((await changeRow(id))?.status === 'interrupted' ? changeRow(id) : false), {
      what: `the survivor to mark ${id} interrupted`,
      // A lapsed lease is seen within half a lease; the dead replica's job lock lapses within one.
      timeoutMs: 4 * LEASE_MS + 10_000,
      detail: async () => ({
        row: await changeRow(id),
        jobs: (await store.pool.query('SELECT name, locked_at, last_modified_by, next_run_at FROM agenda_jobs')).rows,
      }),
    });
    process.stdout.write(`recovered ${Date.now() - killedAt} ms after the kill (lease ${LEASE_MS} ms)\n`);
    expect(row?.reason).toBe('the service stopped while it was running');
    expect(await perReplica('devops_agent_change_transitions_total', { from: 'executing', to: 'interrupted' })).toEqual(
      [1],
    );

    // Never re-run: approving again is refused, and the cloud saw one stop and nothing after it.
    const again = await click(survivor, 'carol', 'change.approve', id);
    expect(again.map((r) => r.text).join(' ')).toMatch(/interrupted/);
    expect([
      cloudCalls('StopInstances', target),
      cloudCalls('ModifyInstanceAttribute', target),
      cloudCalls('StartInstances', target),
    ]).toEqual([1, 0, 0]);
    expect(await auditTypes(id)).toEqual([
      'change.requested',
      'change.approved',
      'change.executing',
      'change.interrupted',
    ]);
    expect(await verifyAudit(store.db)).toMatchObject({ ok: true });
  }, 120_000);
});
