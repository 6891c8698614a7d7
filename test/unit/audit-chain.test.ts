import { createHash } from 'node:crypto';
import { describe, expect, test } from '@jest/globals';
import { auditHash, GENESIS_HASH } from '../../src/changes/audit.ts';
import { canonicalJson, toJsonValue } from '../../src/util/canonical-json.ts';

describe('canonicalJson', () => {
  test('sorts keys at every depth and drops whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });

  test('key order does not change the bytes', () => {
    expect(canonicalJson({ x: 1, y: { p: true, q: null } })).toBe(canonicalJson({ y: { q: null, p: true }, x: 1 }));
  });

  test('dates become ISO strings; undefined members vanish; undefined in arrays is null', () => {
    const at = new Date('2026-11-02T10:04:05.123Z');
    expect(canonicalJson({ at, gone: undefined, list: [undefined, 1] })).toBe(
      '{"at":"2026-11-02T10:04:05.123Z","list":[null,1]}',
    );
    expect(toJsonValue({ at })).toEqual({ at: '2026-11-02T10:04:05.123Z' });
  });

  test('escapes strings the JSON way', () => {
    expect(canonicalJson({ 'k"': 'line\nbreak "quoted" é' })).toBe('{"k\\"":"line\\nbreak \\"quoted\\" é"}');
  });

  test('refuses values JSON would silently change', () => {
    expect(() => canonicalJson(Number.NaN)).toThrow(/non-finite/);
    expect(() => canonicalJson({ n: Infinity })).toThrow(/non-finite/);
    expect(() => canonicalJson(10n)).toThrow(/bigint/);
    expect(() => canonicalJson(new Date('nope'))).toThrow(/invalid Date/);
  });
});

describe('auditHash', () => {
  const event = {
    at: new Date('2026-11-02T10:00:00Z'),
    type: 'change.requested',
    actorKey: 'slack:T1:alice',
    subject: 'CR-1',
    data: { b: 2, a: 1 },
  };

  test('is sha256 of prevHash followed by the canonical event', () => {
    const expected = createHash('sha256')
      .update(
        `${GENESIS_HASH}{"actorKey":"slack:T1:alice","at":"2026-11-02T10:00:00.000Z","data":{"a":1,"b":2},"subject":"CR-1","type":"change.requested"}`,
      )
      .digest('hex');
    expect(GENESIS_HASH).toBe('0'.repeat(64));
    expect(auditHash(GENESIS_HASH, event)).toBe(expected);
  });

  test('chains: any change to the event or its predecessor changes the hash', () => {
    const h1 = auditHash(GENESIS_HASH, event);
    const h2 = auditHash(h1, { ...event, subject: 'CR-2' });
    expect(auditHash(h1, { ...event, subject: 'CR-2' })).toBe(h2);
    expect(auditHash(GENESIS_HASH, { ...event, subject: 'CR-2' })).not.toBe(h2);
    expect(auditHash(h1, { ...event, subject: 'CR-2', data: { a: 1, b: 3 } })).not.toBe(h2);
    expect(auditHash(h1, { ...event, subject: 'CR-2', at: new Date('2026-11-02T10:00:00.001Z') })).not.toBe(h2);
  });
});
