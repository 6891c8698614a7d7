import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { ConversationRef } from '../../src/chat/actor.ts';
import type { Reply } from '../../src/chat/reply.ts';
import { resourceRepository } from '../../src/cloud/repository.ts';
import type { Resource } from '../../src/cloud/resource.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { buildDigests, parseDigestSettings, renderDigest } from '../../src/scans/digest.ts';
import { runScan } from '../../src/scans/engine.ts';
import { postDigests, runScheduledScan, type ScanJobDeps } from '../../src/scans/jobs.ts';
import { fail, pass, type Rule } from '../../src/scans/rule.ts';
import { sql } from '../../src/store/orm.ts';
import { createTestStore, testStoreTimeoutMs, type TestStore } from '../helpers/db.ts';
import { resourceOf } from '../helpers/scan-rule.ts';

// Digests over a real store: grouping by owner tag, routing, the change since the last scan,
// one message per owner.

let store: TestStore;
let clock: Date;
const ws = 'T1';

const open: Rule = {
  id: 'test.sg.open',
  title: 'Open to the world',
  category: 'security',
  provider: 'aws',
  types: ['security_group'],
  severity: 'critical',
  remediation: 'Close it.',
  fix: { action: 'revoke_ingress', title: 'Revoke' },
  evaluate: (r) => (r.attributes.open ? fail({ open: true }, 'open', { fixParams: { cidr: '0.0.0.0/0' } }) : pass({})),
};
const unattached: Rule = {
  id: 'test.volume.unattached',
  title: 'Unattached',
  category: 'cost',
  provider: 'aws',
  types: ['volume'],
  severity: 'medium',
  remediation: 'Delete it.',
  evaluate: (r) => (r.state === 'available' ? fail({}, 'unattached', { savingCents: r.monthlyCostCents }) : pass({})),
};
const gp2: Rule = {
  id: 'test.volume.gp2',
  title: 'gp2',
  category: 'cost',
  provider: 'aws',
  types: ['volume'],
  severity: 'low',
  remediation: 'gp3.',
  evaluate: (r) => (r.attributes.gp2 ? fail({}, 'gp2', { savingCents: 100 }) : pass({})),
};
const rules = [open, unattached, gp2];
const settings = parseDigestSettings({
  SCAN_OWNER_TAGS: 'owner, team',
  SCAN_DIGEST_ROUTES: 'data=slack:T1:CDATA,Alice@Example.com=slack:T1:UALICE,web=slack:T2:CWEB',
  SCAN_DIGEST_CONVERSATION: 'slack:T1:CSEC',
});

const put = (r: Partial<Resource> & { type: Resource['type'] }) =>
  resourceRepository(store.db).upsertOne(resourceOf({ seenAt: clock, ...r }));

beforeAll(async () => {
  store = await createTestStore();
}, testStoreTimeoutMs);
afterAll(async () => store.dispose());

beforeEach(async () => {
  clock = new Date('2026-12-01T07:00:00Z');
  await store.db.execute(sql`truncate resources, scans, scan_results, findings, finding_events, suppressions`);
  await put({ type: 'security_group', id: 'sg-1', tags: { team: 'data' }, attributes: { open: true } });
  await put({
    type: 'security_group',
    id: 'sg-2',
    tags: { owner: 'alice@example.com', team: 'data' },
    attributes: { open: true },
  });
  await put({
    type: 'volume',
    id: 'vol-1',
    state: 'available',
    monthlyCostCents: 1000,
    tags: { team: 'Data' },
    attributes: { gp2: true },
  });
  await put({ type: 'volume', id: 'vol-2', state: 'available', monthlyCostCents: 500 });
  await put({ type: 'security_group', id: 'sg-3', tags: { team: 'web' }, attributes: { open: true } });
});

const scan = () =>
  runScan(
    { db: store.db, rules, thresholds: new Map(), now: () => clock, runner: 'r' },
    { workspaceId: ws, category: 'all', startedBy: 'schedule' },
  );

