import type { Db } from '../store/db.ts';
import { complianceReport, type ComplianceReport, type RequirementStatus } from './compliance.ts';
import { frameworkById, type Framework } from './frameworks/index.ts';
import { listFindings, type Finding, type FindingFilter } from './repository.ts';
import type { Rule, Severity } from './rule.ts';

/**
 * Reports people feed into other tools: findings as CSV (spreadsheets) and as OCSF Detection
 * Findings (SIEMs, data lakes), and a framework's compliance score as one HTML file that opens
 * anywhere, offline, and prints. The renderers are pure: they take what the store returned and a
 * clock reading; `scanReports` at the end is the one part that reads the store.
 */

export type RuleInfo = Pick<Rule, 'id' | 'title' | 'remediation'>;

const ref = (id: string) => `F-${id}`;

/** What a person sees: an open finding under a suppression is "suppressed", not "open". */
export const findingState = (f: Pick<Finding, 'status' | 'suppressionId'>): 'open' | 'suppressed' | 'resolved' =>
  f.status === 'resolved' ? 'resolved' : f.suppressionId !== null ? 'suppressed' : 'open';

const dollars = (cents: number): string => (cents / 100).toFixed(2);

// ── CSV ────────────────────────────────────────────────────────────────────────────────────────

export const csvColumns = [
  'Finding',
  'Status',
  'Severity',
  'Category',
  'Rule',
  'Title',
  'Provider',
  'Account',
  'Region',
  'Resource type',
  'Resource id',
  'Resource name',
  'Environment',
  'Verdict',
  'Detail',
  'Saving per month (USD)',
  'First seen',
  'Last seen',
  'Resolved',
] as const;

/**
 * One CSV field. A spreadsheet runs a cell that starts with = + - @ (or a tab or CR it strips
 * first) as a formula, and a resource name or tag comes from whoever can name resources in the
 * cloud: such a cell gets a leading apostrophe (OWASP's advice), which the spreadsheet shows as text.
 */
export const csvField = (value: string): string => {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return `"${safe.replaceAll('"', '""')}"`;
};

/** RFC 4180: a header row, every field quoted, CRLF after every record. */
export const findingsCsv = (findings: readonly Finding[], opts: { rules: readonly RuleInfo[] }): string => {
  const titles = new Map(opts.rules.map((r) => [r.id, r.title]));
  const rows: string[][] = [
    [...csvColumns],
    ...findings.map((f) => [
      ref(f.id),
      findingState(f),
      f.severity,
      f.category,
      f.ruleId,
      titles.get(f.ruleId) ?? '',
      f.provider,
      f.account,
      f.region,
      f.resourceType,
      f.resourceId,
      f.resourceName,
      f.environment,
      f.verdict,
      f.detail,
      dollars(f.savingCents),
      f.firstSeenAt.toISOString(),
      f.lastSeenAt.toISOString(),
      f.resolvedAt?.toISOString() ?? '',
    ]),
  ];
  return rows.map((r) => r.map(csvField).join(',') + '\r\n').join('');
};

// ── OCSF ───────────────────────────────────────────────────────────────────────────────────────

/**
 * The OCSF schema version the objects follow. Every attribute used below is defined for the
 * Detection Finding class (2004) or the objects it references in 1.3.0 (schema.ocsf.io).
 */
export const ocsfSchemaVersion = '1.3.0';

/** OCSF severity_id: 1 Informational, 2 Low, 3 Medium, 4 High, 5 Critical. */
export const ocsfSeverity: Record<Severity, { id: number; name: string }> = {
  critical: { id: 5, name: 'Critical' },
  high: { id: 4, name: 'High' },
  medium: { id: 3, name: 'Medium' },
  low: { id: 2, name: 'Low' },
  info: { id: 1, name: 'Informational' },
};

/** OCSF finding status_id: 1 New, 3 Suppressed, 4 Resolved. */
const ocsfStatus = {
  open: { id: 1, name: 'New' },
  suppressed: { id: 3, name: 'Suppressed' },
  resolved: { id: 4, name: 'Resolved' },
};

