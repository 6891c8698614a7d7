import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { listAuditEvents } from '../../src/changes/audit.ts';
import { click, startTestApp, turn, type TestApp } from '../helpers/app.ts';

/**
 * Scans through the console over the real HTTP server, on the sandbox estate (four clouds): a
 * scan, its findings, savings, a framework's score, a suppression and its removal (audited),
 * and the mistakes people make on the way.
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
}, 60_000);
afterAll(async () => {
  await app?.stop();
});

type TableBlock = { type: 'table'; columns: string[]; rows: string[][] };
const table = (r: { blocks: Array<{ type: string }> } | undefined, i = 0) =>
  r?.blocks.filter((b) => b.type === 'table')[i] as unknown as TableBlock | undefined;

describe('scans in the console', () => {
  it('says no scan has run before the first one', async () => {
    const [r] = await turn(app, 'dave', 'findings');
    expect(r?.text).toBe('No scan has run in this workspace yet: `scan` runs one now.');
  });

  it('lets an operator scan, not a viewer', async () => {
    const [denied] = await turn(app, 'dave', 'scan');
    expect(denied?.text).toMatch(/operator/);
    const [r] = await turn(app, 'alice', 'scan now');
    expect(r?.sandbox).toBe(true);
    expect(r?.text).toMatch(
      /^Scan \d+ \(all\) of \d+ resources: (\d+) new, 0 resolved, \1 open findings, \$[\d,.]+\/month in savings open\./,
    );
    const top = table(r);
    expect(top?.columns).toEqual(['Finding', 'Severity', 'Rule', 'Resource', 'Detail', 'Saving']);
    expect(top?.rows[0]?.[1]).toBe('Critical');
    // The sandbox's NSG with an inbound Deny must not be reported as open to the world.
    const [sg] = await turn(app, 'dave', 'findings rule=az.nsg.admin_ports');
    expect(JSON.stringify(sg)).not.toContain('nsg-db-prod');
  });

  it('lists findings by filter and pages them', async () => {
    const [crit] = await turn(app, 'dave', 'findings critical security');
    const rows = table(crit)?.rows ?? [];
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r[1] === 'Critical')).toBe(true);
    const [all] = await turn(app, 'dave', 'findings');
    expect(all?.text).toMatch(/^\d+ open findings/);
    const [cost] = await turn(app, 'dave', 'findings cost aws');
    expect((table(cost)?.rows ?? []).every((r) => r[2]!.startsWith('cost.'))).toBe(true);
    const [none] = await turn(app, 'dave', 'findings resolved');
    expect(none?.text).toMatch(/^No resolved findings match/);
    // The sandbox tags some resources team=platform: an owner's list is what its digest points to.
    const [owned] = await turn(app, 'dave', 'findings owner=platform');
    expect(owned?.text).toMatch(/^\d+ open findings/);
    expect(table(owned)!.rows.length).toBeGreaterThan(0);
    const [all2] = await turn(app, 'dave', 'findings owner=nobody-at-all');
    expect(all2?.text).toMatch(/^No open findings match/);
    const [typo] = await turn(app, 'dave', 'findings critcal');
    expect(typo?.text).toContain('Did you mean `findings critical`?');
  });

  it('sums savings once per resource', async () => {
    const [r] = await turn(app, 'dave', 'savings');
    expect(r?.text).toMatch(/^\$[\d,.]+\/month in savings open across \d+ resources?:/);
    const lines = table(r)?.rows ?? [];
    expect(lines.length).toBeGreaterThan(0);
    const total = lines.reduce((s, l) => s + Math.round(Number(l[3]!.replace(/[$,]/g, '')) * 100), 0);
    expect(r?.text).toContain(`$${(total / 100).toLocaleString('en-US', { minimumFractionDigits: 2 })}/month`);
  });

  it('scores a framework per section with the failing requirements and their resources', async () => {
    const [r] = await turn(app, 'dave', 'compliance cis aws');
    expect(r?.blocks[0]).toMatchObject({
      type: 'header',
      text: expect.stringMatching(/^CIS Amazon Web Services Foundations Benchmark 5\.0\.0: \d+%$/),
    });
    expect(table(r)?.columns).toEqual(['Section', 'Score', 'Passing', 'Failing', 'Manual', 'Not checked']);
    expect(table(r, 1)?.rows.some((row) => /F-[0-9a-f]{12}/.test(row[1]!))).toBe(true);
    const [unknown] = await turn(app, 'dave', 'compliance nist');
    expect(unknown?.text).toMatch(/Unknown framework "nist"\..*Known frameworks: cis-aws/);
  });

  it('suppresses a finding with an owner, a reason and an expiry, audited, and removes it again', async () => {
    const [list] = await turn(app, 'dave', 'findings critical');
    const ref = table(list)!.rows[0]![0]!;
    const [noReason] = await turn(app, 'alice', `suppress ${ref} for 30d`);
    expect(noReason?.text).toBe('A suppression needs a reason (`because …`).');
    const [tooLong] = await turn(app, 'alice', `suppress ${ref} for 2y because known`);
    expect(tooLong?.text).toBe('A suppression may last at most 365 days (SCAN_SUPPRESSION_MAX_DAYS).');
    const [viewer] = await turn(app, 'dave', `suppress ${ref} for 30d because known`);
    expect(viewer?.text).toMatch(/operator/);
    const [ok] = await turn(
      app,
      'alice',
      `suppress ${ref.slice(0, 8)} for 30 days because it is the break-glass account`,
    );
    expect(ok?.text).toMatch(
      new RegExp(
        `^Suppressed finding ${ref} as S-(\\d+) until \\d{4}-\\d\\d-\\d\\d \\(owner Alice, because it is the break-glass account\\); it covers 1 open finding now\\.`,
      ),
    );
    const id = /S-(\d+)/.exec(ok!.text)![1];
    const [suppressed] = await turn(app, 'dave', 'findings suppressed');
    expect(table(suppressed)?.rows.map((r) => r[0])).toEqual([ref]);
    const [open] = await turn(app, 'dave', 'findings critical');
    expect(table(open)?.rows.map((r) => r[0])).not.toContain(ref);
    const [removed] = await turn(app, 'bob', `unsuppress S-${id}`);
    expect(removed?.text).toBe(`Removed suppression S-${id} (finding ${ref}): its findings count again.`);
    const [again] = await turn(app, 'bob', `unsuppress S-${id}`);
    expect(again?.text).toBe(`Suppression S-${id} was already removed by Bob.`);
    const events = await listAuditEvents(app.store.db, { limit: 10 });
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['finding.suppressed', 'finding.unsuppressed']));
    expect(events.find((e) => e.type === 'finding.suppressed')?.data).toMatchObject({
      owner: 'Alice',
      reason: 'it is the break-glass account',
      covers: `finding ${ref.slice(2)}`,
    });
  });

  it('fixes a finding through a change request that another person approves; the next scan resolves it', async () => {
    const [list] = await turn(app, 'dave', 'findings rule=cost.snapshot.old');
    const row = table(list)!.rows[0]!;
    const ref = row[0]!;
    const [viewer] = await turn(app, 'dave', `fix ${ref}`);
    expect(viewer?.text).toMatch(/operator/);
    const [card] = await turn(app, 'alice', `fix ${ref}`);
    expect(card?.changeId).toMatch(/^CR-\d+$/);
    expect(card?.text).toContain(`fixes ${ref}, cost.snapshot.old`);
    const deletes = () => app.sandbox!.requests.filter((r) => r.action === 'DeleteSnapshot').length;
    expect(deletes()).toBe(0);
    const [ack] = await click(app, 'bob', 'change.approve', card!.changeId!);
    expect(ack?.text).toMatch(/done/);
    expect(deletes()).toBe(1);
    const [scan] = await turn(app, 'alice', 'scan cost');
    expect(scan?.text).toMatch(/ [1-9]\d* resolved/);
    const [resolved] = await turn(app, 'dave', 'findings resolved');
    expect(table(resolved)?.rows.map((r) => r[0])).toContain(ref);
    const [again] = await turn(app, 'alice', `fix ${ref}`);
    expect(again?.text).toMatch(
      new RegExp(`^${ref} was resolved on \\d{4}-\\d\\d-\\d\\d: there is nothing to fix\\.$`),
    );
    const [manual] = await turn(app, 'dave', 'findings rule=aws.detect.enabled');
    const [noFix] = await turn(app, 'alice', `fix ${table(manual)!.rows[0]![0]}`);
    expect(noFix?.text).toMatch(/has no one-click fix: it needs a person to check it/);
  });

  it('reports what changed on the next scan', async () => {
    const [r] = await turn(app, 'alice', 'scan security');
    expect(r?.text).toMatch(/^Scan \d+ \(security\) of \d+ resources: 0 new, 0 resolved, \d+ open findings/);
  });
});
