import { describe, expect, it, jest } from '@jest/globals';
import { changeIdOf, consoleActor } from '../helpers/dashboard-fixture.ts';
import { useDashboard } from '../helpers/dashboard-page.ts';

/**
 * When the live stream fails (here: the server refuses it, as streamLive does above its client
 * limit) the page falls back to re-reading its view every `pollMs` (30 s in production; short here
 * so that the test does not wait).
 */
jest.setTimeout(90_000);

const ctx = useDashboard({
  pollMs: 400,
  stream: (req) => {
    req.raw.res.writeHead(503, { 'content-type': 'application/json' });
    req.raw.res.end(JSON.stringify({ error: 'Too many live clients.' }));
    return null;
  },
});

describe('dashboard: polling fallback', () => {
  it('a decision taken elsewhere shows up by polling when the live stream is refused (no reload)', async () => {
    const id = changeIdOf(
      await ctx.app.engine.handleTurn({
        actor: consoleActor('alice'),
        conversation: { surface: 'console', workspaceId: 'console', channelId: 'ops' },
        text: 'reboot web-prod-2',
      }),
    );
    const page = await ctx.openAs('bob', '/dashboard/approvals');
    const row = page.locator(`tr[data-row="${id}"]`);
    await row.waitFor();
    expect(await page.evaluate(() => ((globalThis as { stayed?: boolean }).stayed = true))).toBe(true);
    await ctx.app.engine.handleInteraction({
      actor: consoleActor('carol'),
      conversation: { surface: 'console', workspaceId: 'console', channelId: 'ops' },
      actionId: 'change.approve',
      value: id,
    });
    await row.waitFor({ state: 'detached' });
    await page.locator('#live-status').filter({ hasText: 'Updated' }).waitFor({ state: 'attached' });
    expect(await page.evaluate(() => (globalThis as { stayed?: boolean }).stayed)).toBe(true);
  });
});
