import { readFile } from 'node:fs/promises';
import { describe, expect, it, jest } from '@jest/globals';
import { createConversationStore } from '../../src/engine/conversations.ts';
import { digestReportFiles } from '../../src/scans/digest-reports.ts';
import { builtInRules } from '../../src/scans/rules/index.ts';
import { consoleConversation, createConsoleSurface } from '../../src/surfaces/console/surface.ts';
import { send, useConsoleApp } from '../helpers/console-page.ts';

/** The Reports menu of the console page: its links download the reports for the user shown. */
jest.setTimeout(90_000);

const ctx = useConsoleApp();

describe('console reports menu', () => {
  it('downloads the findings and a framework report for the selected user', async () => {
    const page = await ctx.pages.openAs('alice');
    const [scan] = await send(page, 'scan now');
    expect(scan?.text).toMatch(/^Scan \d+ /);

    const menu = page.getByTestId('reports');
    await menu.locator('summary').click();
    expect(await page.getByTestId('report-csv').getAttribute('href')).toBe(
      '/console/api/reports/findings.csv?user=alice',
    );
    expect(await page.getByTestId('report-ocsf').getAttribute('href')).toBe(
      '/console/api/reports/findings.ocsf.json?user=alice',
    );
    const options = await page.getByTestId('report-framework').locator('option').allTextContents();
    expect(options).toContain('CIS Amazon Web Services Foundations Benchmark 5.0.0');

    await page.getByTestId('report-framework').selectOption('soc2');
    const saved = page.waitForEvent('download');
    await page.getByTestId('report-html').click();
    const download = await saved;
    expect(download.suggestedFilename()).toMatch(/^compliance-soc2-\d{4}-\d{2}-\d{2}\.html$/);
    const html = await readFile((await download.path())!, 'utf8');
    expect(html).toContain('<!doctype html>');
    expect(html).toMatch(/Overall score: (\d+%|not scored)/);

    // Another user: the links follow the selection.
    await page.locator('#user-select').selectOption('dave');
    expect(await page.getByTestId('report-csv').getAttribute('href')).toBe(
      '/console/api/reports/findings.csv?user=dave',
    );
  });

  it("links a scan digest's reports, which download the owner's findings for the viewer", async () => {
    const page = await ctx.pages.openAs('alice');
    await send(page, 'scan now');
    // What the scheduled scan does after posting the platform team's digest here (jobs.ts).
    const app = ctx.app;
    const files = await digestReportFiles(
      {
        db: app.store.db,
        rules: builtInRules,
        frameworks: app.config.frameworks,
        now: () => new Date(),
        ownerTags: app.config.scanDigests.ownerTags,
      },
      'console',
      'platform',
      [{ kind: 'csv' }, { kind: 'html', framework: 'cis-aws' }],
    );
    // Through the app's live bus, as the app's own console surface writes: the page follows it live.
    const surface = createConsoleSurface({ conversations: createConversationStore(app.store.db, app.live) });
    await surface.attach!(consoleConversation(), files);

    const link = page.locator('[data-report="link"]', { hasText: 'Open findings of platform (CSV)' });
    await link.waitFor();
    expect(await link.getAttribute('href')).toBe('/console/api/reports/findings.csv?owner=platform&user=alice');
    const saved = page.waitForEvent('download');
    await link.click();
    const csv = await readFile((await (await saved).path())!, 'utf8');
    // The route serves the same bytes the digest would have attached: platform's open findings only.
    expect(csv).toBe(new TextDecoder().decode(files[0]!.bytes));
    expect(csv.split('\n').length).toBeGreaterThan(2);
    expect(
      await page.locator('[data-report="link"]', { hasText: 'compliance report (HTML)' }).getAttribute('href'),
    ).toBe('/console/api/reports/compliance/cis-aws.html?user=alice');
  });
});
