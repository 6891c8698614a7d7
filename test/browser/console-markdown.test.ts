import { describe, expect, it, jest } from '@jest/globals';
import { markdownToBlocks } from '../../src/chat/markdown.ts';
import { reply } from '../../src/chat/reply.ts';
import { createConversationStore } from '../../src/engine/conversations.ts';
import { consoleConversation, createConsoleSurface } from '../../src/surfaces/console/surface.ts';
import { screenshot, useConsoleApp } from '../helpers/console-page.ts';

/**
 * An LLM's markdown answer (src/chat/markdown.ts) as the console draws it: light markdown inline,
 * ``` code blocks in a monospace box, lists, quotes and a table. The answer is posted through the
 * console's ChatSurface, as the notifier posts, into the real app's conversation log.
 */
jest.setTimeout(90_000);

const ctx = useConsoleApp();

const ANSWER = `# Markdown answer

Costs for **production** are *estimates*: was ~~$12~~ now \`$9\`; call power_action_now.

- Run the checks:

  \`\`\`
  npm ci
  npm test
  \`\`\`
- Then ship

> Note: prices exclude data transfer.

\`\`\`bash
aws ec2 describe-instances \\
  --output table
\`\`\`

| Name | Cost |
|------|-----:|
| **web-1** | $12.00 |`;

describe('console: a markdown answer', () => {
  it('draws code blocks monospace and light markdown as markup', async () => {
    const surface = createConsoleSurface({ conversations: createConversationStore(ctx.app.store.db) });
    await surface.post(consoleConversation(), reply(markdownToBlocks(ANSWER)));

    const page = await ctx.pages.openAs('alice');
    const answer = page
      .getByTestId('message')
      .filter({ has: page.locator('[data-block="header"]', { hasText: 'Markdown answer' }) });
    await answer.waitFor();

    const body = answer.locator('[data-block="text"]');
    expect(await body.locator('pre.block-code code').allTextContents()).toEqual([
      'npm ci\nnpm test',
      'aws ec2 describe-instances \\\n  --output table',
    ]);
    const font = await body
      .locator('pre.block-code code')
      .first()
      // Runs in the page; the project's TypeScript has no DOM types.
      .evaluate(
        (el) =>
          (globalThis as unknown as { getComputedStyle(e: unknown): { fontFamily: string } }).getComputedStyle(el)
            .fontFamily,
      );
    expect(font).toMatch(/mono/i);
    expect(await body.locator('strong').allTextContents()).toEqual(['production']);
    expect(await body.locator('em').allTextContents()).toEqual(['estimates']);
    expect(await body.locator('s').allTextContents()).toEqual(['$12']);
    expect(await body.locator(':scope > code').allTextContents()).toEqual(['$9']);
    const shown = (await body.textContent()) ?? '';
    expect(shown).not.toContain('```');
    expect(shown).toContain('power_action_now');
    expect(shown).toContain('• Run the checks:');
    expect(shown).toContain('> Note: prices exclude data transfer.');
    expect(await answer.locator('[data-block="table"] th').allTextContents()).toEqual(['Name', 'Cost']);
    expect(await answer.locator('[data-block="table"] td').allTextContents()).toEqual(['web-1', '$12.00']);
    await screenshot(page, 'console-markdown');
  });
});
