import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eq } from 'drizzle-orm';
import { verifyAudit } from '../../src/changes/audit.ts';
import { approvals, auditEvents, changeRequests } from '../../src/changes/schema.ts';
import { messages } from '../../src/engine/schema.ts';
import { postJson, type ReplyLike } from '../helpers/app.ts';
import { blockSuggestionPayload, interactivityForm } from '../helpers/slack-sign.ts';
import { ALICE, BOB, OPS, buttonsOf, startSlackHarness, type SlackHarness } from '../fixtures/slack-harness.ts';

/**
 * PostgreSQL refuses NUL in text and jsonb, and lone UTF-16 surrogates in jsonb (`\ud800`): typed
 * into a turn, a rejection reason or a search field they used to give "Something went wrong", and
 * a surrogate left the user's message stored without a reply. Every surface's text goes through the
 * chat model's zod schemas, which now strip NUL and replace a lone surrogate with U+FFFD (�): the
 * user gets the normal answer and everything they said is kept.
 */
const NUL = '\u0000';
const LONE_HIGH = '\ud800';
const LONE_LOW = '\udc00';

let h: SlackHarness;
beforeAll(async () => {
  h = await startSlackHarness();
}, 60_000);
afterAll(async () => {
  await h?.stop();
});

const consoleTurn = async (user: string, text: string) => {
  const r = await postJson(h.app, '/console/api/turn', { user, text });
  expect([r.status, r.text]).toEqual([200, expect.any(String)]);
  return r.body.replies as ReplyLike[];
};
const failedAnswer = /went wrong|could not read/i;
const storedUserTexts = async () =>
  (await h.app.store.db.select({ author: messages.author, text: messages.text }).from(messages))
    .filter((m) => m.author === 'user')
    .map((m) => m.text);

describe('NUL and lone surrogates from the console', () => {
  it('a turn with NUL or a lone surrogate gets the normal answer; the message is stored, cleaned', async () => {
    for (const [typed, stored] of [
      [`list instances env=prod${NUL}`, 'list instances env=prod'],
      [`list instances env=prod ${LONE_HIGH}`, 'list instances env=prod \ufffd'],
      [`${LONE_LOW}help`, '\ufffdhelp'],
    ] as const) {
      const replies = await consoleTurn('dave', typed);
      expect(replies.length).toBeGreaterThan(0);
      expect(replies.map((r) => r.text).join('\n')).not.toMatch(failedAnswer);
      expect(await storedUserTexts()).toContain(stored);
    }
    // Nothing stored without its answer: every user message has a bot message after it.
    const rows = await h.app.store.db.select().from(messages).orderBy(messages.id);
    const last = rows.at(-1)!;
    expect(last.author).toBe('bot');
  });

  it('a rejection reason with NUL and a lone surrogate rejects the change and keeps the reason, cleaned', async () => {
    const [card] = await consoleTurn('alice', 'stop web-prod-2');
    const id = card!.changeId!;
    const r = await postJson(h.app, '/console/api/interaction', {
      user: 'bob',
      actionId: 'change.reject',
      value: id,
      inputs: { reason: `not${NUL} now ${LONE_HIGH}` },
    });
    expect(r.status).toBe(200);
    expect(r.body.replies!.map((x) => x.text).join('\n')).toMatch(new RegExp(`You rejected ${id}`));
    const [row] = await h.app.store.db.select().from(changeRequests).where(eq(changeRequests.id, id));
    expect(row?.status).toBe('rejected');
    expect(row?.reason).toBe('not now \ufffd');
    const [decision] = await h.app.store.db.select().from(approvals).where(eq(approvals.changeId, id));
    expect(decision?.reason).toBe('not now \ufffd');
    const events = await h.app.store.db.select().from(auditEvents).where(eq(auditEvents.subject, id));
    expect(JSON.stringify(events.map((e) => e.data))).not.toContain('\\u0000');
    expect((await verifyAudit(h.app.store.db)).ok).toBe(true);
  });

  it('a typed reject reason with NUL works the same', async () => {
    const [card] = await consoleTurn('alice', 'stop worker-prod-1');
    const id = card!.changeId!;
    const replies = await consoleTurn('bob', `reject ${id} freeze${NUL} ${LONE_LOW}`);
    expect(replies.map((x) => x.text).join('\n')).not.toMatch(failedAnswer);
    expect((await h.app.changes.get(id))?.reason).toBe('freeze \ufffd');
  });

  it('a search field query with NUL is answered with options', async () => {
    const source = 'resources?type=instance&action=stop';
    const res = await fetch(
      `${h.app.url}/console/api/options?${new URLSearchParams({ user: 'alice', source, query: `web-prod${NUL}` })}`,
    );
    const body = (await res.json()) as { options?: Array<{ label: string }>; error?: string };
    expect([res.status, body.error]).toEqual([200, undefined]);
    expect(body.options!.length).toBeGreaterThan(0);
  });
});

