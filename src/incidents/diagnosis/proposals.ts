import { ActionInput } from '../../cloud/change-tools.ts';
import { findAction } from '../../cloud/actions.ts';
import { catalogOf, staticActionLookup } from '../../cloud/catalogs.ts';
import { maxReplicas, rollbackTarget } from '../../cloud/kubernetes/actions.ts';
import type { Resource } from '../../cloud/resource.ts';
import type { ChangeRequest } from '../../changes/model.ts';
import { rollbackPlan } from '../../changes/rollback.ts';
import { DecideInput } from '../../changes/tools.ts';
import { CancelInput } from '../../workflows/tools.ts';
import type { Proposal, Suspect } from '../model.ts';
import { clip, factResource, type NumberedEvidence } from './evidence.ts';

/**
 * Remediations to offer, each an existing tool call that files a change request through the
 * approval gate (or, for a running workflow, asks it to stop and undo its steps):
 * - `rollback`: `rollback_change` of the newest succeeded change on an affected resource (when it
 *   has an inverse), or `resource_action undo_rollout` of a deployment whose recent rollout broke;
 * - `rollout_restart`: of a deployment whose pods crash-loop or fail (not when they cannot pull
 *   their image: a restart pulls the same image);
 * - `scale_out`: a deployment or ECS service a capacity suspect names, +50% (at least +1);
 * - `revert_workflow`: `cancel_change` of a workflow run executing or waiting on them;
 * - `start`: a stopped VM that was affected; `restart`: a running VM failing its target group.
 * Only actions the target's provider declares for its type and state, never an inverse-only one;
 * each call's input passes the tool's own zod input.
 */

const MAX_PROPOSALS = 5;

const declared = (r: Resource, action: string) => {
  const spec = findAction(catalogOf(r.provider) ?? {}, r.type, action);
  if (!spec || spec.inverseOnly || (spec.states && !spec.states.includes(r.state))) return undefined;
  return spec;
};

const label = (r: Resource): string => r.name || r.id;

/** Checks a call against its tool's input schema: a proposal that would be refused is never offered. */
const valid = (tool: string, input: Record<string, unknown>): boolean => {
  const schema = tool === 'rollback_change' ? DecideInput : tool === 'cancel_change' ? CancelInput : ActionInput;
  return schema.safeParse(input).success;
};

export interface ProposalInput {
  title: string;
  evidence: readonly NumberedEvidence[];
  suspects: readonly Suspect[];
  /** Every change request behind a change or workflow fact, by id. */
  changes: ReadonlyMap<string, ChangeRequest>;
  /** Deployments by `account/namespace/name`, for pods' owners. */
  deployments: ReadonlyMap<string, Resource>;
}

const deploymentKey = (account: string, ns: string, name: string): string => `${account}/${ns}/${name}`;

export const deploymentIndex = (all: readonly Resource[]): Map<string, Resource> =>
  new Map(
    all
      .filter((r) => r.provider === 'kubernetes' && r.type === 'deployment')
      .map((r) => [deploymentKey(r.account, String(r.attributes.namespace ?? ''), r.name), r]),
  );

