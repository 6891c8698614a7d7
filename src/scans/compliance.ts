import { z } from 'zod';
import { plural } from '../chat/format.ts';
import { reply, type Block } from '../chat/reply.ts';
import type { Db } from '../store/db.ts';
import { sql } from '../store/orm.ts';
import type { Tool } from '../tools/tool.ts';
import { frameworkById, type Framework } from './frameworks/index.ts';
import { recentScans } from './repository.ts';
import type { RuleTally } from './schema.ts';
import { findingRef, type ScanToolDeps } from './tools.ts';

/**
 * A framework's score from the last scan: each requirement is `failing` when one of its rules has
 * an open, unsuppressed failure; `manual` when its rules only produced "check by hand" results;
 * `passing` when its rules judged resources and none failed; `not checked` when no resource in
 * the inventory was judged by them. A section's score is its passing requirements out of its
 * passing and failing ones (manual and unchecked requirements are listed, never counted).
 */

export type RequirementStatus = 'passing' | 'failing' | 'manual' | 'not checked';

export interface FailingResource {
  findingId: string;
  ruleId: string;
  resource: string;
  account: string;
}

export interface RequirementScore {
  id: string;
  section: string;
  title: string;
  status: RequirementStatus;
  rules: string[];
  passed: number;
  failed: number;
  manual: number;
  failing: FailingResource[];
}

export interface SectionScore {
  id: string;
  title: string;
  passing: number;
  failing: number;
  manual: number;
  notChecked: number;
  /** passing / (passing + failing), 0–100; null when nothing was judged. */
  score: number | null;
}

export interface ComplianceReport {
  framework: Pick<Framework, 'id' | 'name' | 'version' | 'source'>;
  scanId: number | null;
  score: number | null;
  sections: SectionScore[];
  requirements: RequirementScore[];
}

const pct = (passing: number, failing: number): number | null =>
  passing + failing === 0 ? null : Math.round((passing / (passing + failing)) * 100);

/** Scores a framework from the rule tallies of the last scan and the workspace's open findings. */
export const scoreFramework = (
  framework: Framework,
  tally: RuleTally,
  open: ReadonlyMap<string, { failed: FailingResource[]; manual: number }>,
  scanId: number | null,
): ComplianceReport => {
  const requirements: RequirementScore[] = framework.requirements.map((req) => {
    let passed = 0;
    let failed = 0;
    let manual = 0;
    const failing: FailingResource[] = [];
    for (const rule of req.rules) {
      const t = tally[rule];
      const o = open.get(rule);
      passed += t?.pass ?? 0;
      failed += o?.failed.length ?? 0;
      manual += o?.manual ?? 0;
      failing.push(...(o?.failed ?? []));
    }
    const status: RequirementStatus =
      failed > 0 ? 'failing' : passed > 0 ? 'passing' : manual > 0 ? 'manual' : 'not checked';
    return {
      id: req.id,
      section: req.section,
      title: req.title,
      status,
      rules: [...req.rules],
      passed,
      failed,
      manual,
      failing,
    };
  });
  const sections = framework.sections.map((s) => {
    const of = requirements.filter((r) => r.section === s.id);
    const count = (st: RequirementStatus) => of.filter((r) => r.status === st).length;
    return {
      id: s.id,
      title: s.title,
      passing: count('passing'),
      failing: count('failing'),
      manual: count('manual'),
      notChecked: count('not checked'),
      score: pct(count('passing'), count('failing')),
    };
  });
  const passing = requirements.filter((r) => r.status === 'passing').length;
  const failing = requirements.filter((r) => r.status === 'failing').length;
  return {
    framework: { id: framework.id, name: framework.name, version: framework.version, source: framework.source },
    scanId,
    score: pct(passing, failing),
    sections,
    requirements,
  };
};

