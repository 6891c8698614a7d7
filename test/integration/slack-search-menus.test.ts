import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { blockSuggestionPayload, interactivityForm } from '../helpers/slack-sign.ts';
import { ALICE, DAVE, OPS, startSlackHarness, type SlackHarness } from '../fixtures/slack-harness.ts';

/**
 * "stop" without a resource: the bot asks which, in a modal whose menu searches the inventory as
 * the user types (external_select, options served at /slack/events as block_suggestion).
 */
let h: SlackHarness;
beforeAll(async () => {
  h = await startSlackHarness();
}, 60_000);
afterAll(async () => {
  await h?.stop();
});

interface ViewBlock {
  block_id: string;
  element: { type: string; action_id: string; min_query_length?: number };
}

const openPicker = async (user: string, command: string) => {
  const { ts } = await h.mention(user, command);
  const question = h.botMessages(OPS).find((m) => m.threadTs === ts)!;
  expect(question.text).toMatch(/Which instance should I/);
  await h.click(user, question, 'Choose instance…');
  const view = h.fake.openedViews.at(-1)!.view;
  const field = (view.blocks as ViewBlock[]).find((b) => b.block_id === 'f:resource')!;
  return { ts, view, field };
};

const suggest = async (user: string, field: ViewBlock, view: Record<string, unknown>, value: string) => {
  const payload = blockSuggestionPayload({
    userId: user,
    actionId: field.element.action_id,
    blockId: field.block_id,
    value,
    privateMetadata: String(view.private_metadata),
  });
  const answer = await h.send({ form: interactivityForm(payload) });
  expect(answer.status).toBe(200);
  return (answer.json?.options ?? []) as Array<{ text: { type: string; text: string }; value: string }>;
};

const instance = (name: string) => h.app.sandbox!.fleet.instances.find((i) => i.tags.Name === name)!;

describe('search menus in Slack modals', () => {
  it('stop with no resource: the menu lists only instances that can stop, filtered by what is typed; the pick files the change', async () => {
    const { ts, view, field } = await openPicker(DAVE, 'stop');
    expect(field.element).toMatchObject({ type: 'external_select', min_query_length: 0 });

    const all = await suggest(DAVE, field, view, '');
    expect(all.length).toBeGreaterThan(5);
    // Both seeded AWS accounts' instances (the second reached through its role).
    const running = [...h.app.sandbox!.fleets.values()]
      .flatMap((f) => f.instances)
      .filter((i) => i.state === 'running')
      .map((i) => i.id);
    expect(all.every((o) => running.includes(o.value))).toBe(true);
    expect(all.every((o) => o.text.type === 'plain_text' && o.text.text.length <= 75)).toBe(true);

    const dev = await suggest(DAVE, field, view, 'WEB-DEV');
    expect(dev.length).toBeGreaterThan(0);
    expect(dev.every((o) => o.text.text.toLowerCase().includes('web-dev'))).toBe(true);
    // By id too, and nothing for what matches nothing.
    const target = instance('web-dev-1');
    expect((await suggest(DAVE, field, view, target.id.slice(0, 8))).map((o) => o.value)).toContain(target.id);
    expect(await suggest(DAVE, field, view, 'no-such-thing-%_')).toEqual([]);

    const submitted = await h.submit(DAVE, view, {
      'f:resource': { [field.element.action_id]: { picked: target.id, from: 'external_select' } },
    });
    expect(submitted.text).toBe('');
    // A dev stop is auto-approved: it ran, and the card is in the thread where Dave asked.
    expect(
      h.app.sandbox!.requests.filter(
        (r) => r.action === 'StopInstances' && Object.values(r.params).includes(target.id),
      ),
    ).toHaveLength(1);
    expect(
      h.botMessages(OPS).some((m) => m.threadTs === ts && /^CR-\d+ /.test(m.text) && m.text.includes('web-dev-1')),
    ).toBe(true);
  });

  it('resize with no resource: the pick leads to the size picker of that instance', async () => {
    const { ts, view, field } = await openPicker(ALICE, 'resize');
    const options = await suggest(ALICE, field, view, 'api-staging');
    expect(options.map((o) => o.value)).toEqual([instance('api-staging-1').id]);
    await h.submit(ALICE, view, {
      'f:resource': { [field.element.action_id]: { picked: options[0]!.value, from: 'external_select' } },
    });
    const sizes = h
      .botMessages(OPS)
      .filter((m) => m.threadTs === ts)
      .at(-1)!;
    expect(sizes.text).toMatch(/Resize api-staging-1 \(now t3\.medium\): pick a size/);
  });

  it('answers an unknown source or a malformed suggestion with no options, never an error', async () => {
    const forged = blockSuggestionPayload({
      userId: DAVE,
      actionId: 'o:secrets?all=1',
      blockId: 'f:resource',
      value: 'x',
    });
    const r = await h.send({ form: interactivityForm(forged) });
    expect([r.status, r.json]).toEqual([200, { options: [] }]);
    const notOurs = blockSuggestionPayload({ userId: DAVE, actionId: 'value', blockId: 'f:resource', value: 'x' });
    expect((await h.send({ form: interactivityForm(notOurs) })).json).toEqual({ options: [] });
    const noUser = await h.send({
      form: interactivityForm({ type: 'block_suggestion', action_id: 'o:resources', value: 'x' }),
    });
    expect(noUser.status).toBe(400);
  });
});
