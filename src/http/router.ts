import { AppError } from '../errors.ts';
import type { HttpMethod, Route } from './route.ts';

export type RouteMatch =
  | { kind: 'route'; route: Route }
  /** The path exists, but not for this method: answer 405 with `Allow`. */
  | { kind: 'method'; allow: HttpMethod[] }
  | { kind: 'none' };

const underPrefix = (path: string, prefix: string): boolean => {
  const base = prefix.replace(/\/$/, '');
  return path === base || path.startsWith(`${base}/`);
};

const matches = (r: Route, path: string): boolean => (r.prefix ? underPrefix(path, r.path) : r.path === path);

/** Exact paths win over prefixes; among prefixes the longest wins. Duplicates are a wiring bug. */
export const createRouter = (routes: readonly Route[]) => {
  const seen = new Set<string>();
  for (const r of routes) {
    if (!r.path.startsWith('/')) throw new AppError('internal', `route path must start with "/": ${r.path}`);
    const key = `${r.method} ${r.prefix ? 'prefix' : 'exact'} ${r.path.replace(/\/$/, '') || '/'}`;
    if (seen.has(key)) throw new AppError('internal', `duplicate route: ${key}`);
    seen.add(key);
  }
  const ordered = [...routes].sort(
    (a, b) => Number(Boolean(a.prefix)) - Number(Boolean(b.prefix)) || b.path.length - a.path.length,
  );

  return {
    match(method: string, path: string): RouteMatch {
      // HEAD is served by the GET route; node drops the body.
      const wanted = method === 'HEAD' ? 'GET' : method;
      const candidates = ordered.filter((r) => matches(r, path));
      if (candidates.length === 0) return { kind: 'none' };
      // The most specific path decides: a prefix route must not answer for an exact path's other methods.
      const best = candidates[0]!;
      const samePath = candidates.filter((r) => r.path === best.path && Boolean(r.prefix) === Boolean(best.prefix));
      const route = samePath.find((r) => r.method === wanted) ?? candidates.find((r) => r.method === wanted);
      if (route) return { kind: 'route', route };
      return { kind: 'method', allow: [...new Set(samePath.map((r) => r.method))] };
    },
  };
};
export type Router = ReturnType<typeof createRouter>;
