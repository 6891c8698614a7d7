import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';

/**
 * The walking skeleton as a person uses it, in a real browser against the whole app: Alice asks
 * for a prod change, Bob sees the approval card in the shared channel and clicks Approve, both
 * watch the card change in place and the result arrive; the sandbox ran it once.
 */
jest.setTimeout(90_000);

let app: TestApp;
let browser: TestBrowser;
beforeAll(async () => {
  app = await startTestApp();
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

const openAs = async (user: string): Promise<Page> => {
  const page = await browser.newPage();
  await page.goto(`${app.url}/?user=${user}`);
  await page.locator(`#user-select option[value="${user}"]`).waitFor({ state: 'attached' });
  return page;
};

const send = async (page: Page, text: string): Promise<void> => {
  await page.getByLabel('Message to DevOps Agent').fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
};

const cardOf = (page: Page, changeId: string) =>
  page.getByTestId('message').filter({ has: page.locator('[data-block="header"]', { hasText: `${changeId} ·` }) }).last();

describe('console: request, approve, execute', () => {
  it('Alice requests a prod stop, Bob approves it with the button, it runs once', async () => {
    const alice = await openAs('alice');
    const bob = await openAs('bob');

    await send(alice, 'stop web-prod-2');
    const aliceCard = cardOf(alice, 'CR-1');
    await aliceCard.getByRole('button', { name: 'Approve' }).waitFor();
    expect(await aliceCard.locator('[data-block="fields"]').textContent()).toContain('Waiting for approval');

    const bobCard = cardOf(bob, 'CR-1');
    await bobCard.getByRole('button', { name: 'Approve' }).click();

    // Both copies lose their buttons and show the outcome; Alice gets the result message.
    await bobCard.locator('[data-block="fields"]', { hasText: 'Done' }).waitFor();
    await aliceCard.locator('[data-block="fields"]', { hasText: 'Done' }).waitFor();
    expect(await aliceCard.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    await alice.getByTestId('message').filter({ hasText: 'CR-1 done' }).filter({ hasText: 'rollback CR-1' }).first().waitFor();
    await bob.getByTestId('message').filter({ hasText: 'You approved CR-1' }).waitFor();
    expect(await alice.getByTestId('message').filter({ hasText: 'You approved CR-1' }).count()).toBe(0);
    await alice.screenshot({ path: '/tmp/console-approval.png', fullPage: true });

    const web = app.sandbox!.fleet.instances.find((i) => i.tags.Name === 'web-prod-2')!;
    expect(app.sandbox!.requests.filter((r) => r.action === 'StopInstances' && Object.values(r.params).includes(web.id))).toHaveLength(1);
  });

  it('Alice cannot approve her own request: she is told why, and nothing runs', async () => {
    const alice = await openAs('alice');
    await send(alice, 'reboot db-prod-1');
    const card = cardOf(alice, 'CR-2');
    await card.getByRole('button', { name: 'Approve' }).click();
    await alice.getByTestId('message').filter({ hasText: 'cannot approve it yourself' }).waitFor();
    expect(app.sandbox!.requests.filter((r) => r.action === 'RebootInstances')).toHaveLength(0);
  });

  it('Bob rejects with a reason typed in the Reject form; Alice sees why', async () => {
    const alice = await openAs('alice');
    const bob = await openAs('bob');
    await send(alice, 'stop worker-prod-1');
    const bobCard = cardOf(bob, 'CR-3');
    await bobCard.getByRole('button', { name: 'Reject' }).click();
    const form = bob.getByTestId('inline-form');
    await form.getByLabel('Reason (shown to the requester)').fill('release freeze until Friday');
    await form.getByRole('button', { name: 'Reject' }).click();
    await cardOf(alice, 'CR-3').locator('[data-block="fields"]', { hasText: 'Rejected' }).waitFor();
    expect(await cardOf(alice, 'CR-3').textContent()).toContain('release freeze until Friday');
    expect(app.sandbox!.requests.filter((r) => r.action === 'StopInstances')).toHaveLength(1); // only CR-1's
  });

  it('resize without a size offers a picker of valid sizes that files the request', async () => {
    const alice = await openAs('alice');
    await send(alice, 'resize api-staging-1');
    const offer = alice.getByTestId('message').filter({ hasText: 'pick a size' }).last();
    await offer.getByRole('button', { name: 'Choose size…' }).click();
    const form = alice.getByTestId('inline-form');
    await form.locator('select').selectOption('t3.large');
    await form.getByRole('button', { name: 'Request' }).click();
    const card = cardOf(alice, 'CR-4');
    await card.waitFor();
    expect(await card.locator('[data-block="header"]').textContent()).toContain('to t3.large');
    await alice.screenshot({ path: '/tmp/console-resize.png', fullPage: true });
  });

  it('reboot without a resource asks which; the search field offers matching instances as Alice types', async () => {
    const alice = await openAs('alice');
    await send(alice, 'reboot');
    const question = alice.getByTestId('message').filter({ hasText: 'Which instance should I reboot?' }).last();
    await question.getByRole('button', { name: 'Choose instance…' }).click();
    const form = alice.getByTestId('inline-form');
    const input = form.getByLabel('Name or id');
    await input.fill('api-staging');
    const api = app.sandbox!.fleet.instances.find((i) => i.tags.Name === 'api-staging-1')!;
    const choices = form.getByTestId('choices-resource').locator('option');
    await choices.filter({ hasText: 'api-staging-1' }).waitFor({ state: 'attached' });
    expect(await choices.evaluateAll((os) => os.map((o) => o.getAttribute("value")))).toEqual([api.id]);
    await input.fill(api.id);
    await form.getByRole('button', { name: 'Next' }).click();
    const card = cardOf(alice, 'CR-5');
    await card.waitFor();
    expect(await card.locator('[data-block="header"]').textContent()).toContain('Reboot api-staging-1');
  });
});
