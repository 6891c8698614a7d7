import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { scanRunJob } from '../../src/scans/jobs.ts';
import { findingsCsv } from '../../src/scans/reports.ts';
import { listFindings } from '../../src/scans/repository.ts';
import { builtInRules } from '../../src/scans/rules/index.ts';
import { startBotConnectorFake, type BotConnectorFake, type FakeActivity } from '../fakes/bot-connector/index.ts';
import { startGraphFake, type GraphFake } from '../fakes/graph/index.ts';
import {
  ALICE,
  BOT,
  DAVE,
  DAVE_CHAT,
  TENANT,
  startTeamsHarness,
  type TeamsHarness,
} from '../fixtures/teams-harness.ts';
import { waitFor } from '../helpers/wait-for.ts';

/**
 * Scan digest reports on Microsoft Teams, on the wire: the scheduled scan posts its digests
 * through the Bot Connector fake, uploads each digest's reports to the channel's Files through
 * the Microsoft Graph fake (filesFolder, then a PUT of the bytes, with the bot's app-only Graph
 * token), and replies in the digest's thread with links to the uploaded files. In a personal chat
 * (no Files folder) and when Graph refuses, the thread says what was not attached and how to get it.
 */
const FINOPS = '19:finops-digests@thread.tacv2';
const TEAM_THREAD = '19:ops-team@thread.tacv2';
const GROUP = '0e9c4a1b-5d2f-4c8e-9a7b-3f6d2e1c0b9a';
let connector: BotConnectorFake;
let graph: GraphFake;
let h: TeamsHarness;

const text = (a: FakeActivity): string => JSON.stringify(a.activity);
const thread = (root: FakeActivity) => connector.messages(`${root.conversationId};messageid=${root.id}`);

beforeAll(async () => {
  connector = await startBotConnectorFake({
    members: { [ALICE.id]: { id: ALICE.id, name: ALICE.name, aadObjectId: ALICE.aadObjectId } },
    teams: { [TEAM_THREAD]: { name: 'Ops', aadGroupId: GROUP } },
  });
  graph = await startGraphFake({
    token: 'graph-token',
    channels: [{ groupId: GROUP, channelId: FINOPS, name: 'FinOps digests' }],
  });
  const graphOrigin = new URL(graph.url).origin;
  h = await startTeamsHarness({
    appId: true,
    fake: connector,
    env: {
      TEAMS_GRAPH_URL: graph.url,
      SCAN_DIGEST_CONVERSATION: `teams:${TENANT}:${FINOPS}`,
      SCAN_DIGEST_ROUTES: `platform=teams:${TENANT}:${DAVE_CHAT}`,
      SCAN_DIGEST_REPORTS: 'csv,html:cis-aws',
    },
    opts: {
      jobs: true,
      // The scan job runs a few seconds (scan, posts, uploads): a 2 s lock would let Agenda start it again.
      lockLifetimeMs: 60_000,
      teams: {
        workingAfterMs: 60_000,
        typingEveryMs: 60_000,
        invokeBudgetMs: 5_000,
        retries: 2,
        backoffMs: 10,
        // The SDK asks its token provider per resource: the Bot Connector's, then Graph's.
        accessToken: async (scope) => (scope === graphOrigin ? 'graph-token' : 'outbound-token'),
      },
    },
  });
  // The bot is added to the team's channel (the team named by its thread id only: the surface
  // asks the Bot Connector for its group id), and Dave has a personal chat with it.
  await h.send({
    type: 'conversationUpdate',
    channelId: 'msteams',
    serviceUrl: connector.url,
    from: DAVE,
    recipient: BOT,
    conversation: { id: FINOPS, conversationType: 'channel', tenantId: TENANT },
    channelData: { tenant: { id: TENANT }, team: { id: TEAM_THREAD } },
    membersAdded: [{ id: BOT.id }],
  });
  await h.send({
    type: 'conversationUpdate',
    channelId: 'msteams',
    serviceUrl: connector.url,
    from: DAVE,
    recipient: BOT,
    conversation: { id: DAVE_CHAT, conversationType: 'personal', tenantId: TENANT },
    channelData: { tenant: { id: TENANT } },
    membersAdded: [{ id: BOT.id }],
  });
}, 60_000);
afterAll(async () => {
  await h?.stop();
  await connector?.stop();
  await graph?.stop();
});

