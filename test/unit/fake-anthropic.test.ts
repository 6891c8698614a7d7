/**
 * The Anthropic wire fake (test/fakes/anthropic/), driven only through the real @anthropic-ai/sdk:
 * if the SDK parses what the fake sends and the fake refuses what the real API refuses, a planner
 * tested against it talks to the real API the same way.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import Anthropic, {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  AuthenticationError,
  BadRequestError,
  OverloadedError,
} from '@anthropic-ai/sdk';
import {
  callTools,
  lastUserText,
  reply,
  startAnthropicFake,
  text,
  thinking,
  toolResults,
  toolUse,
  type AnthropicFake,
} from '../fakes/anthropic/index.ts';

const MODEL = 'claude-sonnet-5-5';
const KEY = 'sk-ant-test-key';
const LIST_TOOL: Anthropic.Tool = {
  name: 'list_instances',
  description: 'List the instances of a region.',
  input_schema: { type: 'object', properties: { region: { type: 'string' } }, required: ['region'] },
};

type Body = Anthropic.MessageCreateParamsNonStreaming;
type Msg = Anthropic.MessageParam;

/** The fake's token rule, written out independently: ceil(chars / 4) of JSON with sorted keys. */
const tokensOfText = (t: string): number => Math.ceil(JSON.stringify({ text: t, type: 'text' }).length / 4);

