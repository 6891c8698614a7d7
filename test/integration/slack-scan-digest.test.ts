import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { startApp, type App } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { scanRunJob } from '../../src/scans/jobs.ts';
import { findingsCsv } from '../../src/scans/reports.ts';
import { listFindings } from '../../src/scans/repository.ts';
import { builtInRules } from '../../src/scans/rules/index.ts';
import { startSlackFake, type SlackFake } from '../fakes/slack-api.ts';
import { createTestStore, testStoreTimeoutMs, type TestStore } from '../helpers/db.ts';
import { waitFor } from '../helpers/wait-for.ts';

/**
 * A scheduled scan end to end on the wire: the Agenda job scans the Slack workspace's estate (the
 * sandbox) and posts one digest per owner through the Slack surface, as Block Kit the Web API
 * fake validates, into the conversations SCAN_DIGEST_ROUTES and SCAN_DIGEST_CONVERSATION name;
 * then uploads the reports SCAN_DIGEST_REPORTS names into each digest's thread (Slack's upload
 * flow: files.getUploadURLExternal, the bytes to the upload URL, files.completeUploadExternal).
 */
const TEAM = 'T0FAKE0001';
const SEC = 'C0SEC00001';
const PLATFORM = 'C0PLAT0001';

let fake: SlackFake;
let store: TestStore;
let app: App;

beforeAll(async () => {
  store = await createTestStore();
  fake = await startSlackFake({
    teamId: TEAM,
    channels: [
      { id: SEC, name: 'security' },
      { id: PLATFORM, name: 'platform' },
    ],
  });
  const config = loadConfig({
    PORT: '0',
    LOG_LEVEL: 'silent',
    SANDBOX: 'on',
    SLACK_BOT_TOKEN: 'xoxb-test-token',
    SLACK_SIGNING_SECRET: 'digest-signing-secret-0123456789',
    SLACK_API_URL: fake.url,
    SCAN_DIGEST_ROUTES: `platform=slack:${TEAM}:${PLATFORM}`,
    SCAN_DIGEST_CONVERSATION: `slack:${TEAM}:${SEC}`,
    SCAN_DIGEST_REPORTS: 'csv,html:cis-aws',
  });
  app = await startApp(config, {
    logger: createLogger('silent'),
    store,
    // The job scans, posts and uploads for a few seconds: a shorter lock would let Agenda run it
    // again alongside (a lock older than its lifetime counts as a dead instance's).
    lockLifetimeMs: 60_000,
    slack: { retryConfig: { retries: 0 } },
  });
}, testStoreTimeoutMs);
afterAll(async () => {
  await app?.close();
  await store?.dispose();
  await fake?.stop();
});

it('posts one digest per owner to its conversation, with the change since the last scan and Fix buttons', async () => {
  await app.scheduler.now(scanRunJob, { workspaceId: TEAM });
  // Digests are posted most severe owner first and `unowned` last: its digest means all were posted.
  const digests = await waitFor(
    () => fake.messages(SEC).some((m) => m.text.startsWith('Findings without an owner tag:')) && fake.messages(SEC),
    {
      what: 'the scheduled scan to post its last digest',
      timeoutMs: 30_000,
      detail: () => fake.calls.map((c) => c.method),
    },
  );
  // Each message is one owner's digest: a header with the change, never one message per finding.
  const headers = [...fake.messages(SEC), ...fake.messages(PLATFORM)].map(
    (m) => (m.blocks?.find((b) => (b as { type: string }).type === 'header') as { text: { text: string } }).text.text,
  );
  expect(headers.length).toBe(new Set(headers.map((h) => h.split(':')[0])).size);
  expect(
    headers.every((h) =>
      /^Findings (for \S+|without an owner tag): \d+ new, 0 resolved, \$[\d,.]+\/month open$/.test(h),
    ),
  ).toBe(true);
  // The sandbox tags some resources team=platform: their digest went to #platform, the rest to #security.
  expect(fake.messages(PLATFORM).map((m) => m.text)).toEqual([expect.stringMatching(/^Findings for platform: /)]);
  expect(headers).toEqual(expect.arrayContaining([expect.stringMatching(/^Findings for data: /)]));
  const buttons = digests.flatMap((m) =>
    (m.blocks ?? [])
      .filter((b) => (b as { type: string }).type === 'actions')
      .flatMap((b) => (b as { elements: Array<{ text: { text: string } }> }).elements.map((e) => e.text.text)),
  );
  expect(buttons.length).toBeGreaterThan(0);
  expect(
    buttons.every(
      (t) =>
        /^Fix F-[0-9a-f]{12}$/.test(t) || /^Schedule off-hours for \d+ instances? \(saves \$[\d,.]+\/month\)$/.test(t),
    ),
  ).toBe(true);
  // The sandbox's running dev and staging instances: one off-hours button per owner that has them.
  expect(buttons.some((t) => t.startsWith('Schedule off-hours for '))).toBe(true);
}, 60_000);

