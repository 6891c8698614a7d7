import { describe, expect, it, jest } from '@jest/globals';
import { cardOf, changeIdIn, interact, messages, screenshot, send, useConsoleApp } from '../helpers/console-page.ts';
import { waitFor } from '../helpers/wait-for.ts';

/**
 * The walking skeleton as a person uses it, in a real browser against the whole app: Alice asks
 * for a prod change, Bob sees the approval card in the shared channel and clicks Approve, both
 * watch the card change in place and the result arrive; the sandbox ran it once.
 *
 * Each test reads the change id the app gave from its answer and works on its own instances, so
 * the tests run alone (-t) and in any order (--randomize) against the one app of this file.
 */
jest.setTimeout(90_000);

const ctx = useConsoleApp();
const callsOn = (action: string, instanceId: string) =>
  ctx.app.sandbox!.requests.filter((r) => r.action === action && Object.values(r.params).includes(instanceId));

describe('console: request, approve, execute', () => {
  it('Alice requests a prod stop, Bob approves it with the button, it runs once', async () => {
    const web = ctx.instanceNamed('web-prod-2');
    const alice = await ctx.pages.openAs('alice');
    const bob = await ctx.pages.openAs('bob');

    const id = changeIdIn(await send(alice, 'stop web-prod-2'));
    const aliceCard = cardOf(alice, id);
    await aliceCard.getByRole('button', { name: 'Approve' }).waitFor();
    expect(await aliceCard.locator('[data-block="header"]').textContent()).toContain('Stop web-prod-2');
    expect(await aliceCard.locator('[data-block="fields"]').textContent()).toContain('Waiting for approval');
    expect(callsOn('StopInstances', web.id)).toHaveLength(0);

    const bobCard = cardOf(bob, id);
    const approved = await interact(bob, () => bobCard.getByRole('button', { name: 'Approve' }).click());
    expect(approved.map((r) => r.text)).toEqual([
      expect.stringMatching(new RegExp(`^You approved ${id}\\. ${id} done`)),
    ]);

    // Both copies lose their buttons and show the outcome; Alice gets the result message.
    await bobCard.locator('[data-block="fields"]', { hasText: 'Done' }).waitFor();
    await aliceCard.locator('[data-block="fields"]', { hasText: 'Done' }).waitFor();
    expect(await aliceCard.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    await messages(alice, `${id} done`)
      .filter({ hasText: `rollback ${id}` })
      .first()
      .waitFor();
    await messages(bob, `You approved ${id}.`).waitFor();
    expect(await messages(alice, `You approved ${id}.`).count()).toBe(0);
    await screenshot(alice, 'console-approval');

    expect(callsOn('StopInstances', web.id)).toHaveLength(1);
  });

  it('Alice cannot approve her own request: she is told why, and nothing runs', async () => {
    const db = ctx.instanceNamed('db-prod-1');
    const alice = await ctx.pages.openAs('alice');
    const id = changeIdIn(await send(alice, 'reboot db-prod-1'));
    const card = cardOf(alice, id);
    const refused = await interact(alice, () => card.getByRole('button', { name: 'Approve' }).click());
    expect(refused).toEqual([
      expect.objectContaining({
        ephemeral: true,
        text: expect.stringContaining(`You requested ${id}, so you cannot approve it yourself`),
      }),
    ]);
    await messages(alice, `You requested ${id}, so you cannot approve it yourself`)
      .getByTestId('ephemeral-badge')
      .waitFor();
    expect(await card.locator('[data-block="fields"]').textContent()).toContain('Waiting for approval');
    expect(callsOn('RebootInstances', db.id)).toHaveLength(0);
    expect((await ctx.app.changes.get(id))?.status).toBe('pending');
  });

  it('Bob rejects with a reason typed in the Reject form; Alice sees why', async () => {
    const worker = ctx.instanceNamed('worker-prod-1');
    const alice = await ctx.pages.openAs('alice');
    const bob = await ctx.pages.openAs('bob');
    const id = changeIdIn(await send(alice, 'stop worker-prod-1'));
    const rejected = await interact(bob, async () => {
      await cardOf(bob, id).getByRole('button', { name: 'Reject' }).click();
      const form = bob.getByTestId('inline-form');
      await form.getByLabel('Reason (shown to the requester)').fill('release freeze until Friday');
      await form.getByRole('button', { name: 'Reject' }).click();
    });
    expect(rejected.map((r) => r.text).join('\n')).toMatch(new RegExp(`${id}.*rejected`, 'i'));
    const aliceCard = cardOf(alice, id);
    await aliceCard.locator('[data-block="fields"]', { hasText: 'Rejected' }).waitFor();
    expect(await aliceCard.textContent()).toContain('release freeze until Friday');
    expect(await aliceCard.getByRole('button').count()).toBe(0);
    expect((await ctx.app.changes.get(id))?.status).toBe('rejected');
    expect(callsOn('StopInstances', worker.id)).toHaveLength(0);
  });

  it('resize without a size offers a picker of valid sizes that files the request', async () => {
    const alice = await ctx.pages.openAs('alice');
    const offered = await send(alice, 'resize api-staging-1');
    expect(offered.map((r) => r.changeId)).toEqual([undefined]);
    const offer = messages(alice, 'Resize api-staging-1').filter({ hasText: 'pick a size' });
    const requested = await interact(alice, async () => {
      await offer.getByRole('button', { name: 'Choose size…' }).click();
      const form = alice.getByTestId('inline-form');
      await form.locator('select').selectOption('t3.large');
      await form.getByRole('button', { name: 'Request' }).click();
    });
    const id = changeIdIn(requested);
    const card = cardOf(alice, id);
    await card.waitFor();
    expect(await card.locator('[data-block="header"]').textContent()).toMatch(/api-staging-1 .*to t3\.large/);
    expect((await ctx.app.changes.get(id))?.plan).toMatchObject({ action: 'resize', resourceName: 'api-staging-1' });
    await screenshot(alice, 'console-resize');
  });

  it('reboot without a resource asks which; the search field offers matching instances as Alice types', async () => {
    const db = ctx.instanceNamed('db-staging-1');
    const alice = await ctx.pages.openAs('alice');
    await send(alice, 'reboot');
    const question = messages(alice, 'Which instance should I reboot?');
    await question.getByRole('button', { name: 'Choose instance…' }).click();
    const form = alice.getByTestId('inline-form');
    const input = form.getByLabel('Name or id');
    // The field asks once on focus (every instance that can reboot), then for what is typed.
    const searched = alice.waitForResponse((res) => {
      const url = new URL(res.url());
      return url.pathname === '/console/api/options' && url.searchParams.get('query') === 'db-staging';
    });
    await input.fill('db-staging');
    const { options } = (await (await searched).json()) as { options: Array<{ label: string; value: string }> };
    expect(options.map((o) => o.value)).toEqual([db.id]);
    const choices = form.getByTestId('choices-resource').locator('option');
    const shown = () => choices.evaluateAll((os) => os.map((o) => o.getAttribute('value')));
    await waitFor(async () => (await shown()).join() === db.id, {
      what: 'the choices to be the answer for "db-staging"',
      timeoutMs: 10_000,
      detail: shown,
    });
    expect(await choices.allTextContents()).toEqual([expect.stringContaining('db-staging-1')]);
    await input.fill(db.id);
    const id = changeIdIn(await interact(alice, () => form.getByRole('button', { name: 'Next' }).click()));
    const card = cardOf(alice, id);
    await card.waitFor();
    expect(await card.locator('[data-block="header"]').textContent()).toContain('Reboot db-staging-1');
    expect(callsOn('RebootInstances', db.id)).toHaveLength(0);
  });
});