it("uploads each channel digest's reports to the channel's Files and links them in the digest's thread", async () => {
  await h.app.scheduler.now(scanRunJob, { workspaceId: TENANT });
  // The unowned digest is posted last: once its thread has the links, every digest is done.
  const last = await waitFor(
    () => connector.messages(FINOPS).find((a) => text(a).includes('Findings without an owner tag')),
    { what: 'the last digest', timeoutMs: 40_000 },
  );
  const links = await waitFor(() => thread(last).find((a) => text(a).includes('Reports of this digest')), {
    what: "the links in the last digest's thread",
    timeoutMs: 20_000,
  });
  const csv = graph.files(FINOPS).find((f) => /^findings-unowned-\d{4}-\d{2}-\d{2}\.csv$/.test(f.name))!;
  expect(csv).toBeDefined();
  expect(csv.mimeType).toBe('text/csv');
  const { findings } = await listFindings(
    h.app.store.db,
    TENANT,
    { owner: 'unowned', ownerTags: h.app.config.scanDigests.ownerTags },
    { limit: 1000, offset: 0 },
  );
  expect(csv.bytes.toString('utf8')).toBe(findingsCsv(findings, { rules: builtInRules }));
  const html = graph.files(FINOPS).find((f) => f.name.startsWith('compliance-cis-aws-'))!;
  expect(html.bytes.toString('utf8')).toMatch(/^<!doctype html>/);
  // The reply links the driveItems Graph returned, in the thread, not as a new channel post.
  expect(text(links)).toContain(csv.webUrl);
  expect(text(links)).toContain(html.webUrl);
  expect(links.conversationId).toBe(`${FINOPS};messageid=${last.id}`);
  // Every channel digest got its own thread reply; the Graph calls carried the app-only Graph token.
  const digests = connector.messages(FINOPS).filter((a) => /Findings (for|without)/.test(text(a)));
  expect(digests.every((d) => thread(d).some((a) => text(a).includes('Reports of this digest')))).toBe(true);
  expect(graph.calls.every((c) => c.authorization === 'Bearer graph-token' && c.status < 300)).toBe(true);
  // The group id came from the Bot Connector's team details.
  expect(connector.calls.some((c) => c.path === `/v3/teams/${encodeURIComponent(TEAM_THREAD)}`)).toBe(true);

  // Platform's digest went to Dave's personal chat: no Files there, the chat says so instead.
  const chat = connector.messages(DAVE_CHAT).map(text);
  const at = chat.findIndex((t) => t.includes('Findings for platform'));
  expect(at).toBeGreaterThanOrEqual(0);
  expect(chat[at + 1]).toContain('not attached: Teams lets a bot share files only in a channel');
  expect(chat[at + 1]).toContain('Open findings of platform (CSV)');
}, 90_000);

it('says in the thread that Graph refused the upload, and keeps the digest', async () => {
  graph.failNext(403, 'accessDenied');
  const root = connector.messages(FINOPS)[0]!;
  await h.app.teams!.surface.attach!({ surface: 'teams', workspaceId: TENANT, channelId: FINOPS, threadId: root.id }, [
    { name: 'x.csv', title: 'Open findings (CSV)', mimeType: 'text/csv', bytes: new TextEncoder().encode('a,b\n') },
  ]);
  const reply = thread(root).map(text).at(-1)!;
  expect(reply).toContain('Microsoft Graph refused the upload; an admin grants the bot Files.ReadWrite.All');
  expect(graph.files(FINOPS).some((f) => f.name === 'x.csv')).toBe(false);
  expect(connector.messages(FINOPS).find((a) => a.id === root.id)?.deleted).toBe(false);
});