it("uploads the owner's findings CSV and the compliance report into each digest's thread", async () => {
  // The previous test ran the scan; its uploads follow each digest.
  const digest = fake.messages(PLATFORM)[0]!;
  const files = await waitFor(() => fake.files(PLATFORM).length >= 2 && fake.files(PLATFORM), {
    what: "the platform digest's reports",
    timeoutMs: 30_000,
    detail: () => fake.calls.map((c) => c.method),
  });
  expect(files.map((f) => [f.name, f.threadTs])).toEqual([
    [expect.stringMatching(/^findings-platform-\d{4}-\d{2}-\d{2}\.csv$/), digest.ts],
    [expect.stringMatching(/^compliance-cis-aws-\d{4}-\d{2}-\d{2}\.html$/), digest.ts],
  ]);
  expect(files[0]!.title).toBe('Open findings of platform (CSV)');
  // The bytes are the platform team's open findings as the CSV report writes them, and only theirs.
  const { findings } = await listFindings(
    app.store.db,
    TEAM,
    { owner: 'platform', ownerTags: app.config.scanDigests.ownerTags },
    { limit: 1000, offset: 0 },
  );
  expect(findings.length).toBeGreaterThan(0);
  expect(files[0]!.bytes!.toString('utf8')).toBe(findingsCsv(findings, { rules: builtInRules }));
  expect(files[1]!.bytes!.toString('utf8')).toMatch(/^<!doctype html>[\s\S]*CIS Amazon Web Services/);
  // Every digest in #security got its own CSV in its own thread, none went to the channel itself.
  await waitFor(() => fake.files(SEC).length === fake.messages(SEC).length * 2, {
    what: 'the reports of every digest in #security',
    timeoutMs: 30_000,
  });
  const roots = new Set(fake.messages(SEC).map((m) => m.ts));
  expect(fake.files(SEC).every((f) => f.threadTs !== undefined && roots.has(f.threadTs))).toBe(true);
  expect(fake.callsTo('files.completeUploadExternal').every((c) => c.response.ok === true)).toBe(true);
}, 60_000);

it('keeps the digest when Slack refuses the upload', async () => {
  const before = fake.messages(SEC).length;
  fake.failNext('files.getUploadURLExternal', { error: 'missing_scope' });
  fake.failNext('files.getUploadURLExternal', { error: 'missing_scope' });
  const uploads = fake.callsTo('files.completeUploadExternal').length;
  await app.scheduler.now(scanRunJob, { workspaceId: TEAM });
  await waitFor(() => fake.messages(SEC).length >= before * 2 && fake.messages(PLATFORM).length === 2, {
    what: 'the second run to post its digests',
    timeoutMs: 30_000,
  });
  // One filesUploadV2 per digest, one after the other: all but the refused one complete.
  const digests = before + 1;
  await waitFor(() => fake.callsTo('files.completeUploadExternal').length === uploads + digests - 1, {
    what: 'the uploads that were not refused',
    timeoutMs: 30_000,
  });
  // Two refused getUploadURLExternal calls: one digest (the first posted) lost its files, not its message.
  expect(fake.callsTo('files.getUploadURLExternal').filter((c) => c.response.ok === false)).toHaveLength(2);
  expect(fake.messages(PLATFORM)).toHaveLength(2);
}, 60_000);
