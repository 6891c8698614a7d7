import { describe, expect, it } from '@jest/globals';
import { createSecretBox, decodeEncryptionKey, SecretBoxError } from '../../src/store/secret-box.ts';

/** AES-256-GCM for secrets at rest: round trip, and every kind of wrong input refused. */
const KEY = Buffer.alloc(32, 7).toString('base64');
const OTHER = Buffer.alloc(32, 9).toString('base64');
const SECRET = JSON.stringify({ bot: { token: 'xoxb-123-456-secret' }, team: { id: 'T0FAKE0001' } });

const reasonOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    if (e instanceof SecretBoxError) return e.reason;
    throw e;
  }
  throw new Error('expected a SecretBoxError');
};

/** Flips one bit of the base64url part `index` (2 = IV, 3 = tag, 4 = ciphertext). */
const flip = (sealed: string, index: number): string => {
  const parts = sealed.split(':');
  const bytes = Buffer.from(parts[index]!, 'base64url');
  bytes[0] = bytes[0]! ^ 1;
  parts[index] = bytes.toString('base64url');
  return parts.join(':');
};

describe('secret box', () => {
  it('round-trips, with the version and key id in front and nothing of the plaintext readable', () => {
    const box = createSecretBox(KEY);
    const sealed = box.seal(SECRET, 'team:T0FAKE0001');
    expect(sealed).toMatch(/^v1:[0-9a-f]{8}:[\w-]{16}:[\w-]{22}:[\w-]+$/);
    expect(sealed.startsWith(`v1:${box.keyId}:`)).toBe(true);
    expect(sealed).not.toContain('xoxb');
    expect(Buffer.from(sealed.split(':')[4]!, 'base64url').toString('latin1')).not.toContain('xoxb');
    expect(box.isSealed(sealed)).toBe(true);
    expect(box.isSealed(SECRET)).toBe(false);
    expect(box.open(sealed, 'team:T0FAKE0001')).toBe(SECRET);
    // A fresh IV every time: equal secrets do not look equal.
    expect(box.seal(SECRET, 'team:T0FAKE0001')).not.toBe(sealed);
    expect(box.open(box.seal('', 'x'), 'x')).toBe('');
    // Another process with the same key opens it.
    expect(createSecretBox(KEY).open(sealed, 'team:T0FAKE0001')).toBe(SECRET);
  });

  it('refuses a value altered anywhere: IV, tag, ciphertext, truncation', () => {
    const box = createSecretBox(KEY);
    const sealed = box.seal(SECRET, 'ctx');
    for (const i of [2, 3, 4]) expect(reasonOf(() => box.open(flip(sealed, i), 'ctx'))).toBe('damaged');
    expect(reasonOf(() => box.open(sealed.slice(0, -4), 'ctx'))).toBe('damaged');
    expect(reasonOf(() => box.open(sealed.replace(/^v1:/, 'v2:'), 'ctx'))).toBe('format');
    expect(reasonOf(() => box.open(SECRET, 'ctx'))).toBe('format');
    expect(reasonOf(() => box.open('v1:abc', 'ctx'))).toBe('format');
  });

  it('refuses a value sealed for another record (context)', () => {
    const box = createSecretBox(KEY);
    expect(reasonOf(() => box.open(box.seal(SECRET, 'team:T0AAA'), 'team:T0BBB'))).toBe('damaged');
  });

  it('refuses another key, saying so (also when the key id is forged to match)', () => {
    const sealed = createSecretBox(OTHER).seal(SECRET, 'ctx');
    const box = createSecretBox(KEY);
    expect(reasonOf(() => box.open(sealed, 'ctx'))).toBe('wrong-key');
    expect(() => box.open(sealed, 'ctx')).toThrow(/another key/);
    const forged = sealed
      .split(':')
      .map((p, i) => (i === 1 ? box.keyId : p))
      .join(':');
    expect(reasonOf(() => box.open(forged, 'ctx'))).toBe('damaged');
  });

  it('accepts only base64 of exactly 32 bytes as the key', () => {
    expect(decodeEncryptionKey(KEY)).toBeInstanceOf(Buffer);
    expect(decodeEncryptionKey(KEY.replace(/=$/, ''))).toBeInstanceOf(Buffer);
    expect(decodeEncryptionKey(Buffer.alloc(16).toString('base64'))).toMatch(/exactly 32 bytes, got 16/);
    expect(decodeEncryptionKey(Buffer.alloc(33).toString('base64'))).toMatch(/exactly 32 bytes, got 33/);
    expect(decodeEncryptionKey('not base64 at all!')).toMatch(/must be base64/);
    expect(decodeEncryptionKey(Buffer.alloc(32).toString('hex'))).toMatch(/exactly 32 bytes, got 48/);
    expect(() => createSecretBox('short')).toThrow(/TOKEN_ENCRYPTION_KEY must be base64/);
  });
});