describe('Anthropic wire fake', () => {
  let fake: AnthropicFake;
  let clock = 1_700_000_000_000;
  let client: Anthropic;

  beforeAll(async () => {
    fake = await startAnthropicFake({ apiKeys: [KEY], now: () => clock });
    client = new Anthropic({ apiKey: KEY, baseURL: fake.url, maxRetries: 0 });
  });
  afterAll(() => fake.close());
  beforeEach(() => {
    fake.reset();
    fake.fallback(undefined);
  });

  const ask = (content: string): Body => ({ model: MODEL, max_tokens: 256, messages: [{ role: 'user', content }] });

  it('runs a tool_use round trip: the tool call, then an answer computed from the tool result', async () => {
    fake.script(callTools(text('Let me look.'), toolUse('list_instances', { region: 'eu-west-1' })), (req) =>
      reply(text(`Found: ${toolResults(req)[0]?.content}`)),
    );
    const first: Msg = { role: 'user', content: 'What runs in eu-west-1?' };
    const call = await client.messages.create({ ...ask(''), messages: [first], tools: [LIST_TOOL] });
    expect(call).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: MODEL,
      stop_reason: 'tool_use',
      stop_sequence: null,
      content: [
        { type: 'text', text: 'Let me look.' },
        { type: 'tool_use', id: 'toolu_fake_1', name: 'list_instances', input: { region: 'eu-west-1' } },
      ],
    });
    expect(call.id).toMatch(/^msg_fake_/);
    expect(call._request_id).toMatch(/^req_fake_/);

    const answer = await client.messages.create({
      ...ask(''),
      tools: [LIST_TOOL],
      messages: [
        first,
        { role: 'assistant', content: call.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_fake_1', content: 'i-1 web (running)' }] },
      ],
    });
    expect(answer.stop_reason).toBe('end_turn');
    expect(answer.content).toEqual([{ type: 'text', text: 'Found: i-1 web (running)' }]);
    expect(fake.pending()).toBe(0);
    expect(fake.requests.map((r) => [r.method, r.path, r.stream, r.response.status])).toEqual([
      ['POST', '/v1/messages', false, 200],
      ['POST', '/v1/messages', false, 200],
    ]);
    expect(fake.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(fake.requests[0]?.headers['anthropic-version']).toBeTruthy();
    expect(fake.requests[1]?.response.usage?.output_tokens).toBe(tokensOfText('Found: i-1 web (running)'));
  });

  it('streams thinking, text and tool_use: text events, finalMessage, and the thinking block accepted back', async () => {
    const input = { region: 'eu-west-1', tags: { env: 'prod', team: 'ops' } };
    fake.script(
      callTools(
        thinking('The user wants the fleet.'),
        text('Checking the fleet now.'),
        toolUse('list_instances', input),
      ),
      (req) => reply(text(`ok ${toolResults(req).length}`)),
    );
    const stream = client.messages.stream({ ...ask('Show prod'), tools: [LIST_TOOL] });
    const texts: string[] = [];
    stream.on('text', (delta) => void texts.push(delta));
    const final = await stream.finalMessage();
    expect(texts.length).toBeGreaterThan(1);
    expect(texts.join('')).toBe('Checking the fleet now.');
    expect(final.stop_reason).toBe('tool_use');
    expect(final.content).toEqual([
      { type: 'thinking', thinking: 'The user wants the fleet.', signature: expect.stringMatching(/^fakesig_/) },
      { type: 'text', text: 'Checking the fleet now.' },
      { type: 'tool_use', id: 'toolu_fake_1', name: 'list_instances', input },
    ]);
    expect(final.usage.output_tokens).toBeGreaterThan(1);
    expect(final.usage).toEqual(expect.objectContaining(fake.requests[0]?.response.usage ?? {}));
    expect(fake.requests[0]?.stream).toBe(true);

    const next = await client.messages
      .stream({
        ...ask(''),
        tools: [LIST_TOOL],
        messages: [
          { role: 'user', content: 'Show prod' },
          { role: 'assistant', content: final.content },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_fake_1', content: '[]' }] },
        ],
      })
      .finalMessage();
    expect(next.content).toEqual([{ type: 'text', text: 'ok 1' }]);
  });

  it('lets the SDK retry a 429 (retry-after) and a 529, then succeed', async () => {
    fake.script(
      { kind: 'error', status: 429, retryAfterSeconds: 0.001 },
      { kind: 'error', status: 529, retryAfterSeconds: 0.001 },
      reply(text('third time')),
    );
    const msg = await client.messages.create(ask('hi'), { maxRetries: 2 });
    expect(msg.content).toEqual([{ type: 'text', text: 'third time' }]);
    expect(fake.requests.map((r) => [r.response.status, r.headers['x-stainless-retry-count']])).toEqual([
      [429, '0'],
      [529, '1'],
      [200, '2'],
    ]);
  });

  it('answers errors in the API envelope, with retry-after and x-should-retry for the SDK to obey', async () => {
    fake.script({ kind: 'error', status: 529, retryAfterSeconds: 0.001 }, { kind: 'error', status: 529 });
    const overloaded = await client.messages.create(ask('hi'), { maxRetries: 1 }).catch((e: unknown) => e);
    expect(overloaded).toBeInstanceOf(OverloadedError);
    expect(overloaded).toMatchObject({
      status: 529,
      type: 'overloaded_error',
      error: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
    });
    expect((overloaded as APIError).requestID).toMatch(/^req_fake_/);

    // x-should-retry: false overrides the SDK's "retry every 5xx".
    fake.script({ kind: 'error', status: 500, shouldRetry: false }, reply(text('never sent')));
    const failed = await client.messages.create(ask('hi'), { maxRetries: 2 }).catch((e: unknown) => e);
    expect(failed).toMatchObject({ status: 500, type: 'api_error' });
    expect(fake.pending()).toBe(1);

    // And with nothing scripted the fallback fails loudly, until a test sets its own.
    fake.reset();
    await expect(client.messages.create(ask('hi'))).rejects.toMatchObject({
      status: 500,
      error: { error: { message: 'no scripted answer' } },
    });
    fake.fallback(reply(text('always')));
    expect((await client.messages.create(ask('a'))).content).toEqual([{ type: 'text', text: 'always' }]);
    expect((await client.messages.create(ask('b'))).content).toEqual([{ type: 'text', text: 'always' }]);
  });

  it('makes the SDK fail on malformed JSON and on a truncated answer', async () => {
    fake.script({ kind: 'raw', body: '{"id":"msg_1","type":"mess' });
    // SyntaxError from response.json(), of the fetch realm (so not `instanceof` jest's SyntaxError).
    await expect(client.messages.create(ask('hi'))).rejects.toMatchObject({ name: 'SyntaxError' });

    fake.script({ kind: 'truncated-stream', content: [text('First block.'), text('The second block is cut.')] });
    const stream = client.messages.stream(ask('hi'));
    const seen: string[] = [];
    stream.on('text', (delta) => void seen.push(delta));
    await expect(stream.finalMessage()).rejects.toThrow();
    expect(seen.join('')).toMatch(/^First block\.The/);
    expect(fake.requests[1]?.response.status).toBe(200);

    fake.script({ kind: 'truncated-stream', content: [text('Not streamed, cut anyway.')] });
    await expect(client.messages.create(ask('hi'))).rejects.toThrow();
  });

  it('leaves a hanging request to the client timeout, and close() ends the ones still open', async () => {
    fake.script({ kind: 'hang' });
    // No retry (a retried attempt could reach the fake during the next test and take its step), and
    // a timeout long enough for a loaded machine to deliver the request before the client gives up.
    await expect(client.messages.create(ask('hi'), { timeout: 1_000, maxRetries: 0 })).rejects.toBeInstanceOf(
      APIConnectionTimeoutError,
    );
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]?.response.status).toBe(0);

    const other = await startAnthropicFake();
    other.script({ kind: 'hang' });
    const pending = new Anthropic({ apiKey: 'any', baseURL: other.url, maxRetries: 0 }).messages.create(ask('hi'));
    while (other.requests.length === 0) await new Promise((r) => setImmediate(r));
    await other.close();
    await expect(pending).rejects.toBeInstanceOf(APIConnectionError);
  });

  it('authenticates: a wrong key is 401 authentication_error; x-api-key works as well as Bearer', async () => {
    fake.script(reply(text('never')));
    const wrong = new Anthropic({ apiKey: 'sk-ant-wrong', baseURL: fake.url, maxRetries: 0 });
    const err = await wrong.messages.create(ask('hi')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err).toMatchObject({
      status: 401,
      error: { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } },
    });
    expect((err as APIError).requestID).toMatch(/^req_fake_/);
    expect(fake.pending()).toBe(1);

    const byHeader = new Anthropic({
      apiKey: null,
      baseURL: fake.url,
      maxRetries: 0,
      defaultHeaders: { 'x-api-key': KEY },
    });
    expect((await byHeader.messages.create(ask('hi'))).content).toEqual([{ type: 'text', text: 'never' }]);
    expect(fake.requests[1]?.headers['x-api-key']).toBe(KEY);
    expect(fake.requests[1]?.headers.authorization).toBeUndefined();
  });

  describe('refuses what the real API refuses, with 400 invalid_request_error', () => {
    const toolTurn = (useIds: string[], resultIds: string[]): Msg[] => [
      { role: 'user', content: 'go' },
      {
        role: 'assistant',
        content: useIds.map((id) => ({ type: 'tool_use' as const, id, name: 'list_instances', input: {} })),
      },
      {
        role: 'user',
        content: resultIds.map((id) => ({ type: 'tool_result' as const, tool_use_id: id, content: 'x' })),
      },
    ];
    const cached = (t: string) => ({ type: 'text' as const, text: t, cache_control: { type: 'ephemeral' as const } });
    const base: Record<string, unknown> = { ...ask('hi') };
    const cases: Array<[string, Record<string, unknown>, string | RegExp]> = [
      ['model missing', { ...base, model: undefined }, 'model: Field required'],
      ['max_tokens missing', { ...base, max_tokens: undefined }, 'max_tokens: Field required'],
      ['max_tokens zero', { ...base, max_tokens: 0 }, 'max_tokens: Input should be greater than or equal to 1'],
      ['max_tokens not an integer', { ...base, max_tokens: 1.5 }, 'max_tokens: Input should be a valid integer'],
      ['no messages', { ...base, messages: [] }, 'messages: at least one message is required'],
      [
        'first message from the assistant',
        { ...base, messages: [{ role: 'assistant', content: 'hello' }] },
        'messages: first message must use the "user" role',
      ],
      [
        'roles not alternating',
        {
          ...base,
          messages: [
            { role: 'user', content: 'a' },
            { role: 'user', content: 'b' },
          ],
        },
        /roles must alternate between "user" and "assistant", but found multiple "user" roles in a row/,
      ],
      [
        'an empty message',
        {
          ...base,
          messages: [
            { role: 'user', content: 'a' },
            { role: 'assistant', content: [] },
            { role: 'user', content: 'b' },
          ],
        },
        'messages.1: all messages must have non-empty content except for the optional final assistant message',
      ],
      [
        'an empty text block',
        { ...base, messages: [{ role: 'user', content: [{ type: 'text', text: '' }] }] },
        'messages.0: text content blocks must be non-empty',
      ],
      [
        'a tool_result for no tool_use of the previous message',
        { ...base, messages: toolTurn(['toolu_a'], ['toolu_a', 'toolu_zzz']) },
        /^messages\.2\.content\.1: unexpected `tool_use_id` found in `tool_result` blocks: toolu_zzz\./,
      ],
      [
        'a tool_use left without tool_result',
        { ...base, messages: toolTurn(['toolu_a', 'toolu_b'], ['toolu_a']) },
        /^messages\.2: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_b\./,
      ],
      [
        'five cache_control breakpoints',
        {
          ...base,
          tools: [{ ...LIST_TOOL, cache_control: { type: 'ephemeral' } }],
          system: [cached('a'), cached('b')],
          messages: [{ role: 'user', content: [cached('c'), cached('d')] }],
        },
        'A maximum of 4 blocks with cache_control may be provided. Found 5.',
      ],
      [
        'a bad tool name',
        { ...base, tools: [{ ...LIST_TOOL, name: 'list instances!' }] },
        "tools.0.name: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'",
      ],
      ['a duplicated tool name', { ...base, tools: [LIST_TOOL, LIST_TOOL] }, /^tools: Tool names must be unique/],
      [
        'an input_schema that is not an object',
        { ...base, tools: [{ ...LIST_TOOL, input_schema: { type: 'array' } }] },
        "tools.0.input_schema.type: Input should be 'object'",
      ],
      [
        'a thinking block edited before being sent back',
        {
          ...base,
          messages: [
            { role: 'user', content: 'a' },
            { role: 'assistant', content: [{ ...thinking('original'), thinking: 'edited' }] },
            { role: 'user', content: 'b' },
          ],
        },
        'messages.1.content.0: Invalid `signature` in `thinking` block',
      ],
      [
        'an unknown content block type',
        { ...base, messages: [{ role: 'user', content: [{ type: 'video', url: 'x' }] }] },
        /^messages\.0\.content\.0\.type: Input tag does not match any of the expected tags/,
      ],
      [
        'an unknown field in a message',
        { ...base, messages: [{ role: 'user', content: 'a', name: 'bob' }] },
        'messages.0.name: Extra inputs are not permitted',
      ],
    ];

    it.each(cases)('%s', async (_name, body, message) => {
      fake.script(reply(text('should not be consumed')));
      const err = await client.messages.create(body as unknown as Body).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BadRequestError);
      const apiErr = err as BadRequestError;
      expect(apiErr.type).toBe('invalid_request_error');
      expect(apiErr.requestID).toMatch(/^req_fake_/);
      const got = (apiErr.error as { error: { message: string } }).error.message;
      if (typeof message === 'string') expect(got).toBe(message);
      else expect(got).toMatch(message);
      expect(fake.requests).toHaveLength(1);
      expect(fake.requests[0]?.response.status).toBe(400);
      expect(fake.pending()).toBe(1);
    });
  });

  describe('prompt cache accounting', () => {
    const system = 'You are the DevOps Agent planner. '.repeat(160); // ≈ 5,400 chars ≈ 1,350 tokens
    const systemTokens = tokensOfText(system);
    const cachedSystem = [{ type: 'text' as const, text: system, cache_control: { type: 'ephemeral' as const } }];
    const usageOf = (i: number) => fake.requests[i]?.response.usage;

    beforeEach(() => fake.fallback(reply(text('ok'))));

    it('writes a prefix once, reads it on later requests, and lets it expire after 5 minutes', async () => {
      expect(systemTokens).toBeGreaterThanOrEqual(1024);
      const q1 = 'How many instances run?';
      const q2 = 'And in eu-west-1?';
      const m1 = await client.messages.create({ ...ask(q1), system: cachedSystem });
      expect(m1.usage).toMatchObject({
        cache_creation_input_tokens: systemTokens,
        cache_read_input_tokens: 0,
        input_tokens: tokensOfText(q1),
      });

      clock += 4 * 60_000; // within 5 minutes: a read, which refreshes the entry
      const m2 = await client.messages.create({ ...ask(q2), system: cachedSystem });
      expect(m2.usage).toMatchObject({
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: systemTokens,
        input_tokens: tokensOfText(q2),
      });

      clock += 4 * 60_000; // 8 minutes after the write, 4 after the read: still there
      await client.messages.create({ ...ask(q1), system: cachedSystem });
      expect(usageOf(2)).toMatchObject({ cache_read_input_tokens: systemTokens });

      clock += 5 * 60_000 + 1; // idle for more than 5 minutes: gone, written again
      await client.messages.create({ ...ask(q1), system: cachedSystem });
      expect(usageOf(3)).toMatchObject({ cache_creation_input_tokens: systemTokens, cache_read_input_tokens: 0 });

      // Another model has its own cache.
      await client.messages.create({ ...ask(q1), model: 'claude-haiku-5-5', system: cachedSystem });
      expect(usageOf(4)).toMatchObject({ cache_creation_input_tokens: systemTokens, cache_read_input_tokens: 0 });
    });

    it('does not cache a prefix shorter than the minimum', async () => {
      const short = [{ type: 'text' as const, text: 'Be brief.', cache_control: { type: 'ephemeral' as const } }];
      for (let i = 0; i < 2; i++) await client.messages.create({ ...ask('hi'), system: short });
      for (const i of [0, 1])
        expect(usageOf(i)).toMatchObject({
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 0,
          input_tokens: tokensOfText('Be brief.') + tokensOfText('hi'),
        });
    });

    it('follows a conversation whose breakpoint moves forward, and counts tokens the same way', async () => {
      const turn1: Msg[] = [
        { role: 'user', content: [{ type: 'text', text: 'q1', cache_control: { type: 'ephemeral' } }] },
      ];
      await client.messages.create({ ...ask(''), system: cachedSystem, messages: turn1 });
      const prefix1 = systemTokens + tokensOfText('q1');
      expect(usageOf(0)).toMatchObject({ cache_creation_input_tokens: prefix1, input_tokens: 0 });

      // Turn 2: q1 loses its cache_control, the last message gets it; the earlier prefix is found
      // by looking back from the new breakpoint, and only the new part is written.
      const turn2: Msg[] = [
        { role: 'user', content: 'q1' },
        { role: 'assistant', content: 'a1' },
        { role: 'user', content: [{ type: 'text', text: 'q2', cache_control: { type: 'ephemeral' } }] },
      ];
      await client.messages.create({ ...ask(''), system: cachedSystem, messages: turn2 });
      expect(usageOf(1)).toMatchObject({
        cache_read_input_tokens: prefix1,
        cache_creation_input_tokens: tokensOfText('a1') + tokensOfText('q2'),
        input_tokens: 0,
      });

      // A changed system prompt misses everything after it.
      await client.messages.create({
        ...ask(''),
        system: [{ ...cachedSystem[0]!, text: `${system}!` }],
        messages: turn2,
      });
      expect(usageOf(2)).toMatchObject({ cache_read_input_tokens: 0 });

      const count = await client.messages.countTokens({ model: MODEL, system: cachedSystem, messages: turn2 });
      const u = usageOf(1)!;
      expect(count.input_tokens).toBe(u.input_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens);
      expect(fake.requests[3]?.path).toBe('/v1/messages/count_tokens');
    });

    it('keeps a 1-hour breakpoint past 5 minutes, and lets a step override the usage', async () => {
      const hour = [{ ...cachedSystem[0]!, cache_control: { type: 'ephemeral' as const, ttl: '1h' as const } }];
      const m1 = await client.messages.create({ ...ask('a'), system: hour });
      expect(m1.usage.cache_creation).toEqual({
        ephemeral_5m_input_tokens: 0,
        ephemeral_1h_input_tokens: systemTokens,
      });
      clock += 30 * 60_000;
      await client.messages.create({ ...ask('b'), system: hour });
      expect(usageOf(1)).toMatchObject({ cache_read_input_tokens: systemTokens });

      fake.script({ kind: 'message', content: [text('x')], usage: { input_tokens: 7, output_tokens: 3 } });
      const m3 = await client.messages.create(ask('c'));
      expect(m3.usage).toMatchObject({ input_tokens: 7, output_tokens: 3 });
    });
  });

  it('helps function steps read the request', async () => {
    fake.script((req) => reply(text(`echo: ${lastUserText(req)}`)));
    const m = await client.messages.create(ask('ping'));
    expect(m.content).toEqual([{ type: 'text', text: 'echo: ping' }]);
  });
});
