import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { measureDashboardPaint, paintReport } from '../../bench/dashboard-paint.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import {
  consoleActor,
  sessionCookieName,
  startDashboardServer,
  type DashboardServer,
} from '../helpers/dashboard-fixture.ts';

/** The first-paint harness of bench/dashboard-paint.ts measures real loads (and tells a refused one). */
jest.setTimeout(90_000);

let app: TestApp;
let dash: DashboardServer;
beforeAll(async () => {
  app = await startTestApp();
  dash = await startDashboardServer(app);
}, 60_000);
afterAll(async () => {
  await dash?.close();
  await app?.stop();
});

describe('bench/dashboard-paint.ts', () => {
  it('measures navigation → LCP, FCP, DOMContentLoaded and first byte of the signed-in page', async () => {
    const session = dash.auth.signIn(consoleActor('bob'), 'approver');
    const out = await measureDashboardPaint({
      baseUrl: dash.url,
      cookie: `${sessionCookieName}=${session.id}`,
      path: '/dashboard/inventory',
      runs: 3,
    });
    expect(out.samples.map((s) => [s.status, s.finalPath])).toEqual(Array(3).fill([200, '/dashboard/inventory']));
    for (const s of out.samples) {
      expect(s.ttfb).toBeGreaterThan(0);
      expect(s.fcp).toBeGreaterThanOrEqual(s.ttfb);
      expect(s.lcp).toBeGreaterThanOrEqual(s.fcp);
      expect(s.dcl).toBeGreaterThan(s.ttfb);
    }
    expect(out.lcp.n).toBe(3);
    expect(paintReport(out)[0]).toMatch(
      /^ {3}first meaningful paint \(LCP\): p50 [\d.]+ ms {2}p90 [\d.]+ ms {2}max [\d.]+ ms \(3 loads\)$/,
    );
  });

  it('without a live session every load is the sign-in page, and the samples say so', async () => {
    const out = await measureDashboardPaint({ baseUrl: dash.url, cookie: `${sessionCookieName}=expired`, runs: 1 });
    // The sign-in page answers 200 after the 303: where the load ended tells.
    expect(out.samples.map((s) => s.finalPath)).toEqual(['/auth/sign-in']);
  });
});
