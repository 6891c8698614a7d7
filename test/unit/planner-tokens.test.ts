import { describe, expect, test } from '@jest/globals';
import { normalizeChangeId, normalizeResource } from '../../src/engine/planner/args.ts';
import { closest, editDistance, typoBudget } from '../../src/chat/suggest.ts';
import { cleanInput, replaceToken, tokenize } from '../../src/engine/planner/tokens.ts';

describe('editDistance', () => {
  test.each([
    ['', '', 0],
    ['list', 'list', 0],
    ['', 'abc', 3],
    ['abc', '', 3],
    ['lst', 'list', 1],
    ['stpo', 'stop', 1],
    ['aprove', 'approve', 1],
    ['instanses', 'instances', 1],
    ['kitten', 'sitting', 3],
    ['ca', 'abc', 3],
  ])('%j ↔ %j = %d', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });
});

describe('closest', () => {
  test('finds a near word and ignores far ones', () => {
    expect(closest('lst', ['help', 'list', 'show'])).toBe('list');
    expect(closest('zzzz', ['help', 'list', 'show'])).toBeUndefined();
  });
  test('short words need an exact match', () => {
    expect(typoBudget(2)).toBe(0);
    expect(closest('ls', ['list'])).toBeUndefined();
  });
  test('ties go to the first candidate, so read-only commands win', () => {
    expect(closest('shop', ['show', 'stop'])).toBe('show');
  });
  test('is case-insensitive and honours an explicit budget', () => {
    expect(closest('LIST', ['list'])).toBe('list');
    expect(closest('lsit', ['list'], 0)).toBeUndefined();
  });
});

describe('cleanInput', () => {
  test.each([
    ['<@U0BOT> list', 'list'],
    ['<@U0BOT|bot>, <@U0BOT> list', 'list'],
    ['@devops: list', 'list'],
    ['<at>DevOps Agent</at> list', 'list'],
    ['  list \t  instances ', 'list instances'],
    ['list instances?!...', 'list instances'],
    ['please list instances, thanks!', 'list instances'],
    ['`list instances`', 'list instances'],
    ['list\u0000instances', 'list instances'],
    ['show "web-1."', 'show "web-1."'],
  ])('%j → %j', (raw, clean) => expect(cleanInput(raw)).toBe(clean));
});

describe('tokenize', () => {
  test('keeps quoted names whole and marks them', () => {
    const [cmd, name] = tokenize('show "web server 1"');
    expect(cmd).toMatchObject({ text: 'show', lower: 'show', quoted: false });
    expect(name).toMatchObject({ text: 'web server 1', quoted: true });
  });
  test('reads curly, single and back quotes; an unclosed quote runs to the end', () => {
    expect(tokenize('a “b c” ‘d e’ `f g` "h i').map((t) => t.text)).toEqual(['a', 'b c', 'd e', 'f g', 'h i']);
  });
  test('keeps apostrophes inside words', () => {
    expect(tokenize("don't stop").map((t) => t.text)).toEqual(["don't", 'stop']);
  });
  test('splits = into its own token', () => {
    expect(tokenize('env=prod x = y').map((t) => t.text)).toEqual(['env', '=', 'prod', 'x', '=', 'y']);
  });
  test('reads Slack mentions as user ids and links as their label', () => {
    const [m, n, link, bare] = tokenize('<@u12ab> <@W9|alice> <http://web.example.com|web.example.com> <https://x.io>');
    expect(m).toMatchObject({ mentionId: 'U12AB', text: '<@u12ab>' });
    expect(n).toMatchObject({ mentionId: 'W9' });
    expect(link).toMatchObject({ text: 'web.example.com', quoted: false });
    expect(bare).toMatchObject({ text: 'x.io' });
  });
  test('reads a Teams mention as a quoted name; other angle text stays plain', () => {
    expect(tokenize('<at>Bob Jones</at> <b>').map((t) => [t.text, t.quoted])).toEqual([
      ['Bob Jones', true],
      ['<b>', false],
    ]);
  });
  test('offsets point into the text, so a token can be replaced in place', () => {
    const text = 'list  "my vms" instanses';
    const t = tokenize(text)[2];
    expect(t && text.slice(t.start, t.end)).toBe('instanses');
    expect(t && replaceToken(text, t, 'instances')).toBe('list  "my vms" instances');
  });
  test('drops empty quotes', () => {
    expect(tokenize('show ""').map((t) => t.text)).toEqual(['show']);
  });
});

describe('argument normalizers', () => {
  test.each([
    ['CR-12', 'CR-12'],
    ['cr-12', 'CR-12'],
    ['cr12', 'CR-12'],
    ['12', 'CR-12'],
    ['#12', 'CR-12'],
    ['#cr-12', 'CR-12'],
    ['CR#12', 'CR-12'],
    ['CR-0012', 'CR-12'],
    ['cr 12', 'CR-12'],
    ['CR-0', undefined],
    ['0', undefined],
    ['CR-', undefined],
    ['CR-1a', undefined],
    ['web-1', undefined],
    ['-12', 'CR-12'],
    ['1234567890', undefined],
    ['', undefined],
  ])('change id %j → %j', (raw, id) => expect(normalizeChangeId(raw)).toBe(id));

  test.each([
    ['I-0ABC1234', 'i-0abc1234'],
    ['VOL-0123456789ABCDEF0', 'vol-0123456789abcdef0'],
    ['Web-1', 'Web-1'],
    ['sg-xyz', 'sg-xyz'],
  ])('resource %j → %j', (raw, ref) => expect(normalizeResource(raw)).toBe(ref));
});