/** Reads the last security scan's tally and the open findings, and scores the framework. */
export const complianceReport = async (
  db: Db,
  workspaceId: string,
  framework: Framework,
): Promise<ComplianceReport> => {
  const scans = await recentScans(db, workspaceId, { limit: 20, status: 'succeeded' });
  const last = scans.find((s) => s.category !== 'cost');
  const rules = [...new Set(framework.requirements.flatMap((r) => r.rules))];
  const { rows } = await db.execute<{
    id: string;
    rule_id: string;
    verdict: string;
    resource_id: string;
    resource_name: string;
    account: string;
  }>(sql`
    select id, rule_id, verdict, resource_id, resource_name, account from findings
    where workspace_id = ${workspaceId} and status = 'open' and suppression_id is null
      and verdict in ('fail', 'manual') and rule_id in (select json_array_elements_text(${JSON.stringify(rules)}::json))
    order by rule_id, resource_name, id`);
  const open = new Map<string, { failed: FailingResource[]; manual: number }>();
  for (const r of rows) {
    const o = open.get(r.rule_id) ?? { failed: [], manual: 0 };
    if (r.verdict === 'fail')
      o.failed.push({
        findingId: r.id,
        ruleId: r.rule_id,
        resource: r.resource_name === r.resource_id ? r.resource_id : `${r.resource_name} (${r.resource_id})`,
        account: r.account,
      });
    else o.manual++;
    open.set(r.rule_id, o);
  }
  return scoreFramework(framework, last?.tally ?? {}, open, last?.id ?? null);
};

const ComplianceInput = z.object({
  framework: z
    .string()
    .min(1)
    .max(40)
    .describe('Framework id: cis-aws, cis-azure, cis-gcp, cis-kubernetes, soc2, hipaa, pci-dss or gdpr.'),
});

const scoreText = (s: number | null) => (s === null ? '–' : `${s}%`);

export const complianceTool = (
  d: ScanToolDeps & { frameworks: readonly Framework[] },
): Tool<typeof ComplianceInput> => ({
  name: 'compliance',
  description:
    'Scores a compliance framework (CIS AWS/Azure/GCP/Kubernetes, SOC 2, HIPAA, PCI DSS, GDPR) from the last security scan: the score per section and the failing requirements with their resources.',
  input: ComplianceInput,
  kind: 'read',
  minRole: 'viewer',
  llm: true,
  run: async (input, ctx) => {
    const framework = frameworkById(d.frameworks, input.framework.toLowerCase());
    const report = await complianceReport(d.db, ctx.actor.workspaceId, framework);
    const f = report.framework;
    if (report.scanId === null)
      return {
        type: 'answer',
        reply: reply(
          [
            {
              type: 'text',
              text: `No security scan has run in this workspace yet: \`scan security\` runs one, then \`compliance ${f.id}\` scores ${f.name} ${f.version}.`,
            },
          ],
          { sandbox: d.sandbox },
        ),
        data: report,
      };
    const failing = report.requirements.filter((r) => r.status === 'failing');
    const blocks: Block[] = [
      { type: 'header', text: `${f.name} ${f.version}: ${scoreText(report.score)}` },
      {
        type: 'table',
        columns: ['Section', 'Score', 'Passing', 'Failing', 'Manual', 'Not checked'],
        rows: report.sections.map((s) => [
          `${s.id} ${s.title}`,
          scoreText(s.score),
          String(s.passing),
          String(s.failing),
          String(s.manual),
          String(s.notChecked),
        ]),
      },
    ];
    if (failing.length > 0)
      blocks.push({
        type: 'table',
        columns: ['Requirement', 'Failing resources'],
        rows: failing.map((r) => [
          `${r.id} ${r.title}`,
          r.failing
            .slice(0, 5)
            .map((x) => `${x.resource} ${findingRef(x.findingId)}`)
            .join(', ') + (r.failing.length > 5 ? ` and ${r.failing.length - 5} more` : ''),
        ]),
      });
    blocks.push({
      type: 'context',
      text: `From scan ${report.scanId} and the open findings (suppressed ones not counted). ${plural(failing.length, 'requirement')} failing. Mapping source: ${f.source}.`,
    });
    return { type: 'answer', reply: reply(blocks, { sandbox: d.sandbox }), data: report };
  },
});
