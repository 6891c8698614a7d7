import type { InstanceStateName, SandboxFleet, SandboxInstance, SandboxSnapshot } from './model.ts';
import { Ec2Error, listParam } from './query.ts';
import type { Params } from './query.ts';
import type { XmlNode } from './xml.ts';

/** One decoded EC2 request as a handler sees it. */
export interface Ec2Call {
  region: string;
  params: Params;
  fleet: SandboxFleet;
  now: () => Date;
  /** How long a transitional state (pending, stopping) lasts; see SandboxInstance.settle. */
  transition: Transition;
}

/** By the sandbox's clock (`ms`), or by DescribeInstances calls seen (`describes`: tests that count steps). */
export type Transition = { ms: number } | { describes: number };

/** Puts an instance in a transitional state that ends in `to` after the configured time or describes. */
export const beginTransition = (
  call: Ec2Call,
  i: SandboxInstance,
  state: InstanceStateName,
  to: InstanceStateName,
): void => {
  i.state = state;
  i.settle =
    'ms' in call.transition
      ? { to, at: call.now().getTime() + call.transition.ms }
      : { to, afterDescribes: call.transition.describes };
};

/**
 * Time passing: a timed transition ends once the clock reaches it (seen by any describe); a counted
 * one moves a step on each DescribeInstances (`counted`).
 */
export const settleTransitions = (call: Ec2Call, instances: SandboxInstance[], counted: boolean): void => {
  const now = call.now().getTime();
  for (const i of instances) {
    if (!i.settle) continue;
    if (i.settle.at !== undefined) {
      if (now < i.settle.at) continue;
    } else {
      if (!counted) continue;
      i.settle.afterDescribes = (i.settle.afterDescribes ?? 1) - 1;
      if (i.settle.afterDescribes > 0) continue;
    }
    i.state = i.settle.to;
    delete i.settle;
  }
};

/** A new snapshot stays `pending` for the configured time or DescribeSnapshots calls, as instances do. */
export const beginSnapshot = (call: Ec2Call, s: SandboxSnapshot): void => {
  s.state = 'pending';
  s.settle =
    'ms' in call.transition
      ? { at: call.now().getTime() + call.transition.ms }
      : { afterDescribes: call.transition.describes };
};

/** Completes pending snapshots whose time came (each DescribeSnapshots counts as one describe). */
export const settleSnapshots = (call: Ec2Call, snapshots: SandboxSnapshot[]): void => {
  const now = call.now().getTime();
  for (const s of snapshots) {
    if (!s.settle) continue;
    if (s.settle.at !== undefined) {
      if (now < s.settle.at) continue;
    } else {
      s.settle.afterDescribes = (s.settle.afterDescribes ?? 1) - 1;
      if (s.settle.afterDescribes > 0) continue;
    }
    s.state = 'completed';
    delete s.settle;
  }
};

/** Returns the response body (children of `<ActionResponse>`, minus requestId) or throws Ec2Error. */
export type Ec2Handler = (call: Ec2Call) => XmlNode;

const instanceIdPattern = /^i-([0-9a-f]{8}|[0-9a-f]{17})$/;

/** How EC2 checks one kind of id: its pattern, the codes for a malformed and an unknown id, and the message naming the unknown ones. */
export interface IdKind {
  pattern: RegExp;
  malformed: string;
  notFound: string;
  describe: (missing: string[]) => string;
}

/** EC2's id checks in its order: malformed ids first, then unknown ones (all named in one message). */
export const requireIds = <T extends { id: string }>(ids: string[], items: T[], kind: IdKind): T[] => {
  const bad = ids.find((id) => !kind.pattern.test(id));
  if (bad !== undefined) throw new Ec2Error(kind.malformed, `Invalid id: "${bad}"`);
  const missing = ids.filter((id) => !items.some((x) => x.id === id));
  if (missing.length > 0) throw new Ec2Error(kind.notFound, kind.describe(missing));
  return ids.map((id) => items.find((x) => x.id === id) as T);
};

/** The items the `idParam` list names (with requireIds' checks), or all of them when it names none. */
export const chosenByIds = <T extends { id: string }>(
  params: Params,
  idParam: string,
  items: T[],
  kind: IdKind,
): T[] => {
  const ids = listParam(params, idParam);
  return ids.length > 0 ? requireIds(ids, items, kind) : items;
};

export const instanceIdKind = {
  pattern: instanceIdPattern,
  malformed: 'InvalidInstanceID.Malformed',
  notFound: 'InvalidInstanceID.NotFound',
  describe: (m: string[]) =>
    m.length === 1 ? `The instance ID '${m[0]}' does not exist` : `The instance IDs '${m.join(', ')}' do not exist`,
};

export const instancesIn = (call: Ec2Call): SandboxInstance[] =>
  call.fleet.instances.filter((i) => i.region === call.region);

/** The instances named by `InstanceId.N` (or ModifyInstanceAttribute's single `InstanceId`). */
export const targetInstances = (call: Ec2Call): SandboxInstance[] => {
  const ids = listParam(call.params, 'InstanceId');
  if (call.params.InstanceId !== undefined) ids.push(call.params.InstanceId);
  if (ids.length === 0) throw new Ec2Error('MissingParameter', 'The request must contain the parameter InstanceId');
  return requireIds(ids, instancesIn(call), instanceIdKind);
};
