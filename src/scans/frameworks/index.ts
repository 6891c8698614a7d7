import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { closest } from '../../chat/suggest.ts';
import { AppError, type IssueList } from '../../errors.ts';

/**
 * Compliance frameworks as data: `mappings.json` in this folder names, for each framework, its
 * version and the publisher's text it was checked against, and maps requirement ids to the scan
 * rules whose findings bear on them (how each id was checked: docs/compliance-sources.md). The
 * rule ids are validated against the registry the app passes in, so a renamed rule fails at load
 * with the file and the requirement named, not as a silently empty requirement in a report.
 */

const Section = z
  .object({
    id: z.string().min(1),
    title: z.string().min(1),
  })
  .strict();

export const Requirement = z
  .object({
    /** The framework's own id: `1.4`, `CC6.1`, `164.312(d)`, `Art. 32`. */
    id: z.string().min(1),
    /** The id of one of the framework's sections. */
    section: z.string().min(1),
    /** Short, in our words where the official title is long. */
    title: z.string().min(1),
    /** Scan rule ids; a requirement no rule checks is left out of the file. */
    rules: z.array(z.string().min(1)).min(1),
  })
  .strict();
export type Requirement = z.infer<typeof Requirement>;

export const Framework = z
  .object({
    /** Lower-case slug used in commands and reports: `cis-aws`, `pci-dss`. */
    id: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/),
    name: z.string().min(1),
    /** The framework's version the ids follow (`5.0.0`, `4.0`, `2017 (revised points of focus 2022)`). */
    version: z.string().min(1),
    /** Where the publisher's text is: a URL or a document title. */
    source: z.string().min(10),
    /** When that version was published, when known: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`. */
    published: z
      .string()
      .regex(/^\d{4}(-\d{2}(-\d{2})?)?$/)
      .optional(),
    sections: z.array(Section).min(1),
    requirements: z.array(Requirement).min(1),
  })
  .strict();
export type Framework = z.infer<typeof Framework>;

export const FrameworkFile = z
  .object({
    /** Bumped whenever a mapping changes: `YYYY-MM-DD[.n]`. */
    version: z.string().regex(/^\d{4}-\d{2}-\d{2}(\.\d+)?$/),
    frameworks: z.array(Framework).min(1),
  })
  .strict();
export type FrameworkFile = z.infer<typeof FrameworkFile>;

export const BUILT_IN_FILE = 'src/scans/frameworks/mappings.json';

/** `frameworks.2.requirements.5.rules` → `soc2 CC6.1 rules`, so a message names what a person can find in the file. */
const describePath = (json: unknown, issue: IssueList['issues'][number]): string => {
  const path = issue.path.map(String);
  if (path[0] !== 'frameworks' || path.length < 2) return path.join('.') || '(root)';
  const frameworks = (json as { frameworks?: unknown[] }).frameworks;
  const fw = frameworks?.[Number(path[1])] as
    { id?: unknown; requirements?: unknown[]; sections?: unknown[] } | undefined;
  const name = typeof fw?.id === 'string' ? fw.id : `frameworks.${path[1]}`;
  const rest = path.slice(2);
  if ((rest[0] === 'requirements' || rest[0] === 'sections') && rest.length >= 2) {
    const item = (rest[0] === 'requirements' ? fw?.requirements : fw?.sections)?.[Number(rest[1])] as
      { id?: unknown } | undefined;
    const label = typeof item?.id === 'string' ? item.id : `${rest[0]}.${rest[1]}`;
    const where = rest[0] === 'sections' && typeof item?.id === 'string' ? `section ${label}` : label;
    return [name, where, ...rest.slice(2)].join(' ');
  }
  return [name, ...rest].join(' ');
};

const formatIssues = (json: unknown, error: IssueList): string =>
  error.issues.map((i) => `${describePath(json, i)}: ${i.message}`).join('; ');

/** Cross-checks the schema cannot express: unique ids, known sections, known rules. */
const problemsOf = (file: FrameworkFile, knownRuleIds: ReadonlySet<string>): string[] => {
  const problems: string[] = [];
  const known = [...knownRuleIds];
  const frameworkIds = new Set<string>();
  for (const fw of file.frameworks) {
    if (frameworkIds.has(fw.id)) problems.push(`duplicate framework id "${fw.id}"`);
    frameworkIds.add(fw.id);
    const sectionIds = new Set<string>();
    for (const s of fw.sections) {
      if (sectionIds.has(s.id)) problems.push(`duplicate section id "${s.id}" in ${fw.id}`);
      sectionIds.add(s.id);
    }
    const requirementIds = new Set<string>();
    for (const r of fw.requirements) {
      const where = `${fw.id} ${r.id}`;
      if (requirementIds.has(r.id)) problems.push(`duplicate requirement id "${r.id}" in ${fw.id}`);
      requirementIds.add(r.id);
      if (!sectionIds.has(r.section))
        problems.push(
          `requirement ${where} is in unknown section "${r.section}" (sections: ${[...sectionIds].join(', ')})`,
        );
      const seen = new Set<string>();
      for (const rule of r.rules) {
        if (seen.has(rule)) problems.push(`rule id "${rule}" listed twice in ${where}`);
        seen.add(rule);
        if (!knownRuleIds.has(rule)) {
          const guess = closest(rule, known);
          problems.push(`unknown rule id "${rule}" in ${where}${guess ? ` (did you mean "${guess}"?)` : ''}`);
        }
      }
    }
  }
  return problems;
};

/**
 * Validates a mapping file against the schema and the rule registry. Throws one `config_invalid`
 * error whose message is a single line naming the file and every problem found.
 */
export const loadFrameworks = (
  json: unknown,
  knownRuleIds: ReadonlySet<string>,
  file = BUILT_IN_FILE,
): readonly Framework[] => {
  const fail = (problems: string) =>
    new AppError('config_invalid', `${file} is not a valid framework mapping: ${problems}`);
  const r = FrameworkFile.safeParse(json);
  if (!r.success) throw fail(formatIssues(json, r.error));
  const problems = problemsOf(r.data, knownRuleIds);
  if (problems.length > 0) throw fail(problems.join('; '));
  return r.data.frameworks;
};

let builtInJson: unknown;

/** The shipped mappings, validated against the rule ids the app registers. */
export const builtInFrameworks = (knownRuleIds: ReadonlySet<string>): readonly Framework[] => {
  builtInJson ??= JSON.parse(readFileSync(new URL('./mappings.json', import.meta.url), 'utf8'));
  return loadFrameworks(builtInJson, knownRuleIds, BUILT_IN_FILE);
};

/** The requirements of a framework that a rule's findings bear on, in file order. */
export const requirementsOf = (framework: Framework, ruleId: string): Requirement[] =>
  framework.requirements.filter((r) => r.rules.includes(ruleId));

/** A framework by id (case-insensitive); an unknown id names the valid ones and the closest. */
export const frameworkById = (frameworks: readonly Framework[], id: string): Framework => {
  const wanted = id.trim().toLowerCase();
  const found = frameworks.find((f) => f.id === wanted);
  if (found) return found;
  const ids = frameworks.map((f) => f.id);
  const guess = closest(wanted, ids);
  throw new AppError(
    'not_found',
    `Unknown framework "${id}".${guess ? ` Did you mean "${guess}"?` : ''} Known frameworks: ${ids.join(', ')}.`,
  );
};
