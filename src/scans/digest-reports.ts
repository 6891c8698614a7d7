import type { ChatFile } from '../chat/surface.ts';
import { AppError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import type { Framework } from './frameworks/index.ts';
import { scanReports, type RuleInfo } from './reports.ts';

/**
 * The reports attached in each scan digest's thread (SCAN_DIGEST_REPORTS): the owner's open
 * findings as CSV and as OCSF Detection Finding JSON, and the workspace's compliance report of
 * chosen frameworks as self-contained HTML. The same reports the console downloads (reports.ts);
 * each file names its console route, for surfaces that link instead of upload.
 */
export type DigestReport = { kind: 'csv' } | { kind: 'ocsf' } | { kind: 'html'; framework: string };

export const defaultDigestReports = 'csv';

/**
 * SCAN_DIGEST_REPORTS: comma-separated `csv`, `ocsf`, `html:<framework>` (a framework id of the
 * mapping file, e.g. `html:cis-aws`), or `none`; default `csv`. A bad entry throws one line naming it.
 */
export const parseDigestReports = (
  value: string | undefined,
  frameworks: readonly Pick<Framework, 'id'>[],
): DigestReport[] => {
  const entries = (value ?? defaultDigestReports)
    .split(',')
    .map((e) => e.trim().toLowerCase())
    .filter(Boolean);
  const known = frameworks.map((f) => f.id);
  const bad = (entry: string, why: string) => new AppError('config_invalid', `SCAN_DIGEST_REPORTS: "${entry}" ${why}`);
  if (entries.length === 0) throw bad(value ?? '', 'is empty: name csv, ocsf, html:<framework>, or none');
  if (entries.includes('none')) {
    if (entries.length > 1) throw bad(value ?? '', 'mixes none with reports: none turns them all off');
    return [];
  }
  const out: DigestReport[] = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    if (seen.has(entry)) continue;
    seen.add(entry);
    if (entry === 'csv' || entry === 'ocsf') {
      out.push({ kind: entry });
      continue;
    }
    const html = /^html:(.+)$/.exec(entry);
    if (!html) throw bad(entry, 'is not csv, ocsf, html:<framework> or none');
    const framework = html[1]!.trim();
    if (!known.includes(framework))
      throw bad(entry, `names no framework: html:<framework> takes one of ${known.join(', ') || '(none loaded)'}`);
    out.push({ kind: 'html', framework });
  }
  return out;
};

export interface DigestReportDeps {
  db: Db;
  rules: readonly RuleInfo[];
  frameworks: readonly Framework[];
  now: () => Date;
  /** SCAN_OWNER_TAGS: how an owner is read, as the digests read it. */
  ownerTags: readonly string[];
}

/** A file-name-safe form of an owner (`alice@example.com` → `alice-example.com`). */
const slug = (s: string): string =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60) || 'owner';

const encoder = new TextEncoder();

/** The files of one owner's digest: the owner's findings (CSV, OCSF) and the frameworks' HTML. */
export const digestReportFiles = async (
  d: DigestReportDeps,
  workspaceId: string,
  owner: string,
  reports: readonly DigestReport[],
): Promise<ChatFile[]> => {
  const r = scanReports({ db: d.db, rules: d.rules, frameworks: d.frameworks, now: d.now });
  const day = d.now().toISOString().slice(0, 10);
  const filter = { owner, ownerTags: d.ownerTags };
  const ownerQuery = `owner=${encodeURIComponent(owner)}`;
  const who = owner === 'unowned' ? 'findings without an owner tag' : `findings of ${owner}`;
  const files: ChatFile[] = [];
  for (const report of reports) {
    if (report.kind === 'csv')
      files.push({
        name: `findings-${slug(owner)}-${day}.csv`,
        title: `Open ${who} (CSV)`,
        mimeType: 'text/csv',
        bytes: encoder.encode(await r.csv(workspaceId, filter)),
        consolePath: `/console/api/reports/findings.csv?${ownerQuery}`,
      });
    else if (report.kind === 'ocsf')
      files.push({
        name: `findings-${slug(owner)}-${day}.ocsf.json`,
        title: `Open ${who} (OCSF Detection Finding JSON)`,
        mimeType: 'application/json',
        bytes: encoder.encode(JSON.stringify(await r.ocsf(workspaceId, filter))),
        consolePath: `/console/api/reports/findings.ocsf.json?${ownerQuery}`,
      });
    else {
      const fw = d.frameworks.find((f) => f.id === report.framework);
      files.push({
        name: `compliance-${report.framework}-${day}.html`,
        title: `${fw ? `${fw.name} ${fw.version}` : report.framework} compliance report (HTML)`,
        mimeType: 'text/html',
        bytes: encoder.encode(await r.html(workspaceId, report.framework)),
        consolePath: `/console/api/reports/compliance/${report.framework}.html`,
      });
    }
  }
  return files;
};