/** OCSF cloud.provider is a display name ("AWS", "Azure", "GCP"). */
const cloudProvider: Record<string, string> = { aws: 'AWS', azure: 'Azure', gcp: 'GCP', kubernetes: 'Kubernetes' };

/** The AWS partition of a region (`cn-north-1` → aws-cn); other clouds have none to report. */
const awsPartition = (region: string): string =>
  region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';

/** Activity: Create while the finding has been seen once, Close once resolved, Update in between. */
const activityOf = (f: Finding): { id: number; name: string } =>
  f.status === 'resolved'
    ? { id: 3, name: 'Close' }
    : f.firstSeenAt.getTime() === f.lastSeenAt.getTime()
      ? { id: 1, name: 'Create' }
      : { id: 2, name: 'Update' };

export interface OcsfOptions {
  /** Who ships the product (metadata.product.vendor_name). */
  vendorName?: string;
  /** The product's own version (metadata.product.version), when known. */
  productVersion?: string;
}

export type OcsfDetectionFinding = Record<string, unknown> & {
  class_uid: 2004;
  category_uid: 2;
  type_uid: number;
  activity_id: number;
  severity_id: number;
  status_id: number;
  time: number;
  finding_info: { uid: string; title: string } & Record<string, unknown>;
};

const severityOf = (s: string) => ocsfSeverity[s as Severity] ?? { id: 0, name: 'Unknown' };

/** Each finding as an OCSF Detection Finding event (class 2004, category 2 Findings), times in ms. */
export const findingsOcsf = (
  findings: readonly Finding[],
  rules: readonly RuleInfo[],
  opts: OcsfOptions = {},
): OcsfDetectionFinding[] => {
  const byId = new Map(rules.map((r) => [r.id, r]));
  return findings.map((f) => {
    const rule = byId.get(f.ruleId);
    const activity = activityOf(f);
    const severity = severityOf(f.severity);
    const status = ocsfStatus[findingState(f)];
    const title = rule?.title ?? f.ruleId;
    return {
      class_uid: 2004,
      class_name: 'Detection Finding',
      category_uid: 2,
      category_name: 'Findings',
      activity_id: activity.id,
      activity_name: activity.name,
      type_uid: 2004 * 100 + activity.id,
      type_name: `Detection Finding: ${activity.name}`,
      severity_id: severity.id,
      severity: severity.name,
      status_id: status.id,
      status: status.name,
      time: (f.resolvedAt ?? f.lastSeenAt).getTime(),
      message: f.detail || title,
      finding_info: {
        uid: ref(f.id),
        title,
        desc: f.detail,
        first_seen_time: f.firstSeenAt.getTime(),
        last_seen_time: f.lastSeenAt.getTime(),
        types: [f.category],
        // Analytic type_id 1 is "Rule": each finding comes from one scan rule.
        analytic: { uid: f.ruleId, name: title, type_id: 1, type: 'Rule' },
      },
      resources: [
        {
          uid: f.resourceId,
          name: f.resourceName,
          type: f.resourceType,
          region: f.region,
          ...(f.provider === 'aws' ? { cloud_partition: awsPartition(f.region) } : {}),
          ...(Object.keys(f.tags).length > 0
            ? { labels: Object.entries(f.tags).map(([k, v]) => (v === '' ? k : `${k}:${v}`)) }
            : {}),
        },
      ],
      cloud: {
        provider: cloudProvider[f.provider] ?? f.provider,
        account: { uid: f.account },
        region: f.region,
      },
      ...(rule ? { remediation: { desc: rule.remediation } } : {}),
      metadata: {
        product: {
          name: 'DevOps Agent',
          vendor_name: opts.vendorName ?? 'DevOps Agent',
          ...(opts.productVersion ? { version: opts.productVersion } : {}),
        },
        version: ocsfSchemaVersion,
        profiles: ['cloud'],
      },
      // What the rule judged, the verdict and the saving have no OCSF attribute of their own.
      unmapped: {
        rule_id: f.ruleId,
        verdict: f.verdict,
        environment: f.environment,
        saving_usd_per_month: Number(dollars(f.savingCents)),
        evidence: f.evidence,
      },
    } as OcsfDetectionFinding;
  });
};

