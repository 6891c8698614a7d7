import {
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DeleteRuleCommand,
  DeleteTargetGroupCommand,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  ModifyListenerCommand,
  type ElasticLoadBalancingV2Client,
  type Listener,
  type LoadBalancer,
  type RuleCondition,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { AppError, badRequest } from '../../errors.ts';
import type { ActionResult, ResourceAction } from '../provider.ts';
import { targetGroupName } from './app-actions.ts';
import { awsCodeOf } from './services/common.ts';
import { translateAwsError } from './errors.ts';

/**
 * The load balancer actions of ./app-actions.ts through `@aws-sdk/client-elastic-load-balancing-v2`:
 * a target group made in the balancer's VPC, a listener rule added after the existing ones, and a
 * listener's forward action switched from one target group to another, each returning what its
 * inverse needs (the group or rule it made, the group the listener forwarded to before).
 */

const balancerOf = async (client: ElasticLoadBalancingV2Client, arn: string): Promise<LoadBalancer> => {
  const out = await client.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [arn] }));
  const lb = out.LoadBalancers?.[0];
  if (!lb) throw new AppError('not_found', `ELB has no load balancer ${arn}.`);
  return lb;
};

const listenerOn = async (client: ElasticLoadBalancingV2Client, lb: LoadBalancer, port: string): Promise<Listener> => {
  const out = await client.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }));
  const listeners = out.Listeners ?? [];
  const l = listeners.find((x) => String(x.Port) === port);
  if (!l)
    throw new AppError(
      'not_found',
      `${lb.LoadBalancerName ?? 'The load balancer'} has no listener on port ${port} (it listens on ${listeners.map((x) => x.Port).join(', ') || 'no port'}).`,
    );
  return l;
};

/** The target groups a listener's default action forwards to (one, or several weighted). */
const forwardsTo = (l: Listener): string[] => {
  const forward = l.DefaultActions?.find((a) => a.Type === 'forward');
  const arns = [
    ...(forward?.TargetGroupArn ? [forward.TargetGroupArn] : []),
    ...(forward?.ForwardConfig?.TargetGroups ?? []).flatMap((g) => (g.TargetGroupArn ? [g.TargetGroupArn] : [])),
  ];
  return [...new Set(arns)];
};

/** A target group's ARN from its ARN or name (names are unique per region). */
const groupArn = async (client: ElasticLoadBalancingV2Client, ref: string): Promise<string> => {
  if (ref.startsWith('arn:')) return ref;
  const out = await client.send(new DescribeTargetGroupsCommand({ Names: [ref] }));
  const arn = out.TargetGroups?.[0]?.TargetGroupArn;
  if (!arn) throw new AppError('not_found', `ELB has no target group named ${ref}.`);
  return arn;
};

/** Whether a target group of this name exists in the region already. */
const groupNamed = async (client: ElasticLoadBalancingV2Client, name: string): Promise<string | undefined> => {
  try {
    const out = await client.send(new DescribeTargetGroupsCommand({ Names: [name] }));
    return out.TargetGroups?.[0]?.TargetGroupArn;
  } catch (e) {
    if (awsCodeOf(e) === 'TargetGroupNotFound') return undefined;
    throw e;
  }
};

const envTags = new Set(['env', 'environment', 'stage', 'team', 'service']);

