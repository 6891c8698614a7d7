import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ConversationRef } from '../../src/chat/actor.ts';
import type { Block, Reply } from '../../src/chat/reply.ts';
import { appendMessage, ensureConversation } from '../../src/engine/conversations.ts';
import { MORE_TEXT } from '../../src/surfaces/teams/more.ts';
import type { FakeActivity } from '../fakes/bot-connector/index.ts';
import {
  ALICE,
  CHANNEL,
  DAVE,
  DAVE_CHAT,
  TENANT,
  startTeamsHarness,
  type TeamsHarness,
  botAddedToChannel,
} from '../fixtures/teams-harness.ts';

/**
 * The real Adaptive Card renderer through the whole Teams app and the Bot Connector fake: what
 * each posted activity holds (cards, mention entities, Show more, charts, forms and typeahead),
 * and what a click answers.
 */
const APPROVALS = '19:approvals-cards@thread.tacv2';
let h: TeamsHarness;
beforeAll(async () => {
  h = await startTeamsHarness({ appId: true, env: { TEAMS_APPROVALS_CONVERSATION: APPROVALS } });
  await botAddedToChannel(h, APPROVALS);
  await h.message(DAVE, DAVE_CHAT, `grant <at>${ALICE.name}</at> approver`, {
    entities: [{ type: 'mention', text: `<at>${ALICE.name}</at>`, mentioned: { id: ALICE.id, name: ALICE.name } }],
  });
}, 60_000);
afterAll(async () => {
  await h?.stop();
});

type El = Record<string, unknown>;
const cardOf = (a: Record<string, unknown>): El => {
  const attachments = a.attachments as Array<{ contentType: string; content: El }> | undefined;
  expect(attachments?.[0]?.contentType).toBe('application/vnd.microsoft.card.adaptive');
  return attachments![0]!.content;
};
/** Every element of a card (body, nested containers, action sets, show cards), depth first. */
const walk = (node: unknown, out: El[] = []): El[] => {
  if (Array.isArray(node)) for (const n of node) walk(n, out);
  else if (node && typeof node === 'object') {
    const el = node as El;
    if (typeof el.type === 'string') out.push(el);
    for (const k of ['body', 'items', 'actions', 'card', 'columns', 'rows', 'cells', 'inlines'])
      if (k in el) walk(el[k], out);
  }
  return out;
};
const elements = (a: Record<string, unknown>): El[] => walk(cardOf(a).body);
const dump = (a: FakeActivity) => JSON.stringify(a.activity);
const findCard = (prefix: string, id: string) => h.fake.messages(prefix).find((a) => dump(a).includes(`${id} `))!;

describe('approval cards with the Adaptive Card renderer', () => {
  it('posts Approve and Reject (with a reason input); after a Teams approval every copy is updated in place with a real mention of the approver', async () => {
    const root = 'root-cards-1';
    const thread = `${CHANNEL};messageid=${root}`;
    await h.message(DAVE, thread, 'stop web-prod-2', { id: root, mention: true });
    const own = h.fake.messages(thread).find((a) => /CR-\d+ /.test(dump(a)))!;
    const id = /(CR-\d+) /.exec(dump(own))![1]!;
    const copy = findCard(APPROVALS, id);
    expect(copy).toBeDefined();

    for (const card of [own, copy]) {
      // A card message: attachments and a summary for the notification, no text.
      expect(card.activity.summary).toEqual(expect.stringContaining(id));
      expect(card.activity.text).toBeUndefined();
      const els = elements(card.activity);
      const approve = els.find((e) => e.type === 'Action.Execute' && e.verb === 'change.approve');
      expect(approve).toMatchObject({ title: 'Approve', data: { value: id } });
      const reject = els.find((e) => e.type === 'Action.ShowCard' && e.title === 'Reject')!;
      const inside = walk((reject.card as El).body).concat(walk((reject.card as El).actions));
      expect(inside.find((e) => e.type === 'Input.Text')).toMatchObject({ id: 'reason', isMultiline: true });
      expect(inside.find((e) => e.type === 'Action.Execute')).toMatchObject({
        verb: 'change.reject',
        data: { value: id },
      });
    }

    const before = h.fake.calls.length;
    const ok = await h.click(ALICE, APPROVALS, 'change.approve', { value: id });
    expect(String(ok.json.value)).toMatch(new RegExp(`approved ${id}`, 'i'));
    const puts = h.fake.calls.slice(before).filter((c) => c.method === 'PUT');
    expect(new Set(puts.map((c) => c.activityId))).toEqual(new Set([own.id, copy.id]));

    for (const card of [findCard(thread, id), findCard(APPROVALS, id)]) {
      expect(card.versions.length).toBeGreaterThan(1);
      const content = cardOf(card.activity);
      const mentionText = `<at>${ALICE.name}</at>`;
      const blocks = walk(content.body).filter((e) => e.type === 'TextBlock');
      expect(blocks.some((b) => String(b.text).includes(mentionText))).toBe(true);
      const entity = { type: 'mention', text: mentionText, mentioned: { id: ALICE.aadObjectId, name: ALICE.name } };
      expect((content.msteams as { entities?: unknown[] }).entities).toContainEqual(entity);
      // Card mentions live in the card: activity-level mentions are checked against a `text` a card has not.
      expect(card.activity.entities).toBeUndefined();
      // The buttons are gone once decided.
      expect(walk(content.body).some((e) => e.type === 'Action.Execute' && e.verb === 'change.approve')).toBe(false);
    }
  });
});

