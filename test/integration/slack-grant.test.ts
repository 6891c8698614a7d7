import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { and, eq } from 'drizzle-orm';
import { auditEvents } from '../../src/changes/schema.ts';
import { users } from '../../src/users/schema.ts';
import { ALICE, APPROVALS, BOB, OPS, TEAM, startSlackHarness, type SlackHarness } from '../fixtures/slack-harness.ts';

/**
 * An admin sets up roles before the team arrives: `grant @someone approver` for a member of the
 * Slack workspace who has never talked to the bot looks them up on Slack (users.info) and creates
 * them with that role; they can then approve at once. An id Slack does not know, or a name the bot
 * cannot look up, gets a clear answer and creates nobody.
 */
const ERIN = 'U0ERIN0001';
let h: SlackHarness;
beforeAll(async () => {
  h = await startSlackHarness();
  // In the workspace, never seen by the bot.
  h.fake.addUser({ id: ERIN, name: 'erin', displayName: 'Erin' });
}, 60_000);
afterAll(async () => {
  await h?.stop();
});

const userRow = async (userId: string) =>
  (
    await h.app.store.db
      .select()
      .from(users)
      .where(and(eq(users.workspaceId, TEAM), eq(users.userId, userId)))
  )[0];
const answerIn = (ts: string) =>
  h
    .botMessages(OPS)
    .filter((m) => m.threadTs === ts)
    .map((m) => m.text)
    .join('\n');
const privately = (user: string) =>
  h.fake
    .ephemerals(OPS)
    .filter((e) => e.user === user)
    .map((e) => e.text)
    .join('\n');

describe('grant to someone who has not talked to the bot yet (Slack)', () => {
  it('Bob (admin) grants approver to a mentioned member: looked up on Slack, created with the role, audited', async () => {
    expect(await userRow(ERIN)).toBeUndefined();
    const { ts } = await h.mention(BOB, `grant <@${ERIN}> approver`);
    expect(answerIn(ts) + privately(BOB)).toMatch(/Erin is now approver/);
    const row = await userRow(ERIN);
    expect(row).toMatchObject({
      role: 'approver',
      displayName: 'Erin',
      surface: 'slack',
      grantedBy: `slack:${TEAM}:${BOB}`,
    });
    expect(h.fake.callsTo('users.info').some((c) => c.args.user === ERIN)).toBe(true);
    const [event] = await h.app.store.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.subject, `role:${TEAM}:${ERIN}`));
    expect(event?.data).toMatchObject({ userId: ERIN, role: 'approver', previousRole: null });
  });

  it('then Erin can approve a production change on her first click', async () => {
    const { ts } = await h.mention(ALICE, 'stop web-prod-2');
    const own = h.botMessages(OPS).find((m) => m.threadTs === ts && /^CR-\d+ /.test(m.text))!;
    const id = /^(CR-\d+) /.exec(own.text)![1]!;
    const copy = h.fake.messages(APPROVALS).find((m) => m.text.startsWith(`${id} `))!;
    await h.click(ERIN, copy, 'Approve');
    expect((await h.app.changes.get(id))?.status).toBe('succeeded');
    expect((await userRow(ERIN))?.role).toBe('approver');
  });

  it('an id Slack does not know: a clear error, nobody created', async () => {
    const { ts } = await h.mention(BOB, 'grant <@U0NOPE0001> approver');
    expect(answerIn(ts) + privately(BOB)).toMatch(/Slack has no user U0NOPE0001 in this workspace/);
    expect(await userRow('U0NOPE0001')).toBeUndefined();
    h.fake.addUser({ id: 'U0GONE0001', name: 'gone', displayName: 'Gone', deleted: true });
    const gone = await h.mention(BOB, 'grant <@U0GONE0001> approver');
    expect(answerIn(gone.ts) + privately(BOB)).toMatch(/Gone \(U0GONE0001\) was deactivated in Slack/);
    expect(await userRow('U0GONE0001')).toBeUndefined();
  });

  it('a name nobody here has: asks for a mention, nobody created', async () => {
    const { ts } = await h.mention(BOB, 'grant frank approver');
    expect(answerIn(ts) + privately(BOB)).toMatch(/No user "frank".*mention them/);
    expect(await h.app.store.db.select().from(users).where(eq(users.displayName, 'frank'))).toHaveLength(0);
  });

  it('someone who is not an admin still cannot grant, and their lookup creates nobody', async () => {
    h.fake.addUser({ id: 'U0GINA0001', name: 'gina', displayName: 'Gina' });
    const { ts } = await h.mention(ALICE, 'grant <@U0GINA0001> admin');
    expect(answerIn(ts) + privately(ALICE)).toMatch(/admin/);
    expect(await userRow('U0GINA0001')).toBeUndefined();
  });
});
