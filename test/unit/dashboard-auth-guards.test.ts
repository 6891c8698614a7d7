import { describe, expect, it } from '@jest/globals';
import { forwardedHttps, isLoopbackName, serializeCookie } from '../../src/http/cookies.ts';
import { HttpError } from '../../src/http/errors.ts';
import {
  defaultNext,
  ownOrigin,
  requireCsrfToken,
  requireSameOrigin,
  safeNext,
} from '../../src/surfaces/dashboard/auth/guards.ts';

const refusal = (f: () => void): string => {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).status).toBe(403);
    return (err as HttpError).message;
  }
  throw new Error('expected a 403');
};

describe('next: a local path only', () => {
  it.each([
    ['/dashboard/costs?month=2026-11', '/dashboard/costs?month=2026-11'],
    ['/dashboard#approvals', '/dashboard#approvals'],
    ['/dashboard/../auth/sign-in', '/auth/sign-in'],
  ])('keeps %s', (given, kept) => expect(safeNext(given)).toBe(kept));

  it.each([
    '//evil.example/x',
    '/\\evil.example',
    'https://evil.example/',
    'javascript:alert(1)',
    'evil.example',
    '/dash\nboard',
    '/\tevil',
    '',
    `/${'a'.repeat(2_001)}`,
  ])('replaces %j by the dashboard', (given) => expect(safeNext(given)).toBe(defaultNext));

  it('treats a missing next as the dashboard', () => {
    expect(safeNext(null)).toBe(defaultNext);
    expect(safeNext(undefined)).toBe(defaultNext);
  });
});

describe('same origin', () => {
  const ours = 'https://agent.example.com';
  it('accepts our Origin, or our Referer when no Origin is sent', () => {
    expect(() => requireSameOrigin({ origin: ours }, ours)).not.toThrow();
    expect(() => requireSameOrigin({ referer: `${ours}/dashboard?x=1` }, ours)).not.toThrow();
  });
  it('refuses another site, a null origin, a look-alike, or neither header', () => {
    expect(refusal(() => requireSameOrigin({ origin: 'https://evil.example' }, ours))).toMatch(
      /another site \(Origin https:\/\/evil.example\); actions are accepted only from https:\/\/agent.example.com/,
    );
    refusal(() => requireSameOrigin({ origin: 'null' }, ours));
    refusal(() => requireSameOrigin({ origin: 'https://agent.example.com.evil.example' }, ours));
    refusal(() => requireSameOrigin({ origin: 'http://agent.example.com' }, ours));
    refusal(() => requireSameOrigin({ referer: 'https://evil.example/agent.example.com' }, ours));
    expect(refusal(() => requireSameOrigin({}, ours))).toMatch(/must carry an Origin or Referer header/);
  });
  it('derives our origin from PUBLIC_URL, else from the Host and the forwarded scheme', () => {
    expect(ownOrigin(new URL('https://agent.example.com/'), { host: 'other' })).toBe(ours);
    expect(ownOrigin(undefined, { host: '127.0.0.1:3000' })).toBe('http://127.0.0.1:3000');
    expect(ownOrigin(undefined, { host: 'Agent.Example.com', 'x-forwarded-proto': 'https' })).toBe(ours);
  });
});

describe('CSRF token', () => {
  const body = (s: string) => Buffer.from(s);
  it('takes the header, or the csrf field of a form', () => {
    expect(() => requireCsrfToken({ headers: { 'x-csrf-token': 'tok' }, rawBody: body('') }, 'tok')).not.toThrow();
    expect(() =>
      requireCsrfToken(
        { headers: { 'content-type': 'application/x-www-form-urlencoded' }, rawBody: body('a=1&csrf=tok') },
        'tok',
      ),
    ).not.toThrow();
  });
  it('refuses a missing or wrong token, and ignores a csrf field outside a form', () => {
    expect(refusal(() => requireCsrfToken({ headers: {}, rawBody: body('') }, 'tok'))).toMatch(/needs the CSRF token/);
    expect(refusal(() => requireCsrfToken({ headers: { 'x-csrf-token': 'tok2' }, rawBody: body('') }, 'tok'))).toMatch(
      /does not match/,
    );
    refusal(() =>
      requireCsrfToken({ headers: { 'content-type': 'application/json' }, rawBody: body('{"csrf":"tok"}') }, 'tok'),
    );
  });
});

describe('cookie helpers', () => {
  it('writes HttpOnly cookies with the given SameSite, path, age and Secure', () => {
    expect(serializeCookie('a', 'b c', { sameSite: 'Lax', secure: false })).toBe(
      'a=b%20c; Path=/; HttpOnly; SameSite=Lax',
    );
    expect(serializeCookie('a', 'x', { sameSite: 'Strict', secure: true, maxAge: 0, path: '/auth/' })).toBe(
      'a=x; Path=/auth/; HttpOnly; SameSite=Strict; Max-Age=0; Secure',
    );
  });
  it('knows loopback names and a forwarded https', () => {
    expect(['localhost', '127.0.0.1', '127.9.9.9', '[::1]', '::1'].every(isLoopbackName)).toBe(true);
    expect(['127.0.0.1.evil.example', 'example.com', '10.0.0.1'].some(isLoopbackName)).toBe(false);
    expect(forwardedHttps({ 'x-forwarded-proto': 'https, http' })).toBe(true);
    expect(forwardedHttps({ 'x-forwarded-proto': 'http' })).toBe(false);
    expect(forwardedHttps({})).toBe(false);
  });
});