describe('digests', () => {
  it('group open findings by the first owner tag, with counts, savings once per resource, and the change', async () => {
    const s = await scan();
    const digests = await buildDigests(store.db, ws, s.scanId, settings, rules);
    // Most severe first (data: a critical and more; alice: one critical), unowned last.
    expect(digests.map((d) => d.owner)).toEqual(['data', 'alice@example.com', 'web', 'unowned']);
    const data = digests.find((d) => d.owner === 'data')!;
    expect(data).toMatchObject({
      open: 3, // sg-1 critical, vol-1 unattached and gp2 (team tag value is read lower-cased)
      bySeverity: { critical: 1, high: 0, medium: 1, low: 1, info: 0 },
      newFindings: 3,
      resolvedFindings: 0,
      savingCents: 1000, // vol-1's larger saving only
      conversation: { surface: 'slack', workspaceId: 'T1', channelId: 'CDATA' },
    });
    expect(data.top.map((f) => [f.severity, f.ruleId, f.fixable])).toEqual([
      ['critical', 'test.sg.open', true],
      ['medium', 'test.volume.unattached', false],
      ['low', 'test.volume.gp2', false],
    ]);
    expect(digests.find((d) => d.owner === 'alice@example.com')!.conversation?.channelId).toBe('UALICE');
    expect(digests.find((d) => d.owner === 'unowned')!.conversation?.channelId).toBe('CSEC');
  });

  it('say what changed since the last scan, and render with Fix buttons and the change line', async () => {
    await scan();
    clock = new Date(clock.getTime() + 86_400_000);
    await put({ type: 'security_group', id: 'sg-1', tags: { team: 'data' }, attributes: { open: false } });
    await put({ type: 'volume', id: 'vol-3', state: 'available', monthlyCostCents: 240, tags: { team: 'data' } });
    const s = await scan();
    const data = (await buildDigests(store.db, ws, s.scanId, settings, rules)).find((d) => d.owner === 'data')!;
    expect(data).toMatchObject({ newFindings: 1, resolvedFindings: 1, open: 3, savingCents: 1240 });
    const r = renderDigest(data, { scanId: s.scanId, sandbox: false });
    expect(r.blocks[0]).toEqual({ type: 'header', text: 'Findings for data: 1 new, 1 resolved, $12.40/month open' });
    expect(r.text).toContain('3 open findings (2 medium, 1 low).');
    expect(r.blocks.find((b) => b.type === 'actions')).toBeUndefined(); // the fixable finding was resolved
    const alice = (await buildDigests(store.db, ws, s.scanId, settings, rules)).find(
      (d) => d.owner === 'alice@example.com',
    )!;
    const buttons = renderDigest(alice, { scanId: s.scanId, sandbox: false }).blocks.find((b) => b.type === 'actions');
    expect(buttons).toMatchObject({
      buttons: [{ actionId: 'command.run', label: expect.stringMatching(/^Fix F-[0-9a-f]{12}$/) }],
    });
    expect(JSON.parse((buttons as { buttons: Array<{ value: string }> }).buttons[0]!.value)).toEqual({
      tool: 'fix',
      input: { finding: alice.top[0]!.id },
    });
  });

  it('are posted one per owner, only to conversations of the scanned workspace', async () => {
    const posted: Array<{ to: ConversationRef; reply: Reply }> = [];
    const deps: ScanJobDeps = {
      db: store.db,
      rules,
      thresholds: new Map(),
      now: () => clock,
      runner: 'r',
      logger: createLogger('silent'),
      schedule: '0 7 * * *',
      timezone: 'UTC',
      digests: settings,
      post: async (to, reply) => {
        posted.push({ to, reply });
        return true;
      },
      sandbox: false,
    };
    const s = await runScheduledScan(deps, ws);
    expect(s?.newFindings).toBe(6);
    // alice, data and unowned in T1; web's route is in workspace T2, so it is not posted here.
    expect(posted.map((p) => p.to.channelId)).toEqual(['CDATA', 'UALICE', 'CSEC']);
    expect(posted.every((p) => p.reply.blocks.filter((b) => b.type === 'header').length === 1)).toBe(true);
    // A scheduled run while a scan is running skips (no second scan, nothing posted).
    await store.db.execute(sql`
      insert into scans (workspace_id, category, status, started_by, runner, heartbeat_at, started_at)
      values (${ws}, 'all', 'running', 'bob', 'other', ${clock}, ${clock})`);
    posted.length = 0;
    expect(await runScheduledScan(deps, ws)).toBeUndefined();
    expect(posted).toEqual([]);
    // Nothing open and nothing changed: no digest.
    await store.db.execute(sql`update findings set status = 'resolved'`);
    await store.db.execute(sql`delete from finding_events`);
    expect(await postDigests(deps, ws, s!.scanId)).toBe(0);
  });
});

describe('digest settings', () => {
  it('name a malformed route or conversation in one line', () => {
    expect(() => parseDigestSettings({ SCAN_DIGEST_ROUTES: 'data' })).toThrow(
      'SCAN_DIGEST_ROUTES: "data" is not <owner>=<surface>:<workspace>:<channel>',
    );
    expect(() => parseDigestSettings({ SCAN_DIGEST_CONVERSATION: 'irc:#ops' })).toThrow(
      'SCAN_DIGEST_CONVERSATION: "irc:#ops" is not <surface>:<workspace>:<channel> (surface slack, teams or console)',
    );
    expect(parseDigestSettings({}).ownerTags).toEqual(['owner', 'team']);
  });
});