describe('NUL and lone surrogates from Slack', () => {
  it('a mention with a lone surrogate and a slash command with NUL get their answers', async () => {
    const { ts } = await h.mention(ALICE, `list instances env=dev ${LONE_HIGH}`);
    const thread = h.botMessages(OPS).filter((m) => m.threadTs === ts);
    // The grammar's own answer about the odd word: a normal answer, not a failure.
    expect(thread.map((m) => m.text)).toEqual([expect.stringMatching(/type “\ufffd”/)]);
    expect(await storedUserTexts()).toContain('list instances env=dev \ufffd');

    const before = h.botMessages(OPS).length;
    await h.slash(ALICE, `list volumes${NUL}`);
    const answers = h.botMessages(OPS).slice(before);
    expect(answers.map((m) => m.text)).toEqual([expect.stringMatching(/^Volumes/)]);
    expect(await storedUserTexts()).toContain('list volumes');
  });

  it('a rejection reason typed in the Slack modal with NUL and a lone surrogate rejects the change', async () => {
    const { ts } = await h.mention(ALICE, 'reboot api-prod-1');
    const card = h.botMessages(OPS).find((m) => m.threadTs === ts && /^CR-\d+ /.test(m.text))!;
    const id = /^(CR-\d+) /.exec(card.text)![1]!;
    expect(buttonsOf(card).map((b) => b.label)).toContain('Reject');
    await h.click(BOB, card, 'Reject');
    const view = h.fake.openedViews.at(-1)!.view;
    const answer = await h.submit(BOB, view, { 'f:reason': { value: `bad${NUL} timing ${LONE_HIGH}` } });
    expect(answer.status).toBe(200);
    expect((await h.app.changes.get(id))?.reason).toBe('bad timing \ufffd');
  });

  it('a search menu query with NUL or a lone surrogate is answered', async () => {
    const { ts } = await h.mention(ALICE, 'stop');
    const question = h.botMessages(OPS).find((m) => m.threadTs === ts)!;
    await h.click(ALICE, question, 'Choose instance…');
    const view = h.fake.openedViews.at(-1)!.view as {
      private_metadata: string;
      blocks: Array<{ block_id: string; element: { action_id: string } }>;
    };
    const field = view.blocks.find((b) => b.block_id === 'f:resource')!;
    // NUL is dropped: `web` matches; a lone surrogate becomes U+FFFD, which matches nothing, but answers.
    for (const [value, some] of [
      [`web${NUL}`, true],
      [`web${LONE_HIGH}`, false],
    ] as const) {
      const payload = blockSuggestionPayload({
        userId: ALICE,
        actionId: field.element.action_id,
        blockId: field.block_id,
        value,
        privateMetadata: view.private_metadata,
      });
      const answer = await h.send({ form: interactivityForm(payload) });
      expect(answer.status).toBe(200);
      expect((answer.json?.options as unknown[]).length > 0).toBe(some);
    }
  });
});
