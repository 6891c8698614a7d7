import { describe, expect, it, jest } from '@jest/globals';
import { cardOf, changeIdIn, interact, messages, screenshot, send, useConsoleApp } from '../helpers/console-page.ts';

/**
 * The console page in a real browser, against the whole app as production composes it (the real
 * engine over embedded PGlite and the local sandbox cloud): how replies render, that user text
 * stays text, who sees what. Each test works on its own instances and reads ids from the app's
 * answers, so the tests run alone (-t) and in any order (--randomize).
 */
jest.setTimeout(90_000);

const ctx = useConsoleApp();

describe('web console', () => {
  it('sends messages, renders every block of the replies, and runs a button', async () => {
    const page = await ctx.pages.openAs('alice');
    expect(await page.locator('#user-select').inputValue()).toBe('alice');
    expect(await page.getByTestId('user-role').textContent()).toBe('operator');

    // A table: the inventory, as the sandbox has it.
    const [listed] = await send(page, 'list instances');
    // Both seeded AWS accounts (the second through its role).
    const live = [...ctx.app.sandbox!.fleets.values()]
      .flatMap((f) => f.instances)
      .filter((i) => i.state !== 'terminated');
    expect(listed?.text).toBe(`Instances: ${live.length}`);
    const list = page
      .getByTestId('message')
      .filter({ has: page.locator('[data-block="header"]', { hasText: `Instances (${live.length})` }) });
    await list.waitFor();
    expect(await list.getAttribute('data-author')).toBe('bot');
    expect(await list.getByTestId('sandbox-badge').isVisible()).toBe(true);
    expect(await list.locator('table th').allTextContents()).toEqual([
      'Name',
      'ID',
      'Env',
      'State',
      'Details',
      'Region',
      '$/mo',
    ]);
    // One page of 20 (a Show more button follows when there are more).
    expect(await list.locator('table tbody tr').count()).toBe(Math.min(20, live.length));
    expect(await list.locator('table tbody tr td:first-child').allTextContents()).toContain('web-dev-1');
    await page.locator('[data-testid="message"][data-author="alice"]').filter({ hasText: 'list instances' }).waitFor();

    // Header, fields (with `code`), context and buttons: one resource.
    const web = ctx.instanceNamed('web-dev-1');
    await send(page, 'show web-dev-1');
    const shown = page
      .getByTestId('message')
      .filter({ has: page.locator('[data-block="header"]', { hasText: 'web-dev-1 (instance)' }) });
    await shown.waitFor();
    const fields = shown.locator('[data-block="fields"]');
    expect((await fields.locator('dt').allTextContents()).slice(0, 3)).toEqual(['ID', 'State', 'Environment']);
    expect(await fields.locator('dd code').first().textContent()).toBe(web.id);
    expect(await shown.locator('[data-block="context"]').textContent()).toContain('Name=web-dev-1');
    expect(await shown.getByTestId('action-button').allTextContents()).toEqual(['Stop', 'Reboot', 'Resize…']);
    await screenshot(page, 'console');

    // A button runs: a dev reboot is auto-approved by policy, so it runs at once and the card
    // that comes back (text with *bold*) says so.
    const replies = await interact(page, () => shown.getByRole('button', { name: 'Reboot' }).click());
    const id = changeIdIn(replies);
    const card = cardOf(page, id);
    await card.waitFor();
    expect(await card.locator('[data-block="header"]').textContent()).toContain('Reboot web-dev-1');
    expect(await card.locator('[data-block="text"] strong').allTextContents()).toContain('Blast radius:');
    expect(await card.textContent()).toContain('auto-approved by policy rule "dev-power-actions"');
    expect(await card.getByRole('button').count()).toBe(0);
    expect(
      ctx.app.sandbox!.requests.filter(
        (r) => r.action === 'RebootInstances' && Object.values(r.params).includes(web.id),
      ),
    ).toHaveLength(1);
  });

  it('shows user text literally, never as markup', async () => {
    const page = await ctx.pages.openAs('dave');
    const hostile = '<img src=x onerror="window.pwned=1"> *not bold* `x`';
    const [answer] = await send(page, hostile);
    expect(answer?.text).toContain("I didn't understand “<img src=x");
    const own = page.locator('[data-author="dave"]').filter({ hasText: '<img src=x' });
    await own.waitFor();
    expect(await own.locator('.content').textContent()).toBe(hostile);
    // The bot quotes it back: its light markdown applies, but the tag stays text.
    const quoted = page
      .locator('[data-author="bot"]')
      .filter({ hasText: 'I didn\'t understand “<img src=x onerror="window.pwned=1">' });
    await quoted.waitFor();
    expect(await page.locator('#log img').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { pwned?: number }).pwned)).toBeUndefined();
  });

  it('shows an ephemeral reply to its user only, and others see the shared log', async () => {
    const alice = await ctx.pages.openAs('alice');
    const bob = await ctx.pages.openAs('bob');
    const id = changeIdIn(await send(alice, 'reboot db-staging-1'));
    // Approving one's own request is refused in a reply only the requester sees.
    const [refusal] = await interact(alice, () => cardOf(alice, id).getByRole('button', { name: 'Approve' }).click());
    expect(refusal).toMatchObject({ ephemeral: true });
    const secret = `You requested ${id}, so you cannot approve it yourself`;
    await messages(alice, secret).getByTestId('ephemeral-badge').waitFor();

    await send(alice, 'whoami');
    // Bob's page has caught up past the refusal once Alice's later question and its answer show up.
    await bob.locator('[data-author="alice"]').filter({ hasText: 'whoami' }).waitFor();
    await bob
      .locator('[data-author="bot"]')
      .filter({ has: bob.locator('[data-block="fields"]', { hasText: 'Alice (alice)' }) })
      .waitFor();
    expect(await messages(bob, secret).count()).toBe(0);
    expect(await bob.locator('[data-author="alice"]').filter({ hasText: 'reboot db-staging-1' }).count()).toBe(1);
    // The request itself is shared: Bob has the card, with its buttons, to act on.
    expect(await cardOf(bob, id).getByRole('button', { name: 'Approve' }).count()).toBe(1);
  });
});
