import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, turn, type TestApp } from '../helpers/app.ts';

/**
 * The scan reports downloaded from the console over the real HTTP server, after a scan of the
 * sandbox estate: findings as CSV and OCSF, a framework's score as HTML, and the refusals.
 */
let app: TestApp;
let openFindings = 0;
beforeAll(async () => {
  app = await startTestApp();
  const [r] = await turn(app, 'alice', 'scan now');
  expect(r?.text).toMatch(/^Scan \d+ /);
  const [list] = await turn(app, 'dave', 'findings');
  openFindings = Number(/^(\d+) open findings/.exec(list?.text ?? '')?.[1]);
}, 120_000);
afterAll(async () => {
  await app?.stop();
});

const get = (path: string) => fetch(`${app.url}${path}`);
const today = () => new Date().toISOString().slice(0, 10);

/** Records of an RFC 4180 text whose fields are all quoted. */
const csvRecords = (text: string): string[][] =>
  text
    .split(/\r\n(?=")|\r\n$/)
    .filter((line) => line !== '')
    .map((line) => line.slice(1, -1).split('","'));

describe('scan reports from the console', () => {
  it('downloads the open findings as CSV, one record per finding', async () => {
    expect(openFindings).toBeGreaterThan(0);
    const res = await get('/console/api/reports/findings.csv?user=dave');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv; charset=utf-8/);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="findings-${today()}.csv"`);
    const text = await res.text();
    const [header, ...rows] = csvRecords(text);
    expect(header?.slice(0, 3)).toEqual(['Finding', 'Status', 'Severity']);
    expect(rows).toHaveLength(openFindings);
    expect(rows.every((r) => /^F-[0-9a-f]{12}$/.test(r[0]!) && r[1] === 'open')).toBe(true);
  });

  it('filters by severity and category', async () => {
    const res = await get('/console/api/reports/findings.csv?user=dave&severity=critical&category=security');
    const rows = csvRecords(await res.text()).slice(1);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r[2] === 'critical' && r[3] === 'security')).toBe(true);
    const resolved = csvRecords(
      await (await get('/console/api/reports/findings.csv?user=dave&status=resolved')).text(),
    );
    expect(resolved).toHaveLength(1);
  });

  it("filters by owner, as a scan digest's report links do", async () => {
    const all = csvRecords(await (await get('/console/api/reports/findings.csv?user=dave')).text()).slice(1);
    const platform = csvRecords(
      await (await get('/console/api/reports/findings.csv?user=dave&owner=Platform')).text(),
    ).slice(1);
    const [list] = await turn(app, 'dave', 'findings owner=platform');
    const count = Number(/^(\d+) open findings/.exec(list?.text ?? '')?.[1]);
    expect(platform.length).toBe(count);
    expect(platform.length).toBeGreaterThan(0);
    expect(platform.length).toBeLessThan(all.length);
  });

  it('downloads the same findings as OCSF Detection Findings', async () => {
    const res = await get('/console/api/reports/findings.ocsf.json?user=dave');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="findings-${today()}.ocsf.json"`);
    const events = (await res.json()) as Array<Record<string, unknown> & { finding_info: { uid: string } }>;
    expect(events).toHaveLength(openFindings);
    const csvIds = csvRecords(await (await get('/console/api/reports/findings.csv?user=dave')).text())
      .slice(1)
      .map((r) => r[0]);
    expect(events.map((e) => e.finding_info.uid)).toEqual(csvIds);
    for (const e of events) {
      expect(e).toMatchObject({ class_uid: 2004, category_uid: 2, status_id: 1 });
      expect([1, 2, 3, 4, 5]).toContain(e.severity_id);
      expect(typeof e.time).toBe('number');
    }
    expect(events[0]).toMatchObject({
      cloud: { provider: 'AWS', account: { uid: expect.any(String) } },
      metadata: { product: { name: 'DevOps Agent' } },
      resources: [{ uid: expect.any(String), type: expect.any(String) }],
    });
  });

  it('downloads a framework report as one HTML file with the failing resources', async () => {
    const res = await get('/console/api/reports/compliance/cis-aws.html?user=dave');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="compliance-cis-aws-${today()}.html"`);
    const html = await res.text();
    expect(html).toContain('<h1>CIS Amazon Web Services Foundations Benchmark 5.0.0</h1>');
    expect(html).toMatch(/Overall score: \d+%/);
    expect(html).toMatch(/<code>F-[0-9a-f]{12}<\/code>/);
    expect(html).toContain('>Failing</span>');
    expect(html).not.toMatch(/<script|src=|href=/i);
  });

  it('answers 404 for an unknown framework and 400 for a nonsense filter or user', async () => {
    const unknown = await get('/console/api/reports/compliance/nist.html?user=dave');
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: string }).error).toMatch(
      /Unknown framework "nist"\..*Known frameworks: cis-aws/,
    );
    const odd = await get('/console/api/reports/compliance/cis-aws.pdf?user=dave');
    expect(odd.status).toBe(404);
    expect(((await odd.json()) as { error: string }).error).toMatch(/compliance\/<framework>\.html/);

    const bad = await get('/console/api/reports/findings.csv?user=dave&severity=urgent');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/^invalid request: severity: /);
    const status = await get('/console/api/reports/findings.ocsf.json?user=dave&status=closed');
    expect(status.status).toBe(400);
    expect(((await status.json()) as { error: string }).error).toMatch(/status/);
    const nobody = await get('/console/api/reports/findings.csv?user=mallory');
    expect(nobody.status).toBe(400);
    expect(((await nobody.json()) as { error: string }).error).toBe('unknown console user');
  });

  it('is a console route: refused for a Host that is not loopback when there is no token', async () => {
    const url = new URL(`${app.url}/console/api/reports/findings.csv?user=dave`);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        { host: url.hostname, port: url.port, path: url.pathname + url.search, headers: { host: 'evil.example' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
  });
});