// ── HTML ───────────────────────────────────────────────────────────────────────────────────────

const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => entities[c]!);

const scoreText = (s: number | null) => (s === null ? 'not scored' : `${s}%`);

const statusWord: Record<RequirementStatus, string> = {
  passing: 'Passing',
  failing: 'Failing',
  manual: 'Check by hand',
  'not checked': 'Not checked',
};
const statusClass = (s: RequirementStatus) => `st-${s.replace(' ', '-')}`;

// Colour only underlines the status words; the words carry the meaning (and survive grey printing).
const css = `
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#1a1a1a;background:#fff;margin:2rem auto;max-width:72rem;padding:0 1rem}
h1{font-size:1.5rem;margin:0 0 .25rem}
h2{font-size:1.2rem;margin:2rem 0 .5rem;border-bottom:1px solid #ccc;padding-bottom:.25rem}
h3{font-size:1rem;margin:1.5rem 0 .5rem}
.meta{color:#444;margin:.1rem 0}
.score{font-size:1.1rem;font-weight:600;margin:1rem 0}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}
th,td{border:1px solid #bbb;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f0f0f0}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.status{font-weight:600;border-bottom:3px solid transparent}
.st-passing{border-color:#1a7f37}
.st-failing{border-color:#cf222e}
.st-manual{border-color:#9a6700}
.st-not-checked{border-color:#8c959f}
ul{margin:0;padding-left:1.1rem}
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}
.note{color:#444;font-size:.9rem}
@media print{body{margin:0;max-width:none;font-size:11px}h2{break-after:avoid}tr{break-inside:avoid}thead{display:table-header-group}th{background:#eee;-webkit-print-color-adjust:exact;print-color-adjust:exact}}
`;

export interface HtmlOptions {
  generatedAt: Date;
  /** Shown under the title ("workspace console"). */
  workspace?: string;
}

const failingList = (r: ComplianceReport['requirements'][number]): string =>
  r.failing.length === 0
    ? ''
    : `<ul>${r.failing
        .map(
          (x) =>
            // The rule is worth naming only when the requirement has several.
            `<li>${escapeHtml(x.resource)}, account <code>${escapeHtml(x.account)}</code>: <code>${escapeHtml(ref(x.findingId))}</code>${r.rules.length > 1 ? ` (${escapeHtml(x.ruleId)})` : ''}</li>`,
        )
        .join('')}</ul>`;

/** A framework's score as one self-contained HTML document: inline CSS, no script, nothing fetched. */
export const complianceHtml = (report: ComplianceReport, opts: HtmlOptions): string => {
  const f = report.framework;
  const e = escapeHtml;
  const title = `${f.name} ${f.version}: compliance report`;
  const sectionRows = report.sections
    .map(
      (s) =>
        `<tr><td>${e(s.id)}</td><td>${e(s.title)}</td><td class="num">${e(scoreText(s.score))}</td><td class="num">${s.passing}</td><td class="num">${s.failing}</td><td class="num">${s.manual}</td><td class="num">${s.notChecked}</td></tr>`,
    )
    .join('\n');
  const requirementTables = report.sections
    .map((s) => {
      const reqs = report.requirements.filter((r) => r.section === s.id);
      if (reqs.length === 0) return '';
      const rows = reqs
        .map(
          (r) =>
            `<tr><td>${e(r.id)}</td><td>${e(r.title)}</td><td><span class="status ${statusClass(r.status)}">${e(statusWord[r.status])}</span></td><td class="num">${r.passed}</td><td class="num">${r.failed}</td><td class="num">${r.manual}</td><td>${r.rules.map((x) => `<code>${e(x)}</code>`).join(', ')}</td><td>${failingList(r)}</td></tr>`,
        )
        .join('\n');
      return `<h3>${e(s.id)} ${e(s.title)}</h3>
<table>
<thead><tr><th scope="col">Requirement</th><th scope="col">Title</th><th scope="col">Status</th><th scope="col">Resources passed</th><th scope="col">Resources failed</th><th scope="col">Resources to check by hand</th><th scope="col">Rules</th><th scope="col">Failing resources</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`;
    })
    .join('\n');
  const basis =
    report.scanId === null
      ? 'No security scan has run in this workspace yet: every requirement is "not checked".'
      : `From scan ${report.scanId} and the open findings (suppressed findings are not counted).`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(title)}</title>
