import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { listAuditEvents } from '../../src/changes/audit.ts';
import { click, startTestApp, turn, type ReplyLike, type TestApp } from '../helpers/app.ts';
import { waitFor } from '../helpers/wait-for.ts';

/**
 * Change freezes and just-in-time roles from chat, end to end through the console: the rule
 * planner's commands, the tools, the change service, the audit log and the scheduler's
 * `roles.expire` job (real Agenda, polling in real time; the app's clock is the test's).
 * The console's people: alice operator, bob approver, carol admin, dave viewer.
 */
let app: TestApp;
let clock = new Date('2026-11-02T09:00:00Z');
beforeAll(async () => {
  app = await startTestApp(
    { EXPIRY_CHECK_INTERVAL: '1s', INVENTORY_SYNC_INTERVAL: '1h', APPROVAL_TTL: '12h' },
    { jobs: true, now: () => clock },
  );
}, 60_000);
afterAll(async () => {
  await app?.stop();
});

const say = async (user: string, text: string): Promise<ReplyLike> => {
  const [first] = await turn(app, user, text);
  if (!first) throw new Error(`no reply to "${text}"`);
  return first;
};

/** Every text and context block as one string, mentions as `@Name`. */
const allText = (r: ReplyLike): string =>
  (
    r.blocks
      .map((b) => b.text ?? '')
      .filter(Boolean)
      .join('\n') || r.text
  ).replace(/<@console:[^|]+\|([^>]+)>/g, '@$1');

const reboots = (name: string) => {
  const id = app.sandbox!.fleet.instances.find((i) => i.tags.Name === name)!.id;
  return app.sandbox!.requests.filter((r) => r.action === 'RebootInstances' && Object.values(r.params).includes(id));
};

const status = async (id: string) => (await app.changes.get(id))?.status;

const types = async (subject: string) => (await listAuditEvents(app.store.db, { subject })).map((e) => e.type);

describe('change freezes', () => {
  it('only admins freeze; a frozen prod refuses approvals with the freeze; an admin overrides from the button, audited', async () => {
    const viewer = await say('dave', 'freeze prod for 2h');
    expect(viewer.text).toMatch(/needs the admin role/);

    const declared = await say('carol', 'freeze prod for 2h release week');
    expect(allText(declared)).toContain(
      '❄️ prod (also production) is frozen until 2026-11-02 11:00 UTC (“release week”). Changes can still be filed',
    );
    const listed = await say('alice', 'freezes');
    expect(allText(listed)).toMatch(/Change freezes in force \(1\)/);
    expect(listed.text).toBe('Change freezes: prod until 2026-11-02 11:00 UTC');

    const card = await say('alice', 'reboot web-prod-2');
    const id = card.changeId!;
    expect(await status(id)).toBe('pending');

    // Typed by an approver: refused, with who froze what until when and why.
    const typed = await say('bob', `approve ${id}`);
    expect(typed.text).toBe(
      `${id} cannot be approved now: prod is frozen by Carol until 2026-11-02 11:00 UTC (“release week”). An admin can approve it anyway with an override (audited).`,
    );
    expect(typed.blocks.some((b) => b.type === 'actions')).toBe(false);
    // Clicked: the same answer, privately, not "You approved".
    const [clicked] = await click(app, 'bob', 'change.approve', id);
    expect(clicked?.text).toMatch(/cannot be approved now: prod is frozen by Carol/);
    expect(clicked?.ephemeral).toBe(true);
    // An admin gets a button that asks why and approves with an override.
    const [offered] = await click(app, 'carol', 'change.approve', id);
    const button = offered?.blocks.find((b) => b.type === 'actions')?.buttons?.[0];
    expect(button).toMatchObject({ actionId: 'command.run', label: 'Override and approve' });
    expect(JSON.parse(button!.value)).toEqual({ tool: 'approve_change', input: { changeId: id } });
    expect(await status(id)).toBe('pending');
    expect(reboots('web-prod-2')).toHaveLength(0);

    const [done] = await click(app, 'carol', 'command.run', button!.value, { override: 'hotfix for INC-42' });
    expect(done?.changeId).toBe(id);
    expect(await status(id)).toBe('succeeded');
    expect(reboots('web-prod-2')).toHaveLength(1);
    expect(allText(done!)).toContain(
      'Freeze overridden* by @Carol at 2026-11-02 09:00 UTC: “hotfix for INC-42” (audited)',
    );
    expect(await types(id)).toEqual([
      'change.requested',
      'change.overridden',
      'change.approved',
      'change.executing',
      'change.succeeded',
    ]);
    const [overridden] = await listAuditEvents(app.store.db, { subject: id, afterSeq: 0 }).then((es) =>
      es.filter((e) => e.type === 'change.overridden'),
    );
    expect(overridden).toMatchObject({ actorKey: 'console:console:carol', data: { reason: 'hotfix for INC-42' } });

    // Typed with override by someone who is not an admin.
    const second = (await say('alice', 'reboot web-prod-1')).changeId!;
    expect((await say('bob', `approve ${second} override "it is urgent"`)).text).toBe(
      `Only an admin can override what blocks ${second}: prod is frozen by Carol until 2026-11-02 11:00 UTC (“release week”).`,
    );

    const lifted = await say('carol', 'unfreeze prod');
    expect(allText(lifted)).toBe('✅ Lifted the change freeze on prod (by @Carol, until 2026-11-02 11:00 UTC).');
    expect((await say('alice', 'freezes')).text).toMatch(/^No change freeze is in force/);
    expect((await say('carol', 'unfreeze prod')).text).toBe(
      'No change freeze is in force on prod; `freezes` lists them.',
    );
    const freezeEvents = (await listAuditEvents(app.store.db, {})).filter((e) => e.type.startsWith('freeze.'));
    expect(freezeEvents.map((e) => [e.type, e.actorKey, e.data.environment])).toEqual([
      ['freeze.created', 'console:console:carol', 'prod'],
      ['freeze.lifted', 'console:console:carol', 'prod'],
    ]);
    expect((await say('bob', `approve ${second}`)).changeId).toBe(second);
    expect(await status(second)).toBe('succeeded');
  });

  it('a freeze ends by itself at its end time', async () => {
    const declared = await say('carol', 'freeze all until 2026-11-02 10:00 tz=Europe/Paris "month-end close"');
    // 10:00 in Paris is 09:00 UTC: already past on this clock.
    expect(declared.text).toBe('That end time (2026-11-02 09:00 UTC) is not in the future.');
    expect(allText(await say('carol', 'freeze all until 12:00 Europe/Paris month-end close'))).toContain(
      '❄️ every environment is frozen until 2026-11-02 11:00 UTC (“month-end close”)',
    );
    const id = (await say('alice', 'reboot web-staging-1')).changeId!;
    expect((await say('bob', `approve ${id}`)).text).toMatch(/every environment is frozen by Carol/);
    clock = new Date('2026-11-02T11:00:00Z');
    expect((await say('bob', `approve ${id}`)).changeId).toBe(id);
    expect(await status(id)).toBe('succeeded');
  });
});

