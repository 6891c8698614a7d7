import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { HttpResponse, Route } from '../../http/route.ts';

/**
 * The page's static files, read once when the dashboard is created: our own script, renderer and
 * stylesheet (./page/), and Chart.js's UMD build from node_modules, so the page loads nothing from
 * anywhere but this server (no CDN).
 */

/** Where Chart.js's UMD build is: its package's main entry is dist/chart.cjs, the UMD file sits beside it. */
export const chartJsPath = (): string =>
  path.join(path.dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js');

const own = (name: string): Buffer => readFileSync(new URL(`./page/${name}`, import.meta.url));

/** Headers of every dashboard response that a browser renders or runs. */
export const pageHeaders = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  // same-origin, not no-referrer: with no-referrer a form's POST carries `Origin: null`, which the CSRF check refuses.
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
};

export const assetRoutes = (): Route[] => {
  // The source map comment would make a browser's developer tools ask for a file we do not serve.
  const chart = Buffer.from(readFileSync(chartJsPath(), 'utf8').replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n'));
  const files = new Map<string, { body: Buffer; type: string; cache: string }>([
    ['dashboard.js', { body: own('dashboard.js'), type: 'text/javascript; charset=utf-8', cache: 'no-cache' }],
    ['render.js', { body: own('render.js'), type: 'text/javascript; charset=utf-8', cache: 'no-cache' }],
    ['dashboard.css', { body: own('dashboard.css'), type: 'text/css; charset=utf-8', cache: 'no-cache' }],
    // Changes only with the pinned version, i.e. with a deployment.
    ['chart.umd.js', { body: chart, type: 'text/javascript; charset=utf-8', cache: 'public, max-age=3600' }],
  ]);
  return [
    {
      method: 'GET',
      path: '/dashboard/assets',
      prefix: true,
      handle: (req): HttpResponse => {
        const file = files.get(req.path.slice('/dashboard/assets/'.length));
        if (!file)
          return {
            status: 404,
            headers: { 'content-type': 'text/plain; charset=utf-8' },
            body: `No such asset: ${[...files.keys()].join(', ')} exist.\n`,
          };
        return {
          status: 200,
          headers: { ...pageHeaders, 'content-type': file.type, 'cache-control': file.cache },
          body: file.body,
        };
      },
    },
  ];
};
