import { readFile } from 'node:fs/promises';
import { describe, expect, it, jest } from '@jest/globals';
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
});
