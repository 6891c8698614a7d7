import type { protos } from '@google-cloud/compute';
import { AppError, badRequest, conflict } from '../../errors.ts';
import type { ActionResult, ResourceAction } from '../provider.ts';
import { stopFirst } from './actions.ts';
import { getInstance, parseInstanceId, zoneMachineTypes } from './compute.ts';
import { translateGcpError } from './errors.ts';
import { instanceState, lastSegment } from './normalize.ts';
import type { GcpClients } from './types.ts';

/**
 * start / stop / reset / set_machine_type of one GCE instance. Each call answers a zone
 * Operation; we then call `zoneOperations.wait` (which blocks on Google's side until the
 * operation is DONE or its own deadline passes) until DONE, reporting each round as progress.
 * The instance is read first, so a plan whose instance vanished fails with not_found before
 * anything is sent, and a machine-type change of a running instance is refused (see actions.ts).
 */

type Operation = protos.google.cloud.compute.v1.IOperation;
type Progress = (step: string) => void;

export interface ExecuteContext {
  /** Wait rounds before giving up on an operation (each round is one blocking `wait` call). */
  maxWaits: number;
  progress: Progress;
  /** The clock (fix actions name the snapshot they take by it). */
  now: () => Date;
}

const waitDone = async (
  c: GcpClients,
  project: string,
  zone: string,
  op: Operation,
  ctx: ExecuteContext,
): Promise<Operation> => {
  let current = op;
  for (let round = 1; current.status !== 'DONE'; round++) {
    if (round > ctx.maxWaits)
      throw new AppError(
        'cloud_error',
        `Google's ${current.operationType ?? ''} operation ${current.name ?? ''} was still ${current.status ?? 'running'} after ${ctx.maxWaits} waits; it may still finish, check the console.`,
      );
    ctx.progress(
      `waiting for Google to finish the ${current.operationType ?? ''} operation (check ${round} of ${ctx.maxWaits})`,
    );
    const [next] = await c.timed('zoneOperations.wait', () =>
      c.zoneOperations.wait({ project, zone, operation: current.name ?? '' }, c.readOptions),
    );
    current = next;
  }
  const failure = current.error?.errors?.[0];
  if (failure)
    throw new AppError(
      'cloud_error',
      `Google's ${current.operationType ?? ''} operation failed: ${failure.message ?? failure.code ?? 'unknown error'}`,
    );
  return current;
};

const doingOf: Record<string, string> = {
  start: 'starting',
  stop: 'stopping',
  reset: 'resetting',
  set_machine_type: 'changing the machine type of',
};

/** `action.action` is the canonical spec name (the provider resolves aliases first). */
export const executeInstanceAction = async (
  c: GcpClients,
  action: ResourceAction,
  ctx: ExecuteContext,
): Promise<ActionResult> => {
  const project = action.target.account;
  const { zone, name } = parseInstanceId(action.target.id);
  const label = `${name} (${zone}, project ${project})`;
  try {
    const before = await getInstance(c, project, zone, name);
    if (!before)
      throw new AppError(
        'not_found',
        `Instance ${label} no longer exists: it was deleted or renamed after the change was planned. Nothing was changed.`,
      );
    const state = instanceState(before.status);
    const machineType = lastSegment(before.machineType);
    const req = { project, zone, instance: name };
    const run = async (operation: string, call: () => Promise<[Operation]>): Promise<ActionResult['newState']> => {
      const [op] = await c.timed(operation, call);
      await waitDone(c, project, zone, op, ctx);
      const after = await getInstance(c, project, zone, name);
      return after ? instanceState(after.status) : 'unknown';
    };
    const lro = (p: Promise<unknown>) =>
      p.then((r) => [(r as [{ latestResponse: Operation }])[0].latestResponse] as [Operation]);

    switch (action.action) {
      case 'start': {
        if (state === 'running' || state === 'pending')
          return { summary: `${label} was already ${state}`, newState: state, previous: { state } };
        if (state !== 'stopped') throw conflict(`${label} is ${state}; it can be started once it is stopped.`);
        const newState = await run('instances.start', () => lro(c.instances.start(req, c.writeOptions)));
        return { summary: `${label} started (was ${state}); now ${newState}`, newState, previous: { state } };
      }
      case 'stop': {
        if (state === 'stopped' || state === 'stopping')
          return { summary: `${label} was already ${state}`, newState: state, previous: { state } };
        if (state !== 'running' && state !== 'pending')
          throw conflict(`${label} is ${state}; only a running instance can be stopped.`);
        const newState = await run('instances.stop', () => lro(c.instances.stop(req, c.writeOptions)));
        return { summary: `${label} stopped (was ${state}); now ${newState}`, newState, previous: { state } };
      }
      case 'reset': {
        if (state !== 'running') throw conflict(`${label} is ${state}; only a running instance can be reset.`);
        const newState = await run('instances.reset', () => lro(c.instances.reset(req, c.writeOptions)));
        return { summary: `${label} was reset; now ${newState}`, newState, previous: { state } };
      }
      case 'set_machine_type': {
        const size = action.params.size?.trim().toLowerCase();
        if (!size) throw badRequest('set_machine_type needs a size, e.g. size=e2-standard-4.', undefined, 'size');
        if (state !== 'stopped') throw conflict(stopFirst(label, state));
        const valid = await zoneMachineTypes(c, project, zone);
        if (!valid.includes(size))
          throw badRequest(`${size} is not a machine type zone ${zone} offers.`, undefined, 'size');
        if (size === machineType) throw conflict(`${label} is already ${size}.`);
        const newState = await run('instances.setMachineType', () =>
          lro(
            c.instances.setMachineType(
              { ...req, instancesSetMachineTypeRequestResource: { machineType: `zones/${zone}/machineTypes/${size}` } },
              c.writeOptions,
            ),
          ),
        );
        return {
          summary: `${label} changed from ${machineType} to ${size}; it stays ${newState}`,
          newState,
          previous: { size: machineType },
        };
      }
      default:
        throw badRequest(`GCP instances have no action “${action.action}”.`);
    }
  } catch (e) {
    throw translateGcpError(e, `${doingOf[action.action] ?? action.action} instance ${name} in ${zone}`, project);
  }
};