<style>${css}</style>
</head>
<body>
<h1>${e(f.name)} ${e(f.version)}</h1>
<p class="meta">Source: ${e(f.source)}</p>
${opts.workspace ? `<p class="meta">Workspace: ${e(opts.workspace)}</p>` : ''}
<p class="meta">Generated at <time datetime="${e(opts.generatedAt.toISOString())}">${e(opts.generatedAt.toISOString())}</time> by DevOps Agent.</p>
<p class="score">Overall score: ${e(scoreText(report.score))}</p>
<p class="note">${e(basis)} A requirement is failing when one of its rules has an open failure, passing when its rules judged resources and none failed, "check by hand" when its rules could only ask for a manual check, and not checked when no resource was judged. A score is passing requirements out of passing and failing ones.</p>
<h2>Sections</h2>
<table>
<thead><tr><th scope="col">Section</th><th scope="col">Title</th><th scope="col">Score</th><th scope="col">Passing</th><th scope="col">Failing</th><th scope="col">Check by hand</th><th scope="col">Not checked</th></tr></thead>
<tbody>
${sectionRows}
</tbody>
</table>
<h2>Requirements</h2>
${requirementTables}
</body>
</html>
`;
};

// ── The console's port ─────────────────────────────────────────────────────────────────────────

const pageSize = 1_000;

/** Every finding matching the filter, in the listing's order, read a page at a time. */
const allFindings = async (db: Db, workspaceId: string, filter: FindingFilter): Promise<Finding[]> => {
  const out: Finding[] = [];
  for (;;) {
    const { findings, total } = await listFindings(db, workspaceId, filter, { limit: pageSize, offset: out.length });
    out.push(...findings);
    if (findings.length < pageSize || out.length >= total) return out;
  }
};

export interface ScanReportsDeps {
  db: Db;
  rules: readonly RuleInfo[];
  frameworks: readonly Framework[];
  now: () => Date;
  vendorName?: string;
  /** SCAN_OWNER_TAGS: how a filter's `owner` is read (default owner, team). */
  ownerTags?: readonly string[];
}

/** The reports as the console downloads them (an unknown framework is a not_found error naming the known ones). */
export const scanReports = (d: ScanReportsDeps) => {
  const withTags = (f: FindingFilter): FindingFilter =>
    f.owner && !f.ownerTags && d.ownerTags ? { ...f, ownerTags: d.ownerTags } : f;
  return {
    frameworks: d.frameworks.map((f) => ({ id: f.id, name: f.name, version: f.version })),
    csv: async (workspaceId: string, filter: FindingFilter): Promise<string> =>
      findingsCsv(await allFindings(d.db, workspaceId, withTags(filter)), { rules: d.rules }),
    ocsf: async (workspaceId: string, filter: FindingFilter): Promise<OcsfDetectionFinding[]> =>
      findingsOcsf(await allFindings(d.db, workspaceId, withTags(filter)), d.rules, {
        ...(d.vendorName ? { vendorName: d.vendorName } : {}),
      }),
    html: async (workspaceId: string, framework: string): Promise<string> => {
      const report = await complianceReport(d.db, workspaceId, frameworkById(d.frameworks, framework));
      return complianceHtml(report, { generatedAt: d.now(), workspace: workspaceId });
    },
  };
};
