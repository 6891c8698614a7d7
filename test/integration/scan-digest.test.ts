import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { ConversationRef } from '../../src/chat/actor.ts';
import type { Reply } from '../../src/chat/reply.ts';
import type { ChatFile, PostedMessage } from '../../src/chat/surface.ts';
import { loadConfig } from '../../src/config.ts';
import { resourceRepository } from '../../src/cloud/repository.ts';
import type { Resource } from '../../src/cloud/resource.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { buildDigests, parseDigestSettings, renderDigest } from '../../src/scans/digest.ts';
import { digestReportFiles, parseDigestReports } from '../../src/scans/digest-reports.ts';
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

/** The scan job's dependencies over the test store; digests posted nowhere unless `post` is given. */
const jobDeps = (over: Partial<ScanJobDeps> = {}): ScanJobDeps => ({
  db: store.db,
  rules,
  thresholds: new Map(),
  now: () => clock,
  runner: 'r',
  logger: createLogger('silent'),
  schedule: '0 7 * * *',
  timezone: 'UTC',
  digests: settings,
  post: async (to) => ({ surface: to.surface, conversation: to, messageId: `ts-${to.channelId}` }),
  sandbox: false,
  ...over,
});

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
    const deps = jobDeps({
      post: async (to, reply) => {
        posted.push({ to, reply });
        return { surface: to.surface, conversation: to, messageId: `m${posted.length}` };
      },
    });
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
    // (The findings made by an earlier scan, none by this one.)
    await store.db.execute(sql`update findings set status = 'resolved', first_scan_id = 0`);
    await store.db.execute(sql`delete from finding_events`);
    expect(await postDigests(deps, ws, s!.scanId)).toBe(0);
  });
});

describe('digest reports', () => {
  const deps = jobDeps;
  const reportDeps = { rules, frameworks: [], now: () => clock, ownerTags: settings.ownerTags };

  it("are each owner's own findings, attached to that owner's digest", async () => {
    const attached: Array<{ digest: PostedMessage; files: readonly ChatFile[] }> = [];
    const s = await runScheduledScan(
      deps({
        reports: {
          files: (w, owner) =>
            digestReportFiles({ ...reportDeps, db: store.db }, w, owner, [{ kind: 'csv' }, { kind: 'ocsf' }]),
          attach: async (digest, files) => {
            attached.push({ digest, files });
            return true;
          },
        },
      }),
      ws,
    );
    expect(s?.newFindings).toBe(6);
    expect(attached.map((a) => a.digest.messageId)).toEqual(['ts-CDATA', 'ts-UALICE', 'ts-CSEC']);
    const data = attached[0]!.files;
    expect(data.map((f) => [f.name, f.mimeType, f.consolePath])).toEqual([
      ['findings-data-2026-12-01.csv', 'text/csv', '/console/api/reports/findings.csv?owner=data'],
      ['findings-data-2026-12-01.ocsf.json', 'application/json', '/console/api/reports/findings.ocsf.json?owner=data'],
    ]);
    // The data team's CSV holds its three findings (sg-1, vol-1 twice), not alice's nor the unowned one.
    const csv = new TextDecoder().decode(data[0]!.bytes).trim().split('\n');
    expect(csv).toHaveLength(4);
    expect(csv.slice(1).every((l) => /sg-1|vol-1/.test(l))).toBe(true);
    expect(JSON.parse(new TextDecoder().decode(data[1]!.bytes))).toHaveLength(3);
    expect(attached[1]!.files[0]!.name).toBe('findings-alice-example.com-2026-12-01.csv');
    expect(new TextDecoder().decode(attached[2]!.files[0]!.bytes)).toContain('vol-2');
  });

  it('that cannot be attached leave the digests posted', async () => {
    const posted: string[] = [];
    const n = await postDigests(
      deps({
        post: async (to) => {
          posted.push(to.channelId);
          return { surface: to.surface, conversation: to, messageId: `ts-${posted.length}` };
        },
        reports: {
          files: async () => [{ name: 'x.csv', title: 'x', mimeType: 'text/csv', bytes: new Uint8Array([1]) }],
          attach: async () => {
            throw new Error('files:write is missing');
          },
        },
      }),
      ws,
      (await scan()).scanId,
    );
    expect(n).toBe(3);
    expect(posted).toEqual(['CDATA', 'UALICE', 'CSEC']);
  });
});

describe('digest settings', () => {
  it('SCAN_DIGEST_REPORTS: csv by default, none, and one line naming a bad entry', () => {
    const frameworks = [{ id: 'cis-aws' }, { id: 'soc2' }];
    expect(parseDigestReports(undefined, frameworks)).toEqual([{ kind: 'csv' }]);
    expect(parseDigestReports('none', frameworks)).toEqual([]);
    expect(parseDigestReports(' CSV, ocsf ,html:cis-aws,csv', frameworks)).toEqual([
      { kind: 'csv' },
      { kind: 'ocsf' },
      { kind: 'html', framework: 'cis-aws' },
    ]);
    expect(() => parseDigestReports('csv,pdf', frameworks)).toThrow(
      'SCAN_DIGEST_REPORTS: "pdf" is not csv, ocsf, html:<framework> or none',
    );
    expect(() => parseDigestReports('html:cis-gcp', frameworks)).toThrow(
      'SCAN_DIGEST_REPORTS: "html:cis-gcp" names no framework: html:<framework> takes one of cis-aws, soc2',
    );
    expect(() => parseDigestReports('none,csv', frameworks)).toThrow(/none turns them all off/);
    // At start-up: one line of the configuration error, and the app does not start.
    expect(() => loadConfig({ SCAN_DIGEST_REPORTS: 'html:nist' })).toThrow(
      /^invalid configuration:\n {2}SCAN_DIGEST_REPORTS: "html:nist" names no framework: html:<framework> takes one of cis-aws, /,
    );
    expect(loadConfig({}).scanDigestReports).toEqual([{ kind: 'csv' }]);
  });

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
