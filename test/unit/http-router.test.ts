import { describe, expect, it } from '@jest/globals';
import type { Route } from '../../src/http/route.ts';
import { routeLabel } from '../../src/http/route.ts';
import { createRouter } from '../../src/http/router.ts';

const r = (method: Route['method'], path: string, prefix = false): Route => ({
  method,
  path,
  prefix,
  handle: () => null,
});

describe('router', () => {
  const routes = [
    r('GET', '/'),
    r('GET', '/console/api/users'),
    r('POST', '/console/api/turn'),
    r('POST', '/slack', true),
    r('POST', '/slack/events/special'),
    r('GET', '/files/', true),
    r('GET', '/files/deep', true),
  ];
  const router = createRouter(routes);
  const hit = (method: string, path: string) => {
    const m = router.match(method, path);
    return m.kind === 'route' ? `${m.route.method} ${m.route.path}${m.route.prefix ? '*' : ''}` : m;
  };

  it('matches exact paths only exactly', () => {
    expect(hit('GET', '/')).toBe('GET /');
    expect(hit('GET', '/console/api/users')).toBe('GET /console/api/users');
    expect(hit('GET', '/console/api/users/')).toEqual({ kind: 'none' });
    expect(hit('GET', '/console')).toEqual({ kind: 'none' });
  });

  it('matches a prefix at segment boundaries, the longest prefix first, exact before prefix', () => {
    expect(hit('POST', '/slack')).toBe('POST /slack*');
    expect(hit('POST', '/slack/events')).toBe('POST /slack*');
    expect(hit('POST', '/slackers')).toEqual({ kind: 'none' });
    expect(hit('POST', '/slack/events/special')).toBe('POST /slack/events/special');
    expect(hit('GET', '/files/deep/x')).toBe('GET /files/deep*');
    expect(hit('GET', '/files/a')).toBe('GET /files/*');
  });

  it('serves HEAD from GET and reports the allowed methods otherwise', () => {
    expect(hit('HEAD', '/')).toBe('GET /');
    expect(hit('GET', '/console/api/turn')).toEqual({ kind: 'method', allow: ['POST'] });
    expect(hit('DELETE', '/slack/x')).toEqual({ kind: 'method', allow: ['POST'] });
  });

  it('refuses duplicate routes and relative paths at wiring time', () => {
    expect(() => createRouter([r('GET', '/a'), r('GET', '/a')])).toThrow('duplicate route: GET exact /a');
    expect(() => createRouter([r('GET', '/a/', true), r('GET', '/a', true)])).toThrow('duplicate route');
    expect(() => createRouter([r('GET', 'a')])).toThrow('must start with "/"');
    expect(() => createRouter([r('GET', '/a'), r('POST', '/a'), r('GET', '/a', true)])).not.toThrow();
  });

  it('labels routes by pattern', () => {
    expect(routeLabel({ path: '/slack', prefix: true })).toBe('/slack/*');
    expect(routeLabel({ path: '/files/', prefix: true })).toBe('/files/*');
    expect(routeLabel({ path: '/readyz' })).toBe('/readyz');
  });
});
