import { chromium } from 'playwright-core';
import { ms, summarize } from './stats.ts';

/**
 * First paint of the dashboard in headless Chromium (issue 18, goal ≤ 1 s over 100,000 resources
 * and 10,000 changes on loopback). Each run opens the page in a fresh browser context (empty cache,
 * as a first visit) with the given session cookie and reads, from the navigation's start:
 *
 * - `lcp`: largest-contentful-paint, the first *meaningful* paint (a figure, the main table);
 * - `fcp`: first-contentful-paint;
 * - `dcl`: DOMContentLoaded (the page parsed, its deferred scripts run);
 * - `ttfb`: the HTML's first byte (the server's share: reading the view and rendering it).
 *
 * Usage: `node bench/dashboard-paint.ts <base URL> <cookie name=value> [path] [runs]`, or call
 * `measureDashboardPaint` from a benchmark that seeds the data and signs in first.
 */
export interface PaintOptions {
  /** e.g. http://127.0.0.1:3000 */
  baseUrl: string;
  /** The session cookie, `name=value`. */
  cookie: string;
  /** Default /dashboard. */
  path?: string;
  /** Default 20. */
  runs?: number;
  chromiumPath?: string;
  /** Called with each run's numbers (progress output). */
  onRun?: (i: number, sample: PaintSample) => void;
}

export interface PaintSample {
  status: number;
  /** Where the load ended: another path than the one asked for is a redirect (to sign in: the cookie is no session). */
  finalPath: string;
  ttfb: number;
  fcp: number;
  lcp: number;
  dcl: number;
}

export type PaintSummary = Record<keyof Omit<PaintSample, 'status' | 'finalPath'>, ReturnType<typeof summarize>>;

const args = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Opens the page `runs` times and returns the percentiles of each measure (ms). */
export const measureDashboardPaint = async (opts: PaintOptions): Promise<PaintSummary & { samples: PaintSample[] }> => {
  const eq = opts.cookie.indexOf('=');
  if (eq < 1) throw new TypeError('cookie must be name=value');
  const cookie = { name: opts.cookie.slice(0, eq), value: opts.cookie.slice(eq + 1), url: opts.baseUrl };
  const browser = await chromium.launch({
    executablePath: opts.chromiumPath ?? process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args,
  });
  const samples: PaintSample[] = [];
  try {
    for (let i = 0; i < (opts.runs ?? 20); i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
      try {
        await context.addCookies([cookie]);
        const page = await context.newPage();
        const res = await page.goto(`${opts.baseUrl}${opts.path ?? '/dashboard'}`, { waitUntil: 'load' });
        const sample = await page.evaluate(async () => {
          // The browser's Performance API (this code runs in the page; the project's types are Node's).
          type Entry = { startTime: number };
          const g = globalThis as unknown as {
            performance: {
              getEntriesByType(t: string): (Entry & { responseStart: number; domContentLoadedEventEnd: number })[];
              getEntriesByName(n: string): Entry[];
            };
            PerformanceObserver: new (cb: (list: { getEntries(): Entry[] }) => void) => { observe(o: object): void };
          };
          const nav = g.performance.getEntriesByType('navigation')[0]!;
          const fcp = g.performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN;
          // The last LCP candidate reported so far (buffered: the ones before this observer too).
          const lcp = await new Promise<number>((resolve) => {
            new g.PerformanceObserver((list) => {
              const entries = list.getEntries();
              resolve(entries[entries.length - 1]?.startTime ?? NaN);
            }).observe({ type: 'largest-contentful-paint', buffered: true });
            setTimeout(() => resolve(NaN), 2_000);
          });
          return { ttfb: nav.responseStart, fcp, lcp, dcl: nav.domContentLoadedEventEnd };
        });
        const s = { status: res?.status() ?? 0, finalPath: new URL(page.url()).pathname, ...sample };
        samples.push(s);
        opts.onRun?.(i, s);
      } finally {
        await context.close();
      }
    }
  } finally {
    await browser.close();
  }
  const of = (k: keyof PaintSummary) => summarize(samples.map((s) => s[k]));
  return { ttfb: of('ttfb'), fcp: of('fcp'), lcp: of('lcp'), dcl: of('dcl'), samples };
};

/** The summary as lines for a benchmark's output. */
export const paintReport = (s: PaintSummary): string[] =>
  (
    [
      ['first meaningful paint (LCP)', s.lcp],
      ['first contentful paint', s.fcp],
      ['DOMContentLoaded', s.dcl],
      ['HTML first byte', s.ttfb],
    ] as const
  ).map(([label, t]) => `   ${label}: p50 ${ms(t.p50)}  p90 ${ms(t.p90)}  max ${ms(t.max)} (${t.n} loads)`);

if (import.meta.main) {
  const [baseUrl, cookie, path, runs] = process.argv.slice(2);
  if (!baseUrl || !cookie) {
    console.error('usage: node bench/dashboard-paint.ts <base URL> <cookie name=value> [path] [runs]');
    process.exit(2);
  }
  const out = await measureDashboardPaint({
    baseUrl,
    cookie,
    ...(path ? { path } : {}),
    ...(runs ? { runs: Number(runs) } : {}),
  });
  const wanted = new URL(`${baseUrl}${path ?? '/dashboard'}`).pathname;
  const failed = out.samples.filter((s) => s.status !== 200 || s.finalPath !== wanted);
  console.log(`dashboard first paint: ${baseUrl}${path ?? '/dashboard'} (goal: LCP p90 ≤ 1 s)`);
  for (const line of paintReport(out)) console.log(line);
  if (failed.length > 0) {
    const f = failed[0]!;
    console.error(
      `   ${failed.length} loads did not show the page (status ${f.status} at ${f.finalPath}): is the cookie a live session?`,
    );
    process.exitCode = 1;
  }
}