describe('just-in-time roles', () => {
  const messages = async () => {
    const res = await fetch(`${app.url}/console/api/messages?user=carol`);
    return ((await res.json()) as { messages: Array<{ text: string }> }).messages.map((m) => m.text);
  };

  it('an admin grants a role for a while; it is used, listed, and revoked by the job at expiry, said in the conversation', async () => {
    clock = new Date('2026-11-03T09:00:00Z');
    expect((await say('bob', 'grant @dave approver for 2h')).text).toMatch(/needs the admin role/);
    expect((await say('carol', 'grant @bob approver for 2h')).text).toBe(
      'Bob is already approver: a temporary approver grant would change nothing.',
    );
    expect((await say('carol', 'grant @dave admin for 2h')).text).toMatch(/The admin role is not granted for a while/);

    const granted = await say('carol', 'grant @dave approver for 2h covering the release');
    expect(allText(granted)).toBe(
      '⏱️ @Dave is approver for 2 hours, until 2026-11-03 11:00 UTC (“covering the release”); then viewer again. I will say here when it expires; `revoke @Dave` ends it early.',
    );
    expect((await say('dave', 'whoami')).text).toBe(
      'You are Dave, approver until 2026-11-03 11:00 UTC (granted by Carol: “covering the release”) in console:console',
    );
    const listed = await say('alice', 'grants');
    expect(listed.text).toBe('Temporary roles: Dave approver until 2026-11-03 11:00 UTC');

    // Dave, a viewer, approves as an approver while the grant lasts.
    const id = (await say('alice', 'reboot db-prod-1')).changeId!;
    expect((await say('dave', `approve ${id}`)).changeId).toBe(id);
    expect(await status(id)).toBe('succeeded');
    expect((await app.changes.get(id))?.decidedBy?.userId).toBe('dave');

    // At expiry the role stops counting at once, and the job says so where it was granted.
    const later = (await say('alice', 'reboot db-staging-1')).changeId!;
    clock = new Date('2026-11-03T11:00:00Z');
    expect((await say('dave', `approve ${later}`)).text).toMatch(/you are a viewer/);
    await waitFor(async () => (await messages()).some((t) => t.startsWith("⌛ @Dave's approver grant expired")), {
      what: 'the expiry job to announce the end of the grant',
      timeoutMs: 20_000,
      intervalMs: 200,
      detail: async () => (await messages()).slice(-3),
    });
    expect((await messages()).find((t) => t.startsWith('⌛'))).toBe(
      "⌛ @Dave's approver grant expired (granted by @Carol: “covering the release”); they are back to their own role.",
    );
    expect((await say('alice', 'grants')).text).toMatch(/^No temporary role is in force/);
    expect(await types('role:console:dave')).toEqual(
      expect.arrayContaining(['role.temporary_granted', 'role.temporary_expired']),
    );
  }, 40_000);

  it('revoke ends a grant early; a new grant replaces the open one', async () => {
    clock = new Date('2026-11-04T09:00:00Z');
    await say('carol', 'grant @dave operator for 1h');
    const replaced = await say('carol', 'grant @dave approver for 30m');
    expect(allText(replaced)).toContain('It replaces their operator grant until 2026-11-04 10:00 UTC.');
    expect((await say('alice', 'grants')).text).toBe('Temporary roles: Dave approver until 2026-11-04 09:30 UTC');
    expect((await say('bob', 'revoke @dave')).text).toMatch(/needs the admin role/);
    expect(allText(await say('carol', 'revoke @dave'))).toBe(
      "✅ Revoked @Dave's temporary approver role (it was until 2026-11-04 09:30 UTC).",
    );
    expect((await say('carol', 'revoke @dave')).text).toBe(
      'No temporary role is in force for dave; `grants` lists those that are.',
    );
    const id = (await say('alice', 'reboot web-staging-1')).changeId!;
    expect((await say('dave', `approve ${id}`)).text).toMatch(/you are a viewer/);
    const events = await listAuditEvents(app.store.db, { subject: 'role:console:dave' });
    expect(events.slice(-3).map((e) => [e.type, e.data.role])).toEqual([
      ['role.temporary_granted', 'operator'],
      ['role.temporary_granted', 'approver'],
      ['role.temporary_revoked', 'approver'],
    ]);
    expect(events.at(-2)?.data.replaces).toMatchObject({ role: 'operator' });
  });
});