const findings = (n: number): Reply => ({
  text: `${n} findings`,
  sandbox: true,
  blocks: Array.from({ length: n }, (_, i): Block => ({
    type: 'text',
    text: `*Finding ${i + 1}*: security group sg-${1000 + i} allows 0.0.0.0/0 on port 22. ${'Details follow. '.repeat(20)}`,
  })),
});

/** Stores a bot reply as the engine does and returns it with its messageId. */
const store = async (ref: ConversationRef, reply: Reply): Promise<Reply> => {
  const db = h.app.store.db;
  const id = await appendMessage(db, {
    conversationId: await ensureConversation(db, ref),
    author: 'bot',
    text: reply.text,
    reply,
    visibleTo: null,
  });
  return { ...reply, messageId: String(id) };
};

const moreButton = (a: FakeActivity): El | undefined =>
  elements(a.activity).find((e) => e.type === 'Action.Execute' && e.verb === 'teams.more');

describe('Show more through the Teams transport', () => {
  it('posts a reply too big for one card with a Show more button; each click posts the next part, nothing lost', async () => {
    const ref: ConversationRef = { surface: 'teams', workspaceId: TENANT, channelId: DAVE_CHAT };
    await h.message(DAVE, DAVE_CHAT, 'list instances env=prod');
    const reply = await store(ref, findings(120));
    const before = h.fake.messages(DAVE_CHAT).length;
    await h.app.teams!.surface.post(ref, reply);
    let clicks = 0;
    for (let last = h.fake.messages(DAVE_CHAT).at(-1)!; moreButton(last); last = h.fake.messages(DAVE_CHAT).at(-1)!) {
      expect(clicks).toBeLessThan(20);
      const r = await h.click(DAVE, DAVE_CHAT, 'teams.more', moreButton(last)!.data as Record<string, unknown>);
      expect(r.status).toBe(200);
      expect(r.json.type).toBe('application/vnd.microsoft.activity.message');
      clicks += 1;
    }
    expect(clicks).toBeGreaterThanOrEqual(2);
    const parts = h.fake.messages(DAVE_CHAT).slice(before);
    expect(parts).toHaveLength(clicks + 1);
    for (const p of parts) expect(Buffer.byteLength(JSON.stringify(p.activity))).toBeLessThan(28_000);
    const seen = parts.flatMap((p) => [...dump(p).matchAll(/Finding (\d+)\*\*/g)].map((m) => Number(m[1])));
    expect(seen).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    expect(parts[1]!.activity.summary).toBe('(continued) 120 findings');
  });

  it('a forged value or one from another conversation gets a clear sentence and posts nothing of that message', async () => {
    const other: ConversationRef = { surface: 'teams', workspaceId: TENANT, channelId: '19:elsewhere@thread.v2' };
    const elsewhere = await store(other, findings(120));
    const ref: ConversationRef = { surface: 'teams', workspaceId: TENANT, channelId: DAVE_CHAT };
    const here = await store(ref, findings(120));
    await h.app.teams!.surface.post(ref, here);
    const value = String((moreButton(h.fake.messages(DAVE_CHAT).at(-1)!)!.data as { value: string }).value);
    const forged = value.replace(/^v1\.\d+\./, `v1.${elsewhere.messageId}.`);
    const texts: string[] = [];
    for (const v of ['not-a-show-more-value', forged]) {
      const before = h.fake.messages(DAVE_CHAT).length;
      const r = await h.click(DAVE, DAVE_CHAT, 'teams.more', { value: v });
      expect(r.status).toBe(200);
      const posted = h.fake.messages(DAVE_CHAT).slice(before);
      texts.push([String(r.json.value), ...posted.map(dump)].join(' '));
      expect(posted.map(dump).join(' ')).not.toContain('Finding');
    }
    expect(texts[0]).toContain(MORE_TEXT.unreadable);
    expect(texts[1]).toContain(MORE_TEXT.notHere);
  });
});

describe('charts through the Teams transport', () => {
  it('answers costs by service with a chart element and the numbers as text', async () => {
    const before = h.fake.messages(DAVE_CHAT).length;
    await h.message(DAVE, DAVE_CHAT, 'costs by service');
    const answer = h.fake
      .messages(DAVE_CHAT)
      .slice(before)
      .find((a) => dump(a).includes('Monthly cost'))!;
    const els = elements(answer.activity);
    const chart = els.find((e) => String(e.type).startsWith('Chart.'))!;
    expect(chart).toMatchObject({ type: 'Chart.VerticalBar', title: 'Monthly cost by service' });
    expect((chart.data as unknown[]).length).toBeGreaterThan(0);
    const texts = els.filter((e) => e.type === 'TextBlock').map((e) => String(e.text));
    expect(texts.some((t) => /^Monthly cost by service \(USD\/month\): \S+ [\d,.]+/.test(t))).toBe(true);
  });
});

