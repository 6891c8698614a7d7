import { getChange } from '../../changes/repository.ts';
import type { ChangeRequest, ChangeStatus } from '../../changes/model.ts';
import { changeRequests } from '../../changes/schema.ts';
import { and, desc, eq, gte, inArray, or } from '../../store/orm.ts';
import type { Db } from '../../store/db.ts';
import type { ResourceKey } from '../../tools/change-plan.ts';
import { listSteps } from '../../workflows/repository.ts';
import { clip, factResource, relative, weigh, type Evidence } from './evidence.ts';
import { keyOf, type Related } from './inventory.ts';

/**
 * Our own change requests on the affected resources and their neighbours: single changes that
 * ran (or are running) in the lookback, and workflow runs with a step on one of them (a running
 * or waiting run whatever its age). Pending, rejected and expired requests changed nothing.
 */

const ran: ChangeStatus[] = ['approved', 'executing', 'waiting', 'succeeded', 'failed', 'interrupted', 'rolled_back'];
const open: ChangeStatus[] = ['approved', 'executing', 'waiting'];
/** At most this many requests become facts (the newest). */
const MAX_CHANGES = 25;

const targetsOf = (row: { target: ResourceKey; workflow: Record<string, unknown> | null }): ResourceKey[] => {
  const steps = (row.workflow?.steps as { target?: ResourceKey }[] | undefined) ?? [];
  return row.workflow ? steps.flatMap((s) => (s.target ? [s.target] : [])) : [row.target];
};

const names = (list: string[]): string =>
  list.length <= 1 ? (list[0] ?? '') : `${list.slice(0, -1).join(', ')} and ${list.at(-1)}`;

/** ", requested by Bob, approved by Ana" / ", auto-approved by policy rule "dev"". */
const people = (c: ChangeRequest): string => {
  const approvers = c.decisions.filter((d) => d.decision === 'approved').map((d) => d.approver.displayName);
  const approval = c.policy.autoApprove
    ? `, auto-approved by policy rule "${c.policy.rule}"`
    : approvers.length
      ? `, approved by ${names(approvers)}`
      : '';
  return `requested by ${c.requester.displayName}${approval}`;
};

const phrase = (c: ChangeRequest): string => {
  switch (c.status) {
    case 'succeeded':
      return 'succeeded';
    case 'failed':
      return `failed (${clip(c.error ?? 'no reason recorded', 120)})`;
    case 'executing':
      return 'running since';
    case 'waiting':
      return `waiting at an approval gate since`;
    case 'approved':
      return 'approved';
    case 'interrupted':
      return 'interrupted';
    case 'rolled_back':
      return `succeeded and was since rolled back`;
    default:
      return c.status;
  }
};

const whenOf = (c: ChangeRequest): Date => c.finishedAt ?? c.startedAt ?? c.createdAt;

export const changeEvidence = async (
  db: Db,
  input: { workspaceId: string; openedAt: Date; since: Date; related: ReadonlyMap<string, Related> },
): Promise<Evidence[]> => {
  const rows = await db
    .select({
      id: changeRequests.id,
      target: changeRequests.target,
      workflow: changeRequests.workflow,
      createdAt: changeRequests.createdAt,
    })
    .from(changeRequests)
    .where(
      and(
        eq(changeRequests.workspaceId, input.workspaceId),
        inArray(changeRequests.status, ran),
        or(gte(changeRequests.createdAt, input.since), inArray(changeRequests.status, open)),
      ),
    )
    .orderBy(desc(changeRequests.createdAt))
    .limit(500);
  const hits = rows
    .map((r) => ({ id: r.id, touched: targetsOf(r).flatMap((t) => input.related.get(keyOf(t)) ?? []) }))
    .filter((r) => r.touched.length > 0)
    .slice(0, MAX_CHANGES);
  const out: Evidence[] = [];
  for (const hit of hits) {
    const c = await getChange(db, hit.id);
    if (!c) continue;
    const at = whenOf(c);
    // A change finished after the lookback began, or still open, counts; an old one that ran long does not.
    if (at < input.since && !open.includes(c.status)) continue;
    const affected = hit.touched.find((t) => t.relation === 'affected');
    const main = affected ?? hit.touched[0]!;
    const relation = affected ? 'affected' : 'neighbour';
    if (c.plan.workflow) {
      const steps = await listSteps(db, c.id);
      const last = steps.at(-1);
      const running = c.status === 'executing' || c.status === 'waiting';
      const touched = [...new Set(hit.touched.map((t) => t.resource.name || t.resource.id))];
      out.push({
        kind: 'workflow',
        signal: running ? 'workflow_running' : 'workflow',
        text: `Workflow run ${c.id} (template ${c.plan.workflow.template}) acting on ${names(touched.slice(0, 4))} ${phrase(c)} ${relative(at, input.openedAt)}, ${people(c)}${last ? `; last step: ${last.title} (${last.status})` : ''}`,
        source: c.id,
        resource: factResource(main.resource),
        subject: main.resource,
        relation,
        at,
        changeId: c.id,
        weight: weigh('workflow', relation, running ? input.openedAt : at, input.openedAt),
      });
      continue;
    }
    out.push({
      kind: 'change',
      signal: c.status === 'failed' || c.status === 'interrupted' ? 'change_failed' : 'change',
      text: `${c.plan.summary}: ${phrase(c)} ${relative(at, input.openedAt)} (${c.id}), ${people(c)}`,
      source: c.id,
      resource: factResource(main.resource),
      subject: main.resource,
      relation,
      at,
      changeId: c.id,
      weight: weigh('change', relation, at, input.openedAt),
    });
  }
  return out;
};
