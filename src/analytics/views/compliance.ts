import { complianceReport, type ComplianceReport } from '../../scans/compliance.ts';
import { link, type ViewContext } from './deps.ts';
import { scanToken } from './memo.ts';
import { count, percent } from './format.ts';
import type { Figure, View } from './model.ts';
import { oneOf, pageOf, parseQuery, selectFilter, tableShape } from './query.ts';

/**
 * Compliance: each framework's score from the last security scan and the open findings
 * (src/scans/compliance.ts: passing requirements out of passing and failing ones), and the
 * failing controls of one framework with the resources that fail them.
 */

/** Every framework's report for the workspace. */
export const complianceReports = async (d: ViewContext, workspaceId: string): Promise<ComplianceReport[]> =>
  d.memo.get(`compliance:${workspaceId}`, await scanToken(d.db, workspaceId), () =>
    Promise.all(d.frameworks.map((f) => complianceReport(d.db, workspaceId, f))),
  );

/** The lowest score among the frameworks that judged something, or null. */
export const worstReport = (reports: readonly ComplianceReport[]): ComplianceReport | null =>
  reports
    .filter((r) => r.score !== null)
    .sort((a, b) => a.score! - b.score! || a.framework.id.localeCompare(b.framework.id))[0] ?? null;

/** The overview's compliance figure: the worst score, leading to that framework's failing controls. */
export const complianceFigure = (reports: readonly ComplianceReport[]): Figure => {
  const worst = worstReport(reports);
  if (!worst)
    return {
      id: 'compliance',
      label: 'Worst compliance score',
      value: '–',
      detail: 'no security scan has judged a control yet',
      tone: 'neutral',
      link: link('compliance'),
    };
  const failing = worst.requirements.filter((r) => r.status === 'failing').length;
  return {
    id: 'compliance',
    label: 'Worst compliance score',
    value: percent(worst.score),
    detail: `${worst.framework.name}: ${count(failing)} failing ${failing === 1 ? 'control' : 'controls'}`,
    tone: worst.score! >= 90 ? 'good' : worst.score! >= 70 ? 'neutral' : 'bad',
    link: link('compliance', { framework: worst.framework.id }),
  };
};

const controlSortKeys = ['failing', 'control', 'section'] as const;

/** The compliance view. */
export const complianceView = async (
  d: ViewContext,
  workspaceId: string,
  query: Record<string, string>,
): Promise<View> => {
  const ids = d.frameworks.map((f) => f.id);
  const q = parseQuery('compliance', { framework: oneOf(ids).optional(), ...tableShape(controlSortKeys) }, query);
  const reports = await complianceReports(d, workspaceId);
  const chosen = reports.find((r) => r.framework.id === q.framework) ?? worstReport(reports) ?? reports[0] ?? null;
  const page = pageOf(q, { sort: 'failing', dir: 'desc' });
  const failing = (chosen?.requirements ?? []).filter((r) => r.status === 'failing');
  const sign = page.dir === 'asc' ? 1 : -1;
  // A framework has at most a few hundred controls: sorted and paged here.
  failing.sort(
    (a, b) =>
      sign *
        (page.sort === 'failing'
          ? a.failed - b.failed
          : page.sort === 'section'
            ? a.section.localeCompare(b.section, 'en', { numeric: true })
            : a.id.localeCompare(b.id, 'en', { numeric: true })) || a.id.localeCompare(b.id, 'en', { numeric: true }),
  );
  const scanned = reports.some((r) => r.scanId !== null);
  return {
    name: 'compliance',
    title: 'Compliance',
    figures: reports.map((r) => ({
      id: `score-${r.framework.id}`,
      label: r.framework.name,
      value: percent(r.score),
      detail:
        r.score === null
          ? 'nothing judged'
          : `${count(r.requirements.filter((x) => x.status === 'failing').length)} failing of ${count(
              r.requirements.filter((x) => x.status === 'failing' || x.status === 'passing').length,
            )} judged`,
      tone: r.score === null ? 'neutral' : r.score >= 90 ? 'good' : r.score >= 70 ? 'neutral' : 'bad',
      link: link('compliance', { framework: r.framework.id }),
    })),
    charts: [
      {
        id: 'scores',
        title: 'Score per framework',
        kind: 'bar',
        categories: reports.map((r) => r.framework.name),
        series: [{ name: 'Score', values: reports.map((r) => r.score) }],
        unit: '%',
        links: reports.map((r) => link('compliance', { framework: r.framework.id })),
      },
    ],
    tables: [
      {
        id: 'controls',
        title: chosen ? `Failing controls: ${chosen.framework.name} ${chosen.framework.version}` : 'Failing controls',
        columns: [
          { key: 'control', label: 'Control', sortable: true },
          { key: 'section', label: 'Section', sortable: true },
          { key: 'title', label: 'Requirement', sortable: false },
          { key: 'failing', label: 'Failing resources', sortable: true, align: 'end' },
          { key: 'resources', label: 'For example', sortable: false },
        ],
        rows: failing.slice(page.offset, page.offset + page.limit).map((r) => {
          const rule = r.failing[0]?.ruleId ?? r.rules[0]!;
          return {
            id: r.id,
            cells: {
              control: { text: r.id },
              section: { text: chosen?.sections.find((s) => s.id === r.section)?.title ?? r.section },
              title: { text: r.title },
              failing: { text: count(r.failed), link: link('findings', { rule }) },
              resources: {
                text: r.failing
                  .slice(0, 3)
                  .map((f) => f.resource)
                  .join(', '),
                link: link('findings', { rule }),
              },
            },
          };
        }),
        paging: { offset: page.offset, limit: page.limit, total: failing.length },
        sort: { key: page.sort, dir: page.dir },
        filters: [
          selectFilter(
            'framework',
            'Framework',
            chosen?.framework.id,
            reports.map((r) => ({ value: r.framework.id, label: r.framework.name })),
          ),
        ],
        empty: scanned ? 'No control of this framework fails.' : 'No security scan has run in this workspace yet.',
      },
    ],
    notes: [
      'A framework’s score is its passing controls out of its passing and failing ones, from the last security scan and the open findings; controls checked by hand or not checked are not counted.',
      ...(scanned ? [] : ['No security scan has run in this workspace yet: run `scan security` in chat.']),
    ],
    generatedAt: d.now().toISOString(),
  };
};
