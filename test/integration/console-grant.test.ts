import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { and, eq } from 'drizzle-orm';
import { users } from '../../src/users/schema.ts';
import { startTestApp, turn, type TestApp } from '../helpers/app.ts';

/**
 * The console's user directory is its seeded people: a grant to one of them who is not in the
 * database (yet, or any more) creates them with the role; anyone else gets the list of who exists.
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
}, 60_000);
afterAll(async () => {
  await app?.stop();
});

const dave = () =>
  app.store.db
    .select()
    .from(users)
    .where(and(eq(users.workspaceId, 'console'), eq(users.userId, 'dave')));

describe('grant in the console', () => {
  it('creates a seeded person who is missing, with the granted role', async () => {
    await app.store.db.delete(users).where(and(eq(users.workspaceId, 'console'), eq(users.userId, 'dave')));
    expect(await dave()).toHaveLength(0);
    const [answer] = await turn(app, 'carol', 'grant dave approver');
    expect(answer?.text).toBe('@Dave is now approver (new here: they have not talked to me yet).');
    expect((await dave())[0]).toMatchObject({
      role: 'approver',
      displayName: 'Dave',
      grantedBy: 'console:console:carol',
    });
  });

  it('names the console people when the name is nobody', async () => {
    const [answer] = await turn(app, 'carol', 'grant zed approver');
    expect(answer?.text).toBe(
      'No user "zed" in this workspace yet: the console\'s people are alice, bob, carol, dave.',
    );
  });
});
