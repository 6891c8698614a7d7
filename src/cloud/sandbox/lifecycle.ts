import { beginTransition as begin, settleTransitions, targetInstances } from './call.ts';
import type { Ec2Call, Ec2Handler } from './call.ts';
import { sandboxInstanceTypes } from './instance-types.ts';
import type { SandboxInstance } from './model.ts';
import { Ec2Error, listParam } from './query.ts';
import { itemSet, stateXml } from './xml.ts';

/**
 * The state-changing EC2 actions. Like EC2, each request is all-or-nothing: every named instance
 * is checked before any changes, and a refusal names the first instance in the wrong state.
 */

export { sandboxInstanceTypes };

const wrongState = (i: SandboxInstance, verb: string): Ec2Error =>
  new Ec2Error('IncorrectInstanceState', `The instance '${i.id}' is not in a state from which it can be ${verb}.`);

/** Applies `change` to each target once every target passed `allowed`; answers EC2's state-change set. */
const changeStates = (
  call: Ec2Call,
  allowed: (i: SandboxInstance) => boolean,
  verb: string,
  change: (i: SandboxInstance) => void,
) => {
  const targets = targetInstances(call);
  settleTransitions(call, targets, false);
  const refused = targets.find((i) => !allowed(i));
  if (refused) throw wrongState(refused, verb);
  return {
    instancesSet: itemSet(
      targets.map((i) => {
        const previous = i.state;
        change(i);
        return { instanceId: i.id, currentState: stateXml(i.state), previousState: stateXml(previous) };
      }),
    ),
  };
};

const startInstances: Ec2Handler = (call) =>
  changeStates(
    call,
    (i) => ['stopped', 'pending', 'running'].includes(i.state),
    'started',
    (i) => {
      if (i.state !== 'stopped') return;
      begin(call, i, 'pending', 'running');
      i.launchTime = call.now();
    },
  );

const stopInstances: Ec2Handler = (call) =>
  changeStates(
    call,
    (i) => ['running', 'stopping', 'stopped'].includes(i.state),
    'stopped',
    (i) => {
      if (i.state === 'running') begin(call, i, 'stopping', 'stopped');
    },
  );

const rebootInstances: Ec2Handler = (call) => {
  // A reboot is queued on running instances and changes no state; EC2 answers only `true`.
  changeStates(
    call,
    (i) => i.state === 'running',
    'rebooted',
    () => undefined,
  );
  return { return: true };
};

const modifyInstanceAttribute: Ec2Handler = (call) => {
  const { params } = call;
  const newType = params['InstanceType.Value'] ?? (params.Attribute === 'instanceType' ? params.Value : undefined);
  const otherAttribute =
    Object.keys(params).find((k) => /^[A-Z]\w*\.Value$/.test(k) && k !== 'InstanceType.Value') ??
    (params.Attribute !== undefined && params.Attribute !== 'instanceType' ? params.Attribute : undefined);
  if (otherAttribute)
    throw new Ec2Error(
      'UnsupportedOperation',
      `The sandbox emulates only the instanceType attribute, not ${otherAttribute.replace(/\.Value$/, '')}.`,
    );
  if (newType === undefined) throw new Ec2Error('MissingParameter', 'No attributes specified.');
  if (listParam(params, 'InstanceId').length > 0)
    throw new Ec2Error('InvalidParameterCombination', 'ModifyInstanceAttribute takes exactly one InstanceId.');
  const [instance] = targetInstances(call);
  if (!instance) throw new Ec2Error('MissingParameter', 'The request must contain the parameter InstanceId');
  settleTransitions(call, [instance], false);
  // EC2's answer for a type it does not offer (the same catalogue DescribeInstanceTypes lists).
  if (!sandboxInstanceTypes.includes(newType)) {
    throw new Ec2Error(
      'InvalidInstanceAttributeValue',
      `Value (${newType}) for parameter instanceType is invalid. Value ${newType} is not a valid instance type.`,
    );
  }
  if (instance.state !== 'stopped')
    throw new Ec2Error('IncorrectInstanceState', `The instance '${instance.id}' is not in the 'stopped' state.`);
  instance.instanceType = newType;
  return { return: true };
};

export const lifecycleHandlers: Record<string, Ec2Handler> = {
  StartInstances: startInstances,
  StopInstances: stopInstances,
  RebootInstances: rebootInstances,
  ModifyInstanceAttribute: modifyInstanceAttribute,
};