const act = async (client: ElasticLoadBalancingV2Client, action: ResourceAction): Promise<ActionResult> => {
  const p = action.params;
  const lb = await balancerOf(client, action.target.id);
  const name = lb.LoadBalancerName ?? action.target.id;
  const state = lb.State?.Code ?? 'active';
  switch (action.action) {
    case 'create_target_group': {
      // A group of this name already there would come back from CreateTargetGroup as if made now,
      // and the inverse would then delete what this action never made.
      const existing = await groupNamed(client, p.name!);
      if (existing)
        throw new AppError(
          'conflict',
          `A target group named ${p.name} already exists (${existing}); pick another name.`,
          {
            field: 'name',
          },
        );
      const tags = await client.send(new DescribeTagsCommand({ ResourceArns: [action.target.id] }));
      const inherited = (tags.TagDescriptions?.[0]?.Tags ?? []).filter(
        (t) => t.Key && envTags.has(t.Key.toLowerCase()),
      );
      const protocol = p.protocol === 'HTTPS' ? 'HTTPS' : 'HTTP';
      const out = await client.send(
        new CreateTargetGroupCommand({
          Name: p.name,
          Protocol: protocol,
          Port: Number(p.port),
          VpcId: lb.VpcId,
          TargetType: p.targetType === 'instance' ? 'instance' : 'ip',
          HealthCheckProtocol: protocol,
          HealthCheckPath: p.healthCheckPath,
          Matcher: { HttpCode: '200' },
          Tags: [{ Key: 'Name', Value: p.name }, ...inherited],
        }),
      );
      const arn = out.TargetGroups?.[0]?.TargetGroupArn ?? '';
      return {
        summary: `Created target group ${p.name} (${protocol} ${p.port}, health check ${p.healthCheckPath}) in the VPC of ${name}`,
        newState: state,
        previous: { targetGroup: arn },
        outputs: { targetGroup: arn, name: p.name! },
      };
    }
    case 'delete_target_group': {
      await client.send(new DeleteTargetGroupCommand({ TargetGroupArn: p.targetGroup }));
      return {
        summary: `Deleted target group ${targetGroupName(p.targetGroup!)}`,
        newState: state,
        previous: { targetGroup: p.targetGroup! },
      };
    }
    case 'create_listener_rule': {
      if (!p.pathPattern && !p.hostHeader)
        throw badRequest('A listener rule needs a pathPattern or a hostHeader to match.');
      const l = await listenerOn(client, lb, p.port!);
      const rules = await client.send(new DescribeRulesCommand({ ListenerArn: l.ListenerArn }));
      const taken = (rules.Rules ?? []).map((r) => Number(r.Priority)).filter((n) => Number.isInteger(n));
      // After every existing rule unless given: the rules already there keep matching first.
      const priority = p.priority !== undefined ? Number(p.priority) : Math.max(0, ...taken) + 1;
      if (priority > 50000) throw new AppError('conflict', `${name}:${p.port} has no free rule priority left.`);
      const conditions: RuleCondition[] = [
        ...(p.hostHeader ? [{ Field: 'host-header', HostHeaderConfig: { Values: [p.hostHeader] } }] : []),
        ...(p.pathPattern ? [{ Field: 'path-pattern', PathPatternConfig: { Values: [p.pathPattern] } }] : []),
      ];
      const out = await client.send(
        new CreateRuleCommand({
          ListenerArn: l.ListenerArn,
          Priority: priority,
          Conditions: conditions,
          Actions: [{ Type: 'forward', TargetGroupArn: p.targetGroup }],
        }),
      );
      const arn = out.Rules?.[0]?.RuleArn ?? '';
      const matching = [p.hostHeader && `host ${p.hostHeader}`, p.pathPattern && `path ${p.pathPattern}`]
        .filter(Boolean)
        .join(', ');
      return {
        summary: `${name}:${p.port} forwards ${matching} to ${targetGroupName(p.targetGroup!)} (rule priority ${priority})`,
        newState: state,
        previous: { rule: arn },
        outputs: { rule: arn, priority: String(priority), listener: l.ListenerArn ?? '' },
      };
    }
    case 'delete_listener_rule': {
      await client.send(new DeleteRuleCommand({ RuleArn: p.rule }));
      return { summary: `Deleted a listener rule of ${name}`, newState: state, previous: { rule: p.rule! } };
    }
    case 'switch_traffic': {
      const l = await listenerOn(client, lb, p.port!);
      const now = forwardsTo(l);
      const to = await groupArn(client, p.targetGroup!);
      if (now.length > 1)
        throw new AppError(
          'conflict',
          `${name}:${p.port} splits its traffic over ${now.map(targetGroupName).join(', ')}; switch it by hand.`,
        );
      if (now[0] === to)
        throw new AppError('conflict', `${name}:${p.port} already forwards to ${targetGroupName(to)}.`);
      if (p.fromTargetGroup) {
        const from = await groupArn(client, p.fromTargetGroup);
        if (now[0] !== from)
          throw new AppError(
            'conflict',
            `${name}:${p.port} forwards to ${now[0] ? targetGroupName(now[0]) : 'nothing'}, not to ${targetGroupName(from)}; nothing was switched.`,
          );
      }
      await client.send(
        new ModifyListenerCommand({
          ListenerArn: l.ListenerArn,
          DefaultActions: [{ Type: 'forward', TargetGroupArn: to }],
        }),
      );
      return {
        summary: `${name}:${p.port} now forwards to ${targetGroupName(to)}${now[0] ? ` (was ${targetGroupName(now[0])})` : ''}`,
        newState: state,
        previous: { port: p.port!, ...(now[0] ? { targetGroup: now[0] } : {}) },
        outputs: { listener: l.ListenerArn ?? '', targetGroup: to },
      };
    }
    default:
      throw badRequest(`AWS load balancers have no action “${action.action}” here.`);
  }
};

/** Runs a load balancer action of ./app-actions.ts (`doing` names it in errors). */
export const executeElbAction = async (
  client: ElasticLoadBalancingV2Client,
  action: ResourceAction,
  doing: string,
): Promise<ActionResult> => {
  try {
    return await act(client, action);
  } catch (e) {
    throw translateAwsError(e, doing);
  }
};