describe('forms, typeahead and field errors through the Teams transport', () => {
  const instance = (name: string) => h.app.sandbox!.fleet.instances.find((i) => i.tags.Name === name)!;
  const search = async (dataset: string, queryText: string) => {
    const r = await h.send({
      type: 'invoke',
      name: 'application/search',
      id: `search-${queryText}-${Math.random()}`,
      channelId: 'msteams',
      serviceUrl: h.fake.url,
      from: DAVE,
      recipient: { id: '28:bot-app-id', name: 'DevOps Agent' },
      conversation: { id: DAVE_CHAT, conversationType: 'personal', tenantId: TENANT },
      channelData: { tenant: { id: TENANT } },
      value: { queryText, dataset, queryOptions: { skip: 0, top: 15 } },
    });
    expect(r.status).toBe(200);
    const body = JSON.parse(r.body) as { type: string; value: { results: Array<{ title: string; value: string }> } };
    expect(body.type).toBe('application/vnd.microsoft.search.searchResponse');
    return body.value.results;
  };
  /** The Action.ShowCard of a posted card and the inputs and submit inside it. */
  const form = (a: FakeActivity, title: string) => {
    const show = elements(a.activity).find((e) => e.type === 'Action.ShowCard' && e.title === title)!;
    expect(show).toBeDefined();
    const inside = walk((show.card as El).body).concat(walk((show.card as El).actions));
    return {
      inputs: inside.filter((e) => String(e.type).startsWith('Input.')),
      submit: inside.find((e) => e.type === 'Action.Execute')!,
    };
  };

  it('resize: the picker’s search field is a typeahead answered with matching instances; an invalid size comes back on the card, typed value kept', async () => {
    const before = h.fake.messages(DAVE_CHAT).length;
    await h.message(DAVE, DAVE_CHAT, 'resize');
    const question = h.fake
      .messages(DAVE_CHAT)
      .slice(before)
      .find((a) => /Which instance should I/.test(dump(a)))!;
    const picker = form(question, 'Choose instance…');
    const field = picker.inputs.find((e) => e.id === 'resource')!;
    expect(field).toMatchObject({ type: 'Input.ChoiceSet', style: 'filtered', isRequired: true });
    const dataset = (field['choices.data'] as { type: string; dataset: string }).dataset;
    expect(field['choices.data']).toMatchObject({ type: 'Data.Query' });

    const target = instance('api-staging-1');
    const results = await search(dataset, 'api-staging');
    expect(results.map((r) => r.value)).toEqual([target.id]);
    expect(results[0]!.title).toContain('api-staging-1');
    expect(await search(dataset, 'no-such-thing-%_')).toEqual([]);

    // Submitting the picker: the resize question for that instance is posted in the chat.
    const data = picker.submit.data as Record<string, unknown>;
    const picked = await h.click(DAVE, DAVE_CHAT, String(picker.submit.verb), { ...data, resource: target.id });
    expect(picked.status).toBe(200);
    const sizes = h.fake.messages(DAVE_CHAT).at(-1)!;
    expect(dump(sizes)).toMatch(/Resize api-staging-1 \(now t3\.medium\): pick a size/);
    const resize = form(sizes, 'Choose size…');
    expect(resize.inputs.find((e) => e.id === 'size')).toMatchObject({ type: 'Input.ChoiceSet', isRequired: true });

    // A size the instance already has: the card comes back to the clicker with the message on the field.
    const posted = h.fake.messages(DAVE_CHAT).length;
    const invalid = await h.click(DAVE, DAVE_CHAT, String(resize.submit.verb), {
      ...(resize.submit.data as Record<string, unknown>),
      size: 't3.medium',
    });
    expect(invalid.status).toBe(200);
    expect(invalid.json.type).toBe('application/vnd.microsoft.card.adaptive');
    const els = walk((invalid.json.value as El).body);
    const sizeInput = els.find((e) => e.id === 'size')!;
    expect(sizeInput).toMatchObject({ type: 'Input.ChoiceSet', value: 't3.medium' });
    expect(String(sizeInput.errorMessage)).toMatch(/already t3\.medium/);
    expect(els.some((e) => e.type === 'TextBlock' && /⚠.*already t3\.medium/.test(String(e.text)))).toBe(true);
    // Nothing posted for everyone, no change filed.
    expect(h.fake.messages(DAVE_CHAT)).toHaveLength(posted);
    expect((await h.app.changes.list()).filter((c) => c.plan.action === 'resize')).toEqual([]);
  });
});
