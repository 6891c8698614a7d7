import {
  DescribeInstancesCommand,
  ModifyInstanceAttributeCommand,
  RebootInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
} from '@aws-sdk/client-ec2';
import type { EC2Client, Instance, InstanceStateChange } from '@aws-sdk/client-ec2';
import { AppError, badRequest, conflict } from '../../errors.ts';
import type { ActionResult, ResourceAction } from '../provider.ts';
import { translateAwsError } from './errors.ts';
import type { WaitOptions } from './wait.ts';

/**
 * start / stop / reboot / resize of one EC2 instance. Resize of a running instance is
 * stop → wait stopped → modify type → start → wait running, because EC2 changes the type of
 * stopped instances only. Waiting polls DescribeInstances with an injectable sleep.
 */

const describe = async (client: EC2Client, id: string): Promise<Instance> => {
  const out = await client.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  const instance = out.Reservations?.[0]?.Instances?.[0];
  if (!instance) throw new AppError('not_found', `AWS instance ${id} was not found.`);
  return instance;
};

const stateOf = (i: Instance): string => i.State?.Name ?? 'unknown';
const labelOf = (i: Instance): string => {
  const name = i.Tags?.find((t) => t.Key === 'Name')?.Value;
  return name ? `${name} (${i.InstanceId})` : (i.InstanceId ?? '?');
};

/** Reports a step of a long action (see CloudProvider.execute). */
type Progress = (step: string) => void;

/** Polls until `target`; any state other than `target` or `passing` means something else is going on. */
const waitFor = async (
  client: EC2Client,
  id: string,
  target: string,
  passing: string[],
  wait: WaitOptions,
  progress: Progress,
): Promise<void> => {
  for (let attempt = 1; attempt <= wait.attempts; attempt++) {
    const state = stateOf(await describe(client, id));
    if (state === target) return;
    if (!passing.includes(state))
      throw new AppError('cloud_error', `Instance ${id} went to "${state}" while we waited for it to be ${target}.`);
    progress(`waiting for it to be ${target} (${state}, check ${attempt} of ${wait.attempts})`);
    if (attempt < wait.attempts) await wait.sleep(wait.delayMs);
  }
  throw new AppError(
    'cloud_error',
    `Instance ${id} was not ${target} after ${wait.attempts} checks; it may still get there, check the console.`,
  );
};

const changed = (i: Instance, change: InstanceStateChange | undefined, verb: string): ActionResult => {
  const before = change?.PreviousState?.Name ?? stateOf(i);
  const after = change?.CurrentState?.Name ?? before;
  const summary = before === after ? `${labelOf(i)} was already ${after}` : `${labelOf(i)} ${verb} (was ${before})`;
  return { summary, newState: after, previous: { state: before } };
};

const resize = async (
  client: EC2Client,
  i: Instance,
  size: string | undefined,
  wait: WaitOptions,
  progress: Progress,
): Promise<ActionResult> => {
  const id = i.InstanceId as string;
  const from = i.InstanceType ?? 'unknown';
  const state = stateOf(i);
  if (!size) throw badRequest('Resize needs a target size, e.g. size=t3.large.');
  const previous = { size: from, state };
  if (size === from) return { summary: `${labelOf(i)} is already ${size}; nothing to do`, newState: state, previous };
  const modify = () =>
    client.send(new ModifyInstanceAttributeCommand({ InstanceId: id, InstanceType: { Value: size } }));
  if (state === 'stopped') {
    progress(`changing the type from ${from} to ${size}`);
    await modify();
    return {
      summary: `${labelOf(i)} resized from ${from} to ${size}; it was stopped and stays stopped`,
      newState: 'stopped',
      previous,
    };
  }
  if (state !== 'running')
    throw conflict(`${labelOf(i)} is ${state}; resize needs it running or stopped. Try again in a minute.`);
  progress('stopping it');
  await client.send(new StopInstancesCommand({ InstanceIds: [id] }));
  // `running` may still show right after the stop call: EC2's describes are eventually consistent.
  await waitFor(client, id, 'stopped', ['stopping', 'running'], wait, progress);
  try {
    progress(`changing the type from ${from} to ${size}`);
    await modify();
  } catch (e) {
    // Never leave a service down because the new type was refused: bring it back as it was.
    const failed = translateAwsError(e, `resizing ${labelOf(i)} to ${size}`);
    try {
      await client.send(new StartInstancesCommand({ InstanceIds: [id] }));
    } catch (restartError) {
      throw new AppError('cloud_error', `${failed.userMessage} Starting it again also failed, so it is STOPPED now.`, {
        cause: restartError,
      });
    }
    throw new AppError(failed.code, `${failed.userMessage} It was started again as ${from}.`, { cause: e });
  }
  progress(`starting it again as ${size}`);
  await client.send(new StartInstancesCommand({ InstanceIds: [id] }));
  await waitFor(client, id, 'running', ['pending'], wait, progress);
  return {
    summary: `${labelOf(i)} resized from ${from} to ${size}: stopped it, changed the type, started it again (now running)`,
    newState: 'running',
    previous,
  };
};

export const executeInstanceAction = async (
  client: EC2Client,
  action: ResourceAction,
  wait: WaitOptions,
  progress: Progress = () => undefined,
): Promise<ActionResult> => {
  const id = action.target.id;
  const instance = await describe(client, id);
  switch (action.action) {
    case 'start': {
      const out = await client.send(new StartInstancesCommand({ InstanceIds: [id] }));
      return changed(instance, out.StartingInstances?.[0], 'starting');
    }
    case 'stop': {
      const out = await client.send(new StopInstancesCommand({ InstanceIds: [id] }));
      return changed(instance, out.StoppingInstances?.[0], 'stopping');
    }
    case 'reboot':
      await client.send(new RebootInstancesCommand({ InstanceIds: [id] }));
      return {
        summary: `${labelOf(instance)} rebooting`,
        newState: stateOf(instance),
        previous: { state: stateOf(instance) },
      };
    case 'resize':
      return resize(client, instance, action.params.size, wait, progress);
    default:
      throw badRequest(`EC2 instances have no action “${action.action}”.`);
  }
};
