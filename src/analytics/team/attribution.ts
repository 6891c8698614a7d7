import { sql } from '../../store/orm.ts';

/** A query fragment (drizzle's SQL; its type is reached through `sql`, since this folder may not import drizzle's types). */
export type Fragment = ReturnType<typeof sql>;

/**
 * Which team a record belongs to. A team is the lower-cased value of the first owner tag
 * (`SCAN_OWNER_TAGS`, default `owner,team`) — the rule scan digests use (`ownerExpr`,
 * src/scans/repository.ts) — read on the resources the record concerns:
 *
 * - a change request: its target; a workflow run: its steps' targets, in plan order;
 * - an incident: the resources its alert names (matched by id or name in the inventory, in the
 *   order the alert gives them), then the incident's own labels with the same keys;
 * - a finding: its resource's tags as the scan recorded them.
 *
 * The first resource that carries an owner tag decides; `unowned` when none does. One record
 * belongs to exactly one team, so team figures add up to the workspace's. Tags are read from the
 * inventory as it is now (a resource since deleted keeps its last tags there).
 */

/** The team of a record no owner tag names. */
export const UNOWNED = 'unowned';

/** SCAN_OWNER_TAGS' default. */
export const DEFAULT_OWNER_TAGS: readonly string[] = ['owner', 'team'];

/** The team a tags object names, or NULL: `coalesce(nullif(lower(<tags> ->> 'owner'), ''), …)`. */
export const tagTeam = (tags: Fragment, keys: readonly string[]): Fragment =>
  sql`coalesce(${sql.join(
    keys.map((k) => sql`nullif(lower(${tags} ->> ${k}::text), '')`),
    sql`, `,
  )})`;

/** The same, `unowned` when no key is set (a finding's owner, exactly as digests read it). */
export const tagTeamOrUnowned = (tags: Fragment, keys: readonly string[]): Fragment =>
  sql`coalesce(${tagTeam(tags, keys)}, ${UNOWNED}::text)`;

/**
 * The team of the change request aliased `c`: the first target (its own, or its workflow steps'
 * in order) whose inventory row carries an owner tag.
 */
export const changeTeam = (keys: readonly string[]): Fragment => {
  const team = tagTeam(sql`r.tags`, keys);
  return sql`coalesce((
    select ${team} from jsonb_array_elements(
        case when c.workflow is null then jsonb_build_array(jsonb_build_object('target', c.target))
        else c.workflow -> 'steps' end) with ordinality as s(step, n)
      join resources r on r.provider = s.step -> 'target' ->> 'provider'
        and r.account = s.step -> 'target' ->> 'account' and r.id = s.step -> 'target' ->> 'id'
      where ${team} is not null
      order by s.n limit 1), ${UNOWNED}::text)`;
};

/** The team of the incident aliased `i`: its named resources' first owner tag, then its labels'. */
export const incidentTeam = (keys: readonly string[]): Fragment => {
  const team = tagTeam(sql`r.tags`, keys);
  return sql`coalesce((
    select ${team} from jsonb_array_elements_text(i.resources) with ordinality as s(ref, n)
      join resources r on r.id = s.ref or r.name = s.ref
      where ${team} is not null
      order by s.n, r.provider, r.account, r.id limit 1),
    ${tagTeam(sql`i.labels`, keys)}, ${UNOWNED}::text)`;
};

/** SCAN_OWNER_TAGS as given, or the default when empty. */
export const ownerKeys = (tags: readonly string[] | undefined): readonly string[] =>
  tags && tags.length > 0 ? tags : DEFAULT_OWNER_TAGS;

/** A team as people type it: lower case, trimmed. */
export const normaliseTeam = (team: string): string => team.trim().toLowerCase();
