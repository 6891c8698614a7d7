import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { verifyAudit } from '../../src/changes/audit.ts';
import { click, postJson, startTestApp, turn, type TestApp } from '../helpers/app.ts';

/**
 * The walking skeleton end to end over the real HTTP server: a console turn files a change
 * request, another user approves it, it runs once on the sandbox cloud, the audit chain verifies.
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
}, 60_000);
afterAll(async () => {
  await app?.stop();
});

const instanceNamed = (name: string) => app.sandbox!.fleet.instances.find((i) => i.tags.Name === name)!;
const stopCalls = (id: string) =>
  app.sandbox!.requests.filter((r) => r.action === 'StopInstances' && Object.values(r.params).includes(id));

const messages = async (user: string) => {
  const res = await fetch(`${app.url}/console/api/messages?user=${user}`);
  expect(res.status).toBe(200);
  return (
    (await res.json()) as {
      messages: Array<{
        id: number;
        author: string;
        text: string;
        reply: { changeId?: string; blocks: Array<{ type: string }> } | null;
      }>;
    }
  ).messages;
};

describe('console → change request → approval → execution → audit', () => {
  it('answers read questions from the synced sandbox inventory, marked as sandbox', async () => {
    const [list] = await turn(app, 'dave', 'list instances env=prod');
    expect(list?.sandbox).toBe(true);
    expect(list?.text).toMatch(/^Instances env=prod: \d+$/);
    const table = list?.blocks.find((b) => b.type === 'table') as unknown as { rows: string[][] };
    expect(table.rows.map((r) => r[0])).toContain('web-prod-1');
    expect(table.rows.every((r) => r[2] === 'prod')).toBe(true);
  });

  it('runs a prod change exactly once after another user approves it', async () => {
    const web = instanceNamed('web-prod-1');
    expect(web.state).toBe('running');

    const [card] = await turn(app, 'alice', 'stop web-prod-1');
    expect(card?.changeId).toMatch(/^CR-\d+$/);
    const id = card!.changeId!;
    expect(card?.text).toContain('waiting for approval');
    const buttons = card!.blocks.find((b) => b.type === 'actions')!.buttons!;
    expect(buttons.map((b) => b.actionId)).toEqual(['change.approve', 'change.reject']);
    expect(stopCalls(web.id)).toHaveLength(0);

    const [self] = await click(app, 'alice', 'change.approve', id);
    expect(self?.ephemeral).toBe(true);
    expect(self?.text).toMatch(/cannot approve it yourself/);
    expect(stopCalls(web.id)).toHaveLength(0);

    const [ack] = await click(app, 'bob', 'change.approve', id);
    expect(ack?.text).toMatch(new RegExp(`You approved ${id}\\. ${id} done`));
    expect(stopCalls(web.id)).toHaveLength(1);
    expect(['stopping', 'stopped']).toContain(instanceNamed('web-prod-1').state);

    const [again] = await click(app, 'carol', 'change.approve', id);
    expect(again?.text).toMatch(/already approved by Bob/);
    expect(stopCalls(web.id)).toHaveLength(1);

    // The requester's copy of the card was updated in place and the result posted in the channel.
    const log = await messages('alice');
    const cardMsg = log.find((m) => m.reply?.changeId === id)!;
    expect(cardMsg.text).toMatch(/done/);
    expect(cardMsg.reply!.blocks.some((b) => b.type === 'actions')).toBe(false);
    expect(
      log.some((m) => m.author === 'bot' && m.text.includes(`${id} done`) && m.text.includes(`rollback ${id}`)),
    ).toBe(true);
    // Bob's private confirmation is not shown to Alice.
    expect(log.some((m) => m.text.startsWith('You approved'))).toBe(false);

    const [verified] = await turn(app, 'carol', 'audit verify');
    expect(verified?.text).toMatch(/Audit log OK: \d+ events/);
    const v = await verifyAudit(app.store.db);
    expect(v.ok).toBe(true);
  });

  it('50 concurrent approve clicks execute a change once', async () => {
    const [card] = await turn(app, 'alice', 'reboot api-prod-1');
    const id = card!.changeId!;
    const target = instanceNamed('api-prod-1').id;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, n) => click(app, n % 2 ? 'bob' : 'carol', 'change.approve', id)),
    );
    const wins = results.flat().filter((r) => r.text.startsWith('You approved'));
    expect(wins).toHaveLength(1);
    expect(
      app.sandbox!.requests.filter((r) => r.action === 'RebootInstances' && Object.values(r.params).includes(target)),
    ).toHaveLength(1);
    const losers = results.flat().filter((r) => !r.text.startsWith('You approved'));
    expect(losers.every((r) => /already|is running now|about to run/.test(r.text))).toBe(true);
  });

  it('a viewer cannot request, and nothing is filed', async () => {
    const before = (await app.changes.list({ limit: 200 })).length;
    const [r] = await turn(app, 'dave', 'stop web-prod-2');
    expect(r?.text).toMatch(/viewer/);
    expect((await app.changes.list({ limit: 200 })).length).toBe(before);
  });

  it('an unknown command gets a suggestion, not a stack trace', async () => {
    const [r] = await turn(app, 'alice', 'lst instances');
    expect(r?.text).toBe("I didn't understand “lst instances”. Did you mean `list instances`?");
  });

  it('in sandbox mode every answer says so: help, whoami, errors and refusals too', async () => {
    for (const [user, text] of [
      ['alice', 'help'],
      ['dave', 'whoami'],
      ['alice', 'lst instances'],
      ['dave', 'stop web-prod-2'],
      ['alice', 'approve CR-999999'],
      ['bob', 'changes pending'],
    ] as const) {
      const replies = await turn(app, user, text);
      expect(replies.length).toBeGreaterThan(0);
      for (const r of replies) expect({ text, sandbox: r.sandbox }).toEqual({ text, sandbox: true });
    }
  });

  it('reject by command records the reason, updates the card and runs nothing', async () => {
    const [card] = await turn(app, 'alice', 'reboot db-prod-1');
    const id = card!.changeId!;
    const target = instanceNamed('db-prod-1').id;
    const [answer] = await turn(app, 'bob', `reject ${id} wait for the backup window`);
    expect(answer?.text).toMatch(new RegExp(`${id}.*rejected`, 'i'));
    const c = await app.changes.get(id);
    expect(c?.status).toBe('rejected');
    expect(c?.reason).toBe('wait for the backup window');
    const cardMsg = (await messages('alice')).find((m) => m.reply?.changeId === id && m.author === 'bot')!;
    expect(cardMsg.text).toMatch(/rejected/);
    expect(cardMsg.reply!.blocks.some((b) => b.type === 'actions')).toBe(false);
    const [late] = await click(app, 'carol', 'change.approve', id);
    expect(late?.text).toMatch(new RegExp(`${id} was rejected by Bob`));
    expect(
      app.sandbox!.requests.filter((r) => r.action === 'RebootInstances' && Object.values(r.params).includes(target)),
    ).toHaveLength(0);
  });

  it('stop without a resource asks which, with a search field the options API answers; the pick files the change', async () => {
    const [question] = await turn(app, 'alice', 'stop');
    expect(question?.text).toMatch(/Which instance should I stop\?/);
    const button = question!.blocks.find((b) => b.type === 'actions')!.buttons![0]! as {
      actionId: string;
      value: string;
      form?: { fields: Array<{ name: string; kind: string; source?: string }> };
    };
    const field = button.form!.fields[0]!;
    expect(field).toMatchObject({ name: 'resource', kind: 'search', source: 'resources?action=stop' });

    const options = async (query: string, source = field.source!) => {
      const res = await fetch(
        `${app.url}/console/api/options?${new URLSearchParams({ user: 'alice', source, query })}`,
      );
      return {
        status: res.status,
        body: (await res.json()) as { options?: Array<{ label: string; value: string }>; error?: string },
      };
    };
    const found = await options('worker-prod');
    expect(found.status).toBe(200);
    expect(found.body.options!.map((o) => o.value)).toEqual([instanceNamed('worker-prod-1').id]);
    expect(found.body.options![0]!.label).toBe(`worker-prod-1 · prod · running · ${instanceNamed('worker-prod-1').id}`);
    // Stopped instances are not offered for a stop.
    expect((await options('worker-staging')).body.options).toEqual([]);
    expect(await options('x', 'nope')).toEqual({
      status: 400,
      body: { error: 'There is no option source called nope.' },
    });
    expect((await options('x', 'resources?action=explode')).status).toBe(400);

    const [card] = await click(app, 'alice', button.actionId, button.value, {
      resource: instanceNamed('worker-prod-1').id,
    });
    expect(card?.changeId).toMatch(/^CR-\d+$/);
    expect(card?.text).toContain('worker-prod-1');
    expect((await app.changes.get(card!.changeId!))?.plan.action).toBe('stop');
  });

  it('malformed bodies get a 400 with the reason', async () => {
    const bad = await postJson(app, '/console/api/turn', '{"user": "alice", "text": ');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/JSON/i);
    const missing = await postJson(app, '/console/api/turn', { user: 'alice' });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatch(/text/);
    const stranger = await postJson(app, '/console/api/turn', { user: 'mallory', text: 'help' });
    expect(stranger.status).toBe(400);
    expect(stranger.body.error).toMatch(/unknown console user/);
  });

  it('rollback files a new change request with the inverse action', async () => {
    const done = (await app.changes.list({ status: 'succeeded', limit: 50 })).find((c) => c.plan.action === 'stop')!;
    const [card] = await turn(app, 'alice', `rollback ${done.id}`);
    expect(card?.changeId).not.toBe(done.id);
    const rb = await app.changes.get(card!.changeId!);
    expect(rb?.plan.action).toBe('start');
    expect(rb?.plan.rollbackOf).toBe(done.id);
    expect(rb?.status).toBe('pending');
  });

  it('ten people asking to roll back the same change at once file one rollback', async () => {
    const [card] = await turn(app, 'alice', 'stop web-staging-1');
    const id = card!.changeId!;
    await click(app, 'bob', 'change.approve', id);
    expect((await app.changes.get(id))?.status).toBe('succeeded');
    const answers = (await Promise.all(Array.from({ length: 10 }, () => turn(app, 'alice', `rollback ${id}`)))).flat();
    const filed = await app.changes.list({ rollbackOf: id, limit: 50 });
    expect(filed).toHaveLength(1);
    expect(answers.filter((r) => r.changeId === filed[0]!.id)).toHaveLength(1);
    expect(answers.filter((r) => !r.changeId).every((r) => /rollback of .* is already under way/i.test(r.text))).toBe(
      true,
    );
  });

  it('exposes metrics for turns, tool calls, change transitions and HTTP latency', async () => {
    const text = await (await fetch(`${app.url}/metrics`)).text();
    expect(text).toMatch(/devops_agent_turns_total\{surface="console",outcome="ok"\} [1-9]/);
    expect(text).toMatch(/devops_agent_tool_calls_total\{tool="list_resources",outcome="ok"\} [1-9]/);
    expect(text).toMatch(/devops_agent_change_transitions_total\{from="executing",to="succeeded"\} [1-9]/);
    expect(text).toMatch(
      /devops_agent_http_request_duration_seconds_count\{method="POST",route="\/console\/api\/turn",status="200"\} [1-9]/,
    );
    expect(text).toMatch(/devops_agent_cloud_calls_total\{provider="aws"/);
    expect(text).toContain('devops_agent_job_runs_total');
  });

  // Last: it breaks the chain of this file's database.
  it('audit verify in chat names the first broken event after a row is edited in SQL', async () => {
    const { rows } = await app.store.pool.query<{ seq: string }>(
      "SELECT seq FROM audit_events WHERE type = 'change.approved' ORDER BY seq LIMIT 1",
    );
    const seq = rows[0]!.seq;
    await app.store.pool.query(`UPDATE audit_events SET data = jsonb_set(data, '{edited}', 'true') WHERE seq = $1`, [
      seq,
    ]);
    const [r] = await turn(app, 'carol', 'audit verify');
    expect(r?.text).toContain(`BROKEN at event #${seq}:`);
    expect(r?.text).toMatch(/modified/);
    expect(r?.text).not.toMatch(/log OK/);
  });
});