export const findProposals = (p: ProposalInput): Proposal[] => {
  const out: Array<Proposal & { rank: number }> = [];
  const rankOf = (factIds: string[]): number => {
    const i = p.suspects.findIndex((s) => s.factIds.some((f) => factIds.includes(f)));
    return i === -1 ? p.suspects.length : i;
  };
  const push = (proposal: Proposal) => {
    if (!valid(proposal.call.tool, proposal.call.input)) return;
    const same = out.some(
      (o) => o.call.tool === proposal.call.tool && JSON.stringify(o.call.input) === JSON.stringify(proposal.call.input),
    );
    if (same) return;
    out.push({ ...proposal, title: clip(proposal.title, 75), why: clip(proposal.why), rank: rankOf(proposal.factIds) });
  };
  const action = (r: Resource, name: string, params?: Record<string, string>) => ({
    tool: 'resource_action',
    input: { action: name, resource: r.id, ...(params ? { params } : {}) },
  });
  const ownerOf = (e: NumberedEvidence): Resource | undefined => {
    if (!e.subject) return undefined;
    if (e.subject.type === 'deployment') return e.subject;
    const ns = String(e.subject.attributes.namespace ?? '');
    return e.deployment ? p.deployments.get(deploymentKey(e.subject.account, ns, e.deployment)) : undefined;
  };

  // Our newest succeeded change on each affected resource.
  const rolledBack = new Set<string>();
  for (const e of p.evidence) {
    if (e.signal !== 'change' || e.relation !== 'affected' || !e.changeId || !e.subject) continue;
    const c = p.changes.get(e.changeId);
    if (!c || c.status !== 'succeeded' || rolledBack.has(e.subject.id)) continue;
    rolledBack.add(e.subject.id);
    try {
      rollbackPlan(c, staticActionLookup);
    } catch {
      continue; // nothing to undo it with: no proposal
    }
    push({
      kind: 'rollback',
      title: `Roll back ${c.id} (${c.plan.action} ${c.plan.resourceName})`,
      why: `${c.id} changed ${c.plan.resourceName} shortly before the alert [${e.id}]; rolling it back files its inverse for approval.`,
      factIds: [e.id],
      call: { tool: 'rollback_change', input: { changeId: c.id } },
      target: factResource(e.subject),
    });
  }

  for (const e of p.evidence) {
    const r = e.subject;
    if (!r) continue;
    switch (e.signal) {
      case 'rollout': {
        const undo = declared(r, 'undo_rollout');
        const failing = p.evidence.filter(
          (x) => ['crashloop', 'image_pull', 'pod_failing', 'unavailable'].includes(x.signal) && ownerOf(x) === r,
        );
        if (!undo || failing.length === 0) break;
        try {
          rollbackTarget(
            label(r),
            (r.attributes.history as { revision: number }[]) ?? [],
            r.attributes.revision as number,
          );
        } catch {
          break;
        }
        push({
          kind: 'rollback',
          title: `Roll back deployment ${label(r)} to its previous revision`,
          why: `Its recent rollout [${e.id}] left its pods failing [${failing.map((f) => f.id).join(', ')}].`,
          factIds: [e.id, ...failing.map((f) => f.id)],
          call: action(r, undo.name),
          target: factResource(r),
        });
        break;
      }
      case 'crashloop':
      case 'pod_failing':
      case 'oom': {
        const owner = ownerOf(e);
        const restart = owner && declared(owner, 'rollout_restart');
        if (!owner || !restart) break;
        push({
          kind: 'rollout_restart',
          title: `Rollout restart deployment ${label(owner)}`,
          why: `Its pods keep failing [${e.id}]; a rollout restart replaces them batch by batch.`,
          factIds: [e.id],
          call: action(owner, restart.name),
          target: factResource(owner),
        });
        break;
      }
      case 'workflow_running': {
        if (!e.changeId) break;
        push({
          kind: 'revert_workflow',
          title: `Stop workflow run ${e.changeId} and undo its steps`,
          why: `The run acts on ${label(r)} while the alert is open [${e.id}]; stopping it undoes the steps it completed.`,
          factIds: [e.id],
          call: { tool: 'cancel_change', input: { changeId: e.changeId, reason: clip(`incident: ${p.title}`) } },
          target: factResource(r),
        });
        break;
      }
      case 'stopped': {
        const start = e.relation === 'affected' ? declared(r, 'start') : undefined;
        if (!start) break;
        push({
          kind: 'start',
          title: `Start ${label(r)}`,
          why: `${label(r)} is ${r.state} [${e.id}].`,
          factIds: [e.id],
          call: action(r, start.name),
          target: factResource(r),
        });
        break;
      }
      case 'targets_unhealthy': {
        const failing = ((r.attributes.failing as { id?: string }[] | undefined) ?? []).map((f) => f.id);
        for (const x of p.evidence) {
          const vm = x.subject;
          if (!vm || vm.type !== 'instance' || !failing.includes(vm.id) || x.relation !== 'affected') continue;
          const reboot = declared(vm, 'restart');
          if (reboot)
            push({
              kind: 'restart',
              title: `Restart ${label(vm)}`,
              why: `${label(vm)} fails the health checks of ${label(r)} [${e.id}].`,
              factIds: [e.id],
              call: action(vm, reboot.name),
              target: factResource(vm),
            });
        }
        break;
      }
      default:
        break;
    }
  }

  // Scale out what a capacity suspect names.
  for (const s of p.suspects) {
    if (s.category !== 'capacity') continue;
    const facts = p.evidence.filter((e) => s.factIds.includes(e.id));
    const target =
      facts.map(ownerOf).find(Boolean) ?? facts.map((f) => f.subject).find((r) => r?.type === 'container_service');
    if (!target) continue;
    const scale = declared(target, target.type === 'container_service' ? 'scale_service' : 'scale');
    const now = Number(
      target.type === 'container_service'
        ? target.attributes.desiredCount
        : (target.attributes.replicas as { desired?: unknown } | undefined)?.desired,
    );
    if (!scale || !Number.isInteger(now) || now < 1) continue;
    const to = Math.min(maxReplicas, Math.max(now + 1, Math.ceil(now * 1.5)));
    if (to === now) continue;
    const param = target.type === 'container_service' ? 'desiredCount' : 'replicas';
    push({
      kind: 'scale_out',
      title: `Scale ${label(target)} from ${now} to ${to}`,
      why: `${s.text.split(':')[0]} [${s.factIds.join(', ')}]; 50% more capacity while it is looked at.`,
      factIds: s.factIds,
      call: action(target, scale.name, { [param]: String(to) }),
      target: factResource(target),
    });
  }

  return out
    .sort((a, b) => a.rank - b.rank)
    .slice(0, MAX_PROPOSALS)
    .map(({ rank: _rank, ...proposal }) => proposal);
};
