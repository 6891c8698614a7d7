import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { click, startTestApp, turn, type ReplyLike, type TestApp } from '../helpers/app.ts';

/** The rule planner's commands against the synced sandbox inventory, over the console API. */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
}, 60_000);
afterAll(async () => {
  await app?.stop();
});

type Table = { columns: string[]; rows: string[][] };
const tableOf = (r: ReplyLike | undefined): Table => r?.blocks.find((b) => b.type === 'table') as unknown as Table;
const buttonsOf = (r: ReplyLike | undefined) =>
  r?.blocks.filter((b) => b.type === 'actions').flatMap((b) => b.buttons ?? []) ?? [];

describe('read commands', () => {
  it('lists with filters and pages with a Show more button that runs the next page', async () => {
    const [all] = await turn(app, 'dave', 'list resources');
    expect(all?.text).toMatch(/^Resources: (\d+)$/);
    const total = Number(/(\d+)$/.exec(all!.text)![1]);
    expect(total).toBeGreaterThanOrEqual(35);
    expect(tableOf(all).rows).toHaveLength(20);
    const more = buttonsOf(all).find((b) => b.label === 'Show more')!;
    const [page2] = await click(app, 'dave', more.actionId, more.value);
    expect(tableOf(page2).rows.length).toBe(Math.min(20, total - 20));
    expect(tableOf(page2).rows[0]).not.toEqual(tableOf(all).rows[0]);

    const [dev] = await turn(app, 'dave', 'list instances env=dev');
    expect(tableOf(dev).rows.every((r) => r[2] === 'dev')).toBe(true);
    const [vols] = await turn(app, 'dave', 'list volumes');
    expect(tableOf(vols).rows.some((r) => r[4]!.includes('unattached'))).toBe(true);
    const [azure] = await turn(app, 'dave', 'list instances in azure');
    expect(azure?.text).toMatch(/No instances in azure found/);
  });

  it('shows a resource with its change buttons, and explains ambiguous or unknown names', async () => {
    const [web] = await turn(app, 'dave', 'show web-dev-1');
    expect(web?.blocks[0]).toMatchObject({ type: 'header', text: 'web-dev-1 (instance)' });
    expect(buttonsOf(web).map((b) => b.label)).toEqual(['Stop', 'Reboot', 'Resize…']);
    expect(buttonsOf(web).find((b) => b.label === 'Resize…')?.value).toContain('resize_resource');

    const [twice] = await turn(app, 'dave', 'show bastion-prod');
    expect(twice?.text).toMatch(/matches 2 resources.*Say which one by id/);
    const [typo] = await turn(app, 'dave', 'show web-prdo-1');
    expect(typo?.text).toMatch(/can't find a resource called “web-prdo-1”.*Did you mean `web-prod-1`\?/);
  });

  it('adds up costs by environment', async () => {
    const [costs] = await turn(app, 'dave', 'costs by env');
    const rows = tableOf(costs).rows;
    expect(rows.map((r) => r[0]).sort()).toEqual(expect.arrayContaining(['dev', 'prod', 'staging']));
    const sum = rows.reduce((s, r) => s + Math.round(Number(r[2]!.replace(/[$,]/g, '')) * 100), 0);
    expect(costs?.blocks[0]?.text).toContain(`$${(sum / 100).toLocaleString('en-US', { minimumFractionDigits: 2 })}`);
  });

  it('charts costs by service as bars beside the same numbers in the table', async () => {
    const [costs] = await turn(app, 'dave', 'costs by service');
    const chart = costs?.blocks.find((b) => b.type === 'chart') as unknown as {
      kind: string;
      title: string;
      categories: string[];
      series: Array<{ name: string; values: number[] }>;
      unit: string;
    };
    expect(chart).toMatchObject({ kind: 'bar', title: 'Monthly cost by service', unit: 'USD/month' });
    const rows = tableOf(costs).rows;
    expect(rows.length).toBeGreaterThan(1);
    expect(chart.categories).toEqual(rows.map((r) => r[0]));
    expect(chart.series).toHaveLength(1);
    expect(chart.series[0]!.values).toEqual(rows.map((r) => Number(r[2]!.replace(/[$,]/g, ''))));
    // Biggest first, and the chart comes before the table it draws.
    expect([...chart.series[0]!.values].sort((a, b) => b - a)).toEqual(chart.series[0]!.values);
    expect(costs!.blocks.map((b) => b.type)).toEqual(['header', 'chart', 'table', 'context']);
  });

  it('whoami and grant: only admins change roles, and it is audited', async () => {
    const [me] = await turn(app, 'alice', 'whoami');
    expect(me?.text).toMatch(/Alice, operator/);
    const [denied] = await turn(app, 'alice', 'grant dave admin');
    expect(denied?.text).toMatch(/admin role/);
    const [ok] = await turn(app, 'carol', 'grant @dave operator');
    expect(ok?.text).toBe('@Dave is now operator (was viewer).');
    const [audit] = await turn(app, 'carol', 'audit');
    expect(tableOf(audit).rows.some((r) => r[2] === 'role.granted')).toBe(true);
    await turn(app, 'carol', 'grant dave viewer');
  });
});

describe('change commands', () => {
  it('refuses what makes no sense before filing anything', async () => {
    const before = (await app.changes.list({ limit: 200 })).length;
    const [stopped] = await turn(app, 'alice', 'stop worker-dev-1');
    expect(stopped?.text).toBe(
      'worker-dev-1 (' +
        app.sandbox!.fleet.instances.find((i) => i.tags.Name === 'worker-dev-1')!.id +
        ') is already stopped.',
    );
    const [size] = await turn(app, 'alice', 'resize web-staging-1 to t3.lrage');
    expect(size?.text).toMatch(/“t3.lrage” is not a size.*Did you mean `t3.large`\?/);
    const [sg] = await turn(app, 'alice', 'reboot dev-ssh-open');
    expect(sg?.text).toMatch(/security group; reboot applies to instances/);
    expect((await app.changes.list({ limit: 200 })).length).toBe(before);
  });

  it('a form value that is not valid comes back as a field error', async () => {
    const [show] = await turn(app, 'alice', 'show web-staging-1');
    const resize = buttonsOf(show).find((b) => b.label === 'Resize…')!;
    const [bad] = await click(app, 'alice', resize.actionId, resize.value, { size: 'huge.9000' });
    expect(bad?.fieldErrors?.size).toMatch(/not a size/);
    const [good] = await click(app, 'alice', resize.actionId, resize.value, { size: 't3.large' });
    expect(good?.changeId).toMatch(/^CR-/);
  });

  it('auto-approves a dev power action and runs it at once; the inventory follows before the answer', async () => {
    const syncs = app.sandbox!.requests.filter((r) => r.action === 'DescribeVolumes').length;
    const [card] = await turn(app, 'alice', 'stop api-dev-1');
    expect(card?.text).toMatch(/done/);
    expect(card?.text).toMatch(/auto-approved by policy rule "dev-power-actions"/);
    // No full sync ran (jobs are off here): the changed instance alone was described and stored.
    expect(app.sandbox!.requests.filter((r) => r.action === 'DescribeVolumes').length).toBe(syncs);
    const [show] = await turn(app, 'dave', 'show api-dev-1');
    expect(show?.blocks[1]).toMatchObject({ type: 'fields' });
    expect(JSON.stringify(show?.blocks[1])).toMatch(/"State","value":"(stopped|stopping)"/);
  });

  it('a chat user seen for the first time is a viewer (DEFAULT_ROLE) and cannot request changes', async () => {
    const stranger = { surface: 'slack' as const, workspaceId: 'T0NEW', userId: 'U0NEW', displayName: 'Newbie' };
    const conversation = { surface: 'slack' as const, workspaceId: 'T0NEW', channelId: 'C0NEW' };
    const [who] = await app.engine.handleTurn({ actor: stranger, conversation, text: 'whoami' });
    expect(who?.text).toMatch(/Newbie, viewer/);
    const [stop] = await app.engine.handleTurn({ actor: stranger, conversation, text: 'stop web-dev-1' });
    expect(stop?.text).toMatch(/You are a viewer/);
    expect(app.sandbox!.fleet.instances.find((i) => i.tags.Name === 'web-dev-1')!.state).toBe('running');
    // The audit listing shows this workspace's events only; the console's are not its business.
    const [theirs] = await app.engine.handleTurn({ actor: stranger, conversation, text: 'audit' });
    expect(tableOf(theirs).rows).toEqual([]);
    const [console] = await turn(app, 'carol', 'audit');
    expect(tableOf(console).rows.length).toBeGreaterThan(0);
    expect(tableOf(console).rows.every((r) => r[4] === 'system' || r[4]!.startsWith('console:console:'))).toBe(true);
  });
});
