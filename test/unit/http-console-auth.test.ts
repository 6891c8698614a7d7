import { describe, expect, it } from '@jest/globals';
import { bearerToken, cookieValue, isLoopbackHost, tokensMatch } from '../../src/http/cookies.ts';
import { consoleCookieName, isAuthorized, sessionCookie } from '../../src/surfaces/console/auth.ts';

const token = 'a-console-token-of-32-characters';

describe('console token checks', () => {
  it('compares tokens of any length without throwing', () => {
    expect(tokensMatch(token, token)).toBe(true);
    expect(tokensMatch(`${token}x`, token)).toBe(false);
    expect(tokensMatch('', token)).toBe(false);
  });

  it('reads the bearer header and the session cookie', () => {
    expect(bearerToken({ authorization: `Bearer ${token}` })).toBe(token);
    expect(bearerToken({ authorization: `bearer   ${token}  ` })).toBe(token);
    expect(bearerToken({ authorization: `Basic ${token}` })).toBeUndefined();
    expect(cookieValue({ cookie: `a=1; ${consoleCookieName}=${token}; b=2` }, consoleCookieName)).toBe(token);
    expect(cookieValue({ cookie: `x${consoleCookieName}=${token}` }, consoleCookieName)).toBeUndefined();
    expect(cookieValue({ cookie: `${consoleCookieName}=%E0%A4%A` }, consoleCookieName)).toBeUndefined();
  });

  it('without a token authorizes loopback-addressed requests only; with one, only the token', () => {
    expect(isAuthorized(undefined, { host: '127.0.0.1:3000' })).toBe(true);
    expect(isAuthorized(undefined, {})).toBe(false);
    expect(isAuthorized(token, {})).toBe(false);
    expect(isAuthorized(token, { authorization: 'Bearer wrong-token-wrong-token' })).toBe(false);
    expect(isAuthorized(token, { authorization: `Bearer ${token}` })).toBe(true);
    expect(isAuthorized(token, { cookie: `${consoleCookieName}=${token}` })).toBe(true);
  });

  it('sets an HttpOnly SameSite=Strict cookie, Secure behind https', () => {
    expect(sessionCookie(token, false)).toBe(
      `${consoleCookieName}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=604800`,
    );
    expect(sessionCookie(token, true)).toMatch(/; Secure$/);
  });
});

describe('console without a token: loopback Host only (DNS rebinding)', () => {
  it('accepts loopback names with or without a port, refuses anything else', () => {
    for (const host of ['localhost', 'localhost:3000', '127.0.0.1:3000', '127.1.2.3', '[::1]:3000', 'LOCALHOST'])
      expect(isLoopbackHost({ host })).toBe(true);
    for (const host of ['evil.example.com', 'evil.example.com:3000', '127.0.0.1.evil.example.com', '', '10.0.0.1:3000'])
      expect(isLoopbackHost({ host })).toBe(false);
    expect(isAuthorized(undefined, { host: 'attacker.example:3000' })).toBe(false);
    expect(isAuthorized(undefined, { host: '127.0.0.1:3000' })).toBe(true);
  });
});
