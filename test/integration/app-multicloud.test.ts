import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { resourceRepository } from '../../src/cloud/repository.ts';
import { startTestApp, turn, type ReplyLike, type TestApp } from '../helpers/app.ts';

/**
 * The app on all four emulated clouds (AWS, Azure, GCP, Kubernetes), through the console: every
 * source syncs, the same words list and act on any cloud, and each provider's actions go
 * request → approval → execution → rollback through the one change path.
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ SANDBOX_CLOUDS: 'aws,azure,gcp,kubernetes' });
}, 120_000);
afterAll(async () => {
  await app?.stop();
});

type Table = { columns: string[]; rows: string[][] };
const tableOf = (r: ReplyLike | undefined, n = 0): Table =>
  r?.blocks.filter((b) => b.type === 'table')[n] as unknown as Table;
const changeIdOf = (r: ReplyLike | undefined): string => {
  const m = /CR-\d+/.exec(r?.text ?? '');
  if (!m) throw new Error(`no change id in: ${r?.text}`);
  return m[0];
};
const fieldsOf = (r: ReplyLike | undefined): Record<string, string> =>
  Object.fromEntries(
    (
      (r?.blocks.find((b) => b.type === 'fields') as unknown as { fields: { label: string; value: string }[] })
        ?.fields ?? []
    ).map((f) => [f.label, f.value]),
  );

/** Requests, approves (when asked) and returns the change's final status. */
const run = async (text: string): Promise<{ id: string; status: string }> => {
  const [card] = await turn(app, 'alice', text);
  const id = changeIdOf(card);
  if ((await app.changes.get(id))?.status === 'pending') await turn(app, 'bob', `approve ${id}`);
  return { id, status: (await app.changes.get(id))!.status };
};

describe('four clouds', () => {
  it('syncs every source of every cloud and reports them in inventory status', async () => {
    const [status] = await turn(app, 'dave', 'inventory status');
    expect(status?.text).toMatch(/^All \d+ sources syncing$/);
    const labels = tableOf(status).rows.map((r) => r[0]!);
    for (const cloud of [/^AWS /, /azure|Azure/, /gcp|GCP|acme-prod/, /prod-eu/])
      expect(labels.some((l) => cloud.test(l))).toBe(true);
    const [summary] = await turn(app, 'dave', 'inventory');
    expect(
      tableOf(summary, 0)
        .rows.map((r) => r[0])
        .sort(),
    ).toEqual(['aws', 'azure', 'gcp', 'kubernetes']);
  });

  it('lists per cloud, and a name several clouds use asks which, qualified', async () => {
    for (const [text, pattern] of [
      ['list instances in azure', /^Instances in azure: \d+/],
      ['list instances in gcp', /^Instances in gcp: \d+/],
      ['list deployments in k8s', /^Deployments in kubernetes: \d+/],
      ['list nodes', /^Nodes: \d+/],
    ] as const) {
      const [r] = await turn(app, 'dave', text);
      expect(r?.text).toMatch(pattern);
    }
    const [ambiguous] = await turn(app, 'alice', 'stop web-prod-1');
    expect(ambiguous?.text).toMatch(
      /is the name of a resource in 3 clouds: `aws:web-prod-1`.*`azure:web-prod-1`.*`gcp:web-prod-1`/,
    );
    const [azure] = await turn(app, 'dave', 'show azure:web-prod-1');
    expect(fieldsOf(azure).Where).toMatch(/^azure · 11111111-/);
  });

  it('Azure: deallocate (stop) a dev VM, auto-approved, then roll it back', async () => {
    const stop = await run('stop azure:web-dev-1');
    expect(stop.status).toBe('succeeded');
    expect((await app.changes.get(stop.id))!.plan.action).toBe('deallocate');
    const [shown] = await turn(app, 'dave', 'show azure:web-dev-1');
    expect(fieldsOf(shown).State).toMatch(/deallocat/);
    const back = await run(`rollback ${stop.id}`);
    expect(back.status).toBe('succeeded');
    expect((await app.changes.get(back.id))!.plan).toMatchObject({ action: 'start', rollbackOf: stop.id });
  });

  it('GCP: stop a prod instance after approval, then roll it back', async () => {
    const stop = await run('stop gcp:web-prod-2');
    expect(stop.status).toBe('succeeded');
    const back = await run(`rollback ${stop.id}`);
    expect(back.status).toBe('succeeded');
    // Its boot disk has its name: `show` lists both by id.
    const [both] = await turn(app, 'dave', 'show gcp:web-prod-2');
    expect(both?.text).toMatch(
      /matches 2 resources: `zones\/us-central1-a\/disks\/web-prod-2`.*`zones\/us-central1-a\/instances\/web-prod-2`/,
    );
    const [shown] = await turn(app, 'dave', 'show zones/us-central1-a/instances/web-prod-2');
    expect(fieldsOf(shown).State).toMatch(/running|starting|pending/);
  });

  it('Kubernetes: scale a deployment and roll it back to its replica count; cordon a node and roll back', async () => {
    const repo = resourceRepository(app.store.db);
    const [before] = await repo.findByIdOrName('web/deployment/frontend');
    const replicas = (before!.attributes.replicas as { desired: number }).desired;
    const scale = await run('scale k8s:frontend to 5');
    expect(scale.status).toBe('succeeded');
    const back = await run(`rollback ${scale.id}`);
    expect(back.status).toBe('succeeded');
    expect((await app.changes.get(back.id))!.plan.params.replicas).toBe(String(replicas));
    const [after] = await repo.findByIdOrName('web/deployment/frontend');
    expect((after!.attributes.replicas as { desired: number }).desired).toBe(replicas);
    const cordon = await run('cordon k8s:prod-eu-node-2');
    expect(cordon.status).toBe('succeeded');
    const [node] = await turn(app, 'dave', 'show k8s:prod-eu-node-2');
    expect(fieldsOf(node).State).toBe('cordoned');
    const uncordon = await run(`rollback ${cordon.id}`);
    expect((await app.changes.get(uncordon.id))!.plan.action).toBe('uncordon');
    expect(uncordon.status).toBe('succeeded');
  });

  it('an action a type lacks is refused before anything is filed', async () => {
    const before = (await app.changes.list({ limit: 500 })).length;
    const [r] = await turn(app, 'alice', 'scale azure:web-prod-1 to 3');
    expect(r?.text).toMatch(
      /is an instance; “scale” is not something I can do to it. It can: start, deallocate, restart, resize/,
    );
    expect((await app.changes.list({ limit: 500 })).length).toBe(before);
  });

  it('compares the price of one shape on every cloud', async () => {
    const [r] = await turn(app, 'dave', 'price compare vm 2 cpu 8 gb');
    expect(
      tableOf(r)
        .rows.map((row) => row[0])
        .sort(),
    ).toEqual(['aws', 'azure', 'gcp']);
    expect(tableOf(r).rows.every((row) => row[2] === '2' && row[3] === '8')).toBe(true);
    const [disk] = await turn(app, 'dave', 'price compare disk 100 gb');
    expect(new Set(tableOf(disk).rows.map((row) => row[0]))).toEqual(new Set(['aws', 'gcp']));
  });
});
