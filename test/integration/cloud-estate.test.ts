import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, turn, type ReplyLike, type TestApp } from '../helpers/app.ts';

/**
 * The estate commands over the console API against the in-app sandbox: inventory summary and
 * status, baselines and drift, price compare, and a change whose target moved between the
 * request and its approval.
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
}, 60_000);
afterAll(async () => {
  await app?.stop();
});

type Table = { columns: string[]; rows: string[][] };
const tableOf = (r: ReplyLike | undefined, n = 0): Table =>
  r?.blocks.filter((b) => b.type === 'table')[n] as unknown as Table;
const changeIdOf = (r: ReplyLike | undefined): string => /CR-\d+/.exec(r?.text ?? '')![0];
const instance = (name: string) => app.sandbox!.fleet.instances.find((i) => i.tags.Name === name)!;

describe('inventory', () => {
  it('summarises counts and cost by provider, account, environment and service, adding up to the totals', async () => {
    const [summary] = await turn(app, 'dave', 'inventory');
    const total = Number(/^(\d+) resources/.exec(summary!.text)![1]);
    expect(total).toBeGreaterThan(30);
    for (let i = 0; i < 4; i++) {
      const rows = tableOf(summary, i).rows;
      expect(rows.reduce((n, r) => n + Number(r[1]), 0)).toBe(total);
    }
    expect(tableOf(summary, 0).rows.map((r) => r[0])).toContain('aws');
  });

  it('shows every source with its last success, count and duration', async () => {
    const [status] = await turn(app, 'dave', 'inventory status');
    expect(status?.text).toMatch(/^All \d+ sources syncing$/);
    const rows = tableOf(status).rows;
    expect(rows.length).toBe(app.providers.flatMap((p) => p.sources()).length);
    expect(rows.every((r) => /ago$/.test(r[1]!) && Number(r[2]) >= 0 && r[4] === '—')).toBe(true);
  });
});

describe('drift', () => {
  it('needs a baseline, which only an admin records; then reports state, size and tag changes, additions and removals', async () => {
    const [none] = await turn(app, 'dave', 'drift aws');
    expect(none?.text).toMatch(/No baseline is recorded for provider=aws.*baseline set provider=aws/);
    const [refused] = await turn(app, 'dave', 'baseline set aws');
    expect(refused?.text).toMatch(/admin/i);
    const [set] = await turn(app, 'carol', 'baseline set aws');
    expect(set?.text).toMatch(/^Baseline recorded for provider=aws: \d+ resources/);
    const [clean] = await turn(app, 'dave', 'drift aws');
    expect(clean?.text).toBe('No drift in provider=aws');

    instance('web-staging-1').state = 'stopped';
    instance('api-staging-1').tags.owner = 'team-x';
    instance('worker-prod-1').state = 'terminated';
    await app.syncNow();
    const [drift] = await turn(app, 'dave', 'drift aws');
    expect(drift?.text).toBe('Drift in provider=aws: 0 added, 1 removed, 2 changed');
    const text = JSON.stringify(drift?.blocks);
    expect(text).toContain('worker-prod-1 (instance, aws');
    expect(text).toMatch(/web-staging-1 \(instance[^)]*\): state running → stopped/);
    expect(text).toMatch(/api-staging-1 \(instance[^)]*\): tag owner (—|[^→]+) → team-x/);
    // Another scope has no baseline of its own.
    const [prod] = await turn(app, 'dave', 'drift aws env=prod');
    expect(prod?.text).toMatch(/No baseline is recorded for provider=aws env=prod/);
  });
});

describe('a change whose target moved after the request', () => {
  it('fails cleanly with the reason when the instance was stopped by someone else, and calls nothing', async () => {
    const [card] = await turn(app, 'alice', 'stop web-prod-1');
    const id = changeIdOf(card);
    expect(card?.text).toMatch(/waiting for approval/);
    const target = instance('web-prod-1');
    target.state = 'stopped';
    const before = app.sandbox!.requests.filter((r) => r.action === 'StopInstances').length;
    const [result] = await turn(app, 'carol', `approve ${id}`);
    expect(JSON.stringify(result)).toMatch(/web-prod-1 \([^)]+\) is already stopped; nothing was changed/);
    expect((await app.changes.get(id))?.status).toBe('failed');
    expect(app.sandbox!.requests.filter((r) => r.action === 'StopInstances').length).toBe(before);
  });

  it('fails cleanly when the instance no longer exists', async () => {
    const [card] = await turn(app, 'alice', 'reboot api-prod-1');
    const id = changeIdOf(card);
    instance('api-prod-1').state = 'terminated';
    const [result] = await turn(app, 'carol', `approve ${id}`);
    expect(JSON.stringify(result)).toMatch(/api-prod-1 \([^)]+\) no longer exists in [a-z0-9-]+; nothing was changed/);
    expect(app.sandbox!.requests.some((r) => r.action === 'RebootInstances')).toBe(false);
  });
});
