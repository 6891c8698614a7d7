import { createHash } from 'node:crypto';
import type { ServiceRequest, ServiceResponse, ServiceRouter } from './aws-query.ts';
import { members, queryError, queryResponse, routeQuery } from './aws-query.ts';
import { settleEcs } from './ecs.ts';
import type {
  SandboxListener,
  SandboxLoadBalancer,
  SandboxRule,
  SandboxTargetGroup,
  TargetHealthState,
} from './model.ts';
import { listParam } from './query.ts';
import type { XmlNode } from './xml.ts';

/**
 * The sandbox's Elastic Load Balancing v2 (Query protocol, 2015-12-01): load balancers, target
 * groups, target health (an instance target's from its instance state: a stopped instance is
 * `unused`, as ELB reports it; an ip target's as ECS registered it, ./ecs.ts), listeners, listener
 * rules and tags, with ELB's Marker/PageSize paging. It creates and deletes target groups and
 * rules and switches a listener's forward action; a target group no listener or rule forwards to
 * has its targets `unused` (Target.NotInUse), as ELB reports them.
 */

const ns = 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/';
const version = '2015-12-01';

class ElbError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, message: string, status = 400) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

const marker = (action: string, offset: number) =>
  Buffer.from(JSON.stringify({ a: action, o: offset })).toString('base64url');
const fromMarker = (action: string, value: string): number => {
  try {
    const parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as { a?: unknown; o?: unknown };
    if (parsed.a === action && Number.isInteger(parsed.o)) return Number(parsed.o);
  } catch {
    // ELB's own error below
  }
  throw new ElbError('ValidationError', `Invalid marker '${value}'`);
};

/** PageSize 1…400 (ELB's limit), Marker from the previous page. */
const page = <T>(req: ServiceRequest, action: string, items: T[]): { items: T[]; next?: string } => {
  const size = req.params.PageSize === undefined ? 400 : Number(req.params.PageSize);
  if (!Number.isInteger(size) || size < 1 || size > 400)
    throw new ElbError(
      'ValidationError',
      `1 validation error detected: Value '${req.params.PageSize}' at 'pageSize' failed to satisfy constraint: Member must have value less than or equal to 400`,
    );
  const offset = req.params.Marker ? fromMarker(action, req.params.Marker) : 0;
  const slice = items.slice(offset, offset + size);
  return offset + size < items.length ? { items: slice, next: marker(action, offset + size) } : { items: slice };
};

const balancersIn = (req: ServiceRequest) => req.fleet.loadBalancers.filter((b) => b.region === req.region);
const hex = (seed: string, length: number): string => createHash('sha256').update(seed).digest('hex').slice(0, length);
const groupsIn = (req: ServiceRequest) => req.fleet.targetGroups.filter((g) => g.region === req.region);

/** A balancer's DNS name, as ELB makes it (Route 53's health checkers resolve it too). */
export const balancerDnsName = (b: SandboxLoadBalancer): string =>
  `${b.scheme === 'internal' ? 'internal-' : ''}${b.name}-${b.arn.slice(-8)}.${b.region}.elb.amazonaws.com`;

const balancerXml = (b: SandboxLoadBalancer): XmlNode => ({
  LoadBalancerArn: b.arn,
  DNSName: balancerDnsName(b),
  CanonicalHostedZoneId: b.type === 'application' ? 'Z35SXDOTRQ7X7K' : 'Z26RNL4JYFTOTI',
  CreatedTime: b.createdTime.toISOString(),
  LoadBalancerName: b.name,
  Scheme: b.scheme,
  VpcId: b.vpcId,
  State: { Code: 'active' },
  Type: b.type,
  AvailabilityZones: members(
    b.availabilityZones.map((ZoneName) => ({
      ZoneName,
      ...(b.subnets?.[ZoneName] ? { SubnetId: b.subnets[ZoneName] } : {}),
    })),
  ),
  ...(b.securityGroupIds.length > 0 ? { SecurityGroups: members(b.securityGroupIds) } : {}),
  IpAddressType: 'ipv4',
});

const describeLoadBalancers = (req: ServiceRequest): XmlNode => {
  const arns = listParam(req.params, 'LoadBalancerArns.member');
  const names = listParam(req.params, 'Names.member');
  let chosen = balancersIn(req);
  if (arns.length > 0 || names.length > 0) {
    chosen = chosen.filter((b) => arns.includes(b.arn) || names.includes(b.name));
    if (chosen.length < arns.length + names.length)
      throw new ElbError('LoadBalancerNotFound', 'One or more load balancers not found');
  }
  const p = page(req, 'DescribeLoadBalancers', chosen);
  return { LoadBalancers: members(p.items.map(balancerXml)), ...(p.next ? { NextMarker: p.next } : {}) };
};

const groupXml = (g: SandboxTargetGroup): XmlNode => ({
  TargetGroupArn: g.arn,
  TargetGroupName: g.name,
  Protocol: g.protocol,
  Port: g.port,
  VpcId: g.vpcId,
  HealthCheckProtocol: g.protocol,
  HealthCheckPort: 'traffic-port',
  HealthCheckEnabled: true,
  HealthCheckIntervalSeconds: 30,
  HealthCheckTimeoutSeconds: 5,
  HealthyThresholdCount: 5,
  UnhealthyThresholdCount: 2,
  ...(g.protocol.startsWith('HTTP') ? { HealthCheckPath: g.healthCheckPath ?? '/', Matcher: { HttpCode: '200' } } : {}),
  TargetType: g.targetType ?? 'instance',
  LoadBalancerArns: members(g.loadBalancerArns),
  IpAddressType: 'ipv4',
});

const describeTargetGroups = (req: ServiceRequest): XmlNode => {
  const lb = req.params.LoadBalancerArn;
  const arns = listParam(req.params, 'TargetGroupArns.member');
  const names = listParam(req.params, 'Names.member');
  settleEcs(req.fleet, req.now(), () => false);
  let chosen = groupsIn(req);
  if (lb !== undefined) {
    if (!balancersIn(req).some((b) => b.arn === lb))
      throw new ElbError('LoadBalancerNotFound', `Load balancer '${lb}' not found`);
    chosen = chosen.filter((g) => g.loadBalancerArns.includes(lb));
  }
  if (arns.length > 0 || names.length > 0) {
    chosen = chosen.filter((g) => arns.includes(g.arn) || names.includes(g.name));
    if (chosen.length < arns.length + names.length)
      throw new ElbError('TargetGroupNotFound', 'One or more target groups not found');
  }
  const p = page(req, 'DescribeTargetGroups', chosen);
  return { TargetGroups: members(p.items.map(groupXml)), ...(p.next ? { NextMarker: p.next } : {}) };
};

const healthOf = (req: ServiceRequest, g: SandboxTargetGroup, t: SandboxTargetGroup['targets'][number]) => {
  if (g.loadBalancerArns.length === 0)
    return {
      State: 'unused' as TargetHealthState,
      Reason: 'Target.NotInUse',
      Description: 'Target group is not configured to receive traffic from the load balancer',
    };
  if ((g.targetType ?? 'instance') === 'ip') {
    if (t.health === 'unhealthy')
      return { State: t.health, Reason: t.reason ?? 'Target.FailedHealthChecks', Description: 'Health checks failed' };
    if (t.health === 'initial')
      return {
        State: t.health,
        Reason: t.reason ?? 'Elb.RegistrationInProgress',
        Description: 'Target registration is in progress',
      };
    return t.reason ? { State: t.health, Reason: t.reason } : { State: t.health };
  }
  const instance = req.fleet.instances.find((i) => i.id === t.id);
  if (!instance || instance.state === 'terminated')
    return {
      State: 'unused' as TargetHealthState,
      Reason: 'Target.NotRegistered',
      Description: 'Target is not registered to the target group',
    };
  if (instance.state !== 'running')
    return {
      State: 'unused' as TargetHealthState,
      Reason: 'Target.InvalidState',
      Description: `Target is in the ${instance.state} state`,
    };
  const state = t.health === 'unused' ? 'healthy' : t.health;
  return state === 'unhealthy'
    ? { State: state, Reason: 'Target.FailedHealthChecks', Description: 'Health checks failed' }
    : { State: state };
};

const describeTargetHealth = (req: ServiceRequest): XmlNode => {
  const arn = req.params.TargetGroupArn;
  if (!arn)
    throw new ElbError(
      'ValidationError',
      "1 validation error detected: Value null at 'targetGroupArn' failed to satisfy constraint: Member must not be null",
    );
  const group = groupsIn(req).find((g) => g.arn === arn);
  if (!group) throw new ElbError('TargetGroupNotFound', `Target groups '${arn}' not found`);
  // A read of the group is a read of the ECS services that register into it (their rollout moves on).
  settleEcs(req.fleet, req.now(), (s) => s.loadBalancers.some((l) => l.targetGroupArn === arn));
  return {
    TargetHealthDescriptions: members(
      group.targets.map((t) => ({
        Target: {
          Id: t.id,
          Port: t.port,
          ...(group.targetType === 'ip' ? { AvailabilityZone: `${group.region}a` } : {}),
        },
        HealthCheckPort: String(t.port),
        TargetHealth: healthOf(req, group, t),
      })),
    ),
  };
};

const describeListeners = (req: ServiceRequest): XmlNode => {
  const lb = req.params.LoadBalancerArn;
  const arns = listParam(req.params, 'ListenerArns.member');
  if (!lb && arns.length === 0)
    throw new ElbError('ValidationError', 'You must specify either listener ARNs or a load balancer ARN');
  const all = balancersIn(req).flatMap((b) => b.listeners.map((l) => ({ ...l, lbArn: b.arn })));
  let chosen = all;
  if (lb) {
    if (!balancersIn(req).some((b) => b.arn === lb))
      throw new ElbError('LoadBalancerNotFound', `Load balancer '${lb}' not found`);
    chosen = chosen.filter((l) => l.lbArn === lb);
  }
  if (arns.length > 0) {
    chosen = chosen.filter((l) => arns.includes(l.arn));
    if (chosen.length < arns.length) throw new ElbError('ListenerNotFound', 'One or more listeners not found');
  }
  const p = page(req, 'DescribeListeners', chosen);
  return {
    Listeners: members(p.items.map((l) => listenerXml(l, l.lbArn))),
    ...(p.next ? { NextMarker: p.next } : {}),
  };
};

const forwardXml = (targetGroupArn: string) => ({
  Type: 'forward',
  TargetGroupArn: targetGroupArn,
  ForwardConfig: { TargetGroups: members([{ TargetGroupArn: targetGroupArn, Weight: 1 }]) },
});

const listenerXml = (l: SandboxListener, lbArn: string): XmlNode => ({
  ListenerArn: l.arn,
  LoadBalancerArn: lbArn,
  Port: l.port,
  Protocol: l.protocol,
  DefaultActions: members(l.targetGroupArn ? [forwardXml(l.targetGroupArn)] : []),
});

const describeTags = (req: ServiceRequest): XmlNode => {
  const arns = listParam(req.params, 'ResourceArns.member');
  if (arns.length === 0 || arns.length > 20)
    throw new ElbError('ValidationError', 'ResourceArns must name between 1 and 20 resources');
  const tagged = new Map<string, Record<string, string>>([
    ...balancersIn(req).map((b): [string, Record<string, string>] => [b.arn, b.tags]),
    ...groupsIn(req).map((g): [string, Record<string, string>] => [g.arn, g.tags ?? {}]),
  ]);
  const missing = arns.find((a) => !tagged.has(a));
  if (missing)
    throw new ElbError(
      missing.includes(':targetgroup/') ? 'TargetGroupNotFound' : 'LoadBalancerNotFound',
      `Resource '${missing}' not found`,
    );
  return {
    TagDescriptions: members(
      arns.map((ResourceArn) => ({
        ResourceArn,
        Tags: members(Object.entries(tagged.get(ResourceArn) ?? {}).map(([Key, Value]) => ({ Key, Value }))),
      })),
    ),
  };
};

// ---------------------------------------------------------------------------------------------
// Changes: target groups, listener rules and a listener's forward action.

const validation = (message: string) => new ElbError('ValidationError', message);

/** Every listener of the region's balancers, with its balancer. */
const listenersIn = (req: ServiceRequest): Array<{ l: SandboxListener; lb: SandboxLoadBalancer }> =>
  balancersIn(req).flatMap((lb) => lb.listeners.map((l) => ({ l, lb })));

const listenerOf = (req: ServiceRequest, arn: string | undefined) => {
  if (!arn) throw validation('A listener ARN must be specified');
  const found = listenersIn(req).find((x) => x.l.arn === arn);
  if (!found) throw new ElbError('ListenerNotFound', `Listener '${arn}' not found`);
  return found;
};

const groupByArn = (req: ServiceRequest, arn: string): SandboxTargetGroup => {
  const g = groupsIn(req).find((x) => x.arn === arn);
  if (!g) throw new ElbError('TargetGroupNotFound', `Target groups '${arn}' not found`);
  return g;
};

/** Where listeners and rules forward: the balancers a group serves (DescribeTargetGroups' LoadBalancerArns). */
const relink = (req: ServiceRequest, arns: Array<string | undefined>): void => {
  for (const arn of new Set(arns)) {
    const g = groupsIn(req).find((x) => x.arn === arn);
    if (!g) continue;
    g.loadBalancerArns = balancersIn(req)
      .filter((lb) =>
        lb.listeners.some((l) => l.targetGroupArn === arn || (l.rules ?? []).some((r) => r.targetGroupArn === arn)),
      )
      .map((lb) => lb.arn);
  }
};

/** The checks ELB makes before a listener or rule may forward to a group. */
const checkForward = (g: SandboxTargetGroup, lb: SandboxLoadBalancer): void => {
  if (g.vpcId !== lb.vpcId)
    throw new ElbError(
      'InvalidConfigurationRequest',
      `Target group '${g.arn}' is in VPC '${g.vpcId}', not in the VPC of load balancer '${lb.arn}' (${lb.vpcId})`,
    );
  if (lb.type === 'application' && !g.protocol.startsWith('HTTP'))
    throw new ElbError(
      'IncompatibleProtocols',
      `Target group '${g.arn}' uses ${g.protocol}; an Application Load Balancer forwards HTTP or HTTPS`,
    );
  const other = g.loadBalancerArns.find((a) => a !== lb.arn);
  if (other)
    throw new ElbError(
      'TargetGroupAssociationLimit',
      `The following target groups cannot be associated with more than one load balancer: ${g.arn}`,
    );
};

/** The one target group a forward action names (`TargetGroupArn`, or a ForwardConfig of one group). */
const forwardTarget = (req: ServiceRequest, prefix: string): string => {
  const actions: string[] = [];
  for (let n = 1; req.params[`${prefix}.member.${n}.Type`] !== undefined; n++) actions.push(`${prefix}.member.${n}`);
  if (actions.length !== 1) throw validation('The sandbox takes exactly one action: forward to one target group');
  const a = actions[0]!;
  if (req.params[`${a}.Type`] !== 'forward')
    throw validation(`The sandbox emulates forward actions only, not '${req.params[`${a}.Type`] ?? ''}'`);
  const direct = req.params[`${a}.TargetGroupArn`];
  const weighted = Object.entries(req.params)
    .filter(([k]) => k.startsWith(`${a}.ForwardConfig.TargetGroups.member.`) && k.endsWith('.TargetGroupArn'))
    .map(([, v]) => v);
  const arns = [...new Set([...(direct ? [direct] : []), ...weighted])];
  if (arns.length !== 1) throw validation('A forward action must name one target group here');
  return arns[0]!;
};

const tagsParam = (req: ServiceRequest): Record<string, string> => {
  const tags: Record<string, string> = {};
  for (let n = 1; req.params[`Tags.member.${n}.Key`] !== undefined; n++)
    tags[req.params[`Tags.member.${n}.Key`]!] = req.params[`Tags.member.${n}.Value`] ?? '';
  return tags;
};

const createTargetGroup = (req: ServiceRequest): XmlNode => {
  const name = req.params.Name ?? '';
  if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/.test(name) || name.startsWith('internal-'))
    throw validation(
      `Target group name '${name}' can only contain characters that are alphanumeric characters or hyphens(-), must be at most 32 characters, must not begin or end with a hyphen and must not begin with 'internal-'`,
    );
  const targetType = req.params.TargetType ?? 'instance';
  if (targetType !== 'instance' && targetType !== 'ip')
    throw validation(`The sandbox emulates target types instance and ip, not '${targetType}'`);
  const protocol = req.params.Protocol;
  if (!protocol || !['HTTP', 'HTTPS', 'TCP', 'TLS', 'UDP', 'TCP_UDP'].includes(protocol))
    throw validation('A protocol must be specified (HTTP, HTTPS, TCP, TLS, UDP or TCP_UDP)');
  const port = Number(req.params.Port);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw validation('A port between 1 and 65535 must be specified');
  const vpcId = req.params.VpcId ?? '';
  if (!req.fleet.vpcs.some((v) => v.id === vpcId && v.region === req.region))
    throw validation(`The VPC ID '${vpcId}' is not found`);
  const path = req.params.HealthCheckPath ?? '/';
  if (!path.startsWith('/') || path.length > 1024)
    throw validation('The health check path must begin with a slash and be at most 1024 characters');
  const same = groupsIn(req).find((g) => g.name === name);
  if (same) {
    // ELB answers a repeated identical create with the group it made; another group by that name is refused.
    if (
      same.protocol === protocol &&
      same.port === port &&
      same.vpcId === vpcId &&
      (same.targetType ?? 'instance') === targetType &&
      (same.healthCheckPath ?? '/') === path
    )
      return { TargetGroups: members([groupXml(same)]) };
    throw new ElbError(
      'DuplicateTargetGroupName',
      `A target group with the same name '${name}' exists, but with different settings`,
    );
  }
  const made: SandboxTargetGroup = {
    arn: `arn:aws:elasticloadbalancing:${req.region}:${req.fleet.account}:targetgroup/${name}/${hex(`${req.fleet.account}/${req.region}/tg:${name}:${req.fleet.targetGroups.length}`, 16)}`,
    name,
    region: req.region,
    protocol,
    port,
    vpcId,
    loadBalancerArns: [],
    targetType,
    healthCheckPath: path,
    tags: tagsParam(req),
    targets: [],
  };
  req.fleet.targetGroups.push(made);
  return { TargetGroups: members([groupXml(made)]) };
};

const deleteTargetGroup = (req: ServiceRequest): XmlNode => {
  const arn = req.params.TargetGroupArn;
  if (!arn) throw validation('A target group ARN must be specified');
  const at = req.fleet.targetGroups.findIndex((g) => g.arn === arn && g.region === req.region);
  // Deleting a group that is not there succeeds, as on ELB.
  if (at < 0) return {};
  if (req.fleet.targetGroups[at]!.loadBalancerArns.length > 0)
    throw new ElbError('ResourceInUse', `Target group '${arn}' is currently in use by a listener or a rule`);
  req.fleet.targetGroups.splice(at, 1);
  return {};
};

const conditionsOf = (req: ServiceRequest): SandboxRule['conditions'] => {
  const out: SandboxRule['conditions'] = [];
  for (let n = 1; req.params[`Conditions.member.${n}.Field`] !== undefined; n++) {
    const at = `Conditions.member.${n}`;
    const field = req.params[`${at}.Field`];
    if (field !== 'path-pattern' && field !== 'host-header')
      throw validation(`The sandbox emulates path-pattern and host-header conditions, not '${field}'`);
    const config = field === 'path-pattern' ? 'PathPatternConfig' : 'HostHeaderConfig';
    const values = [
      ...listParam(req.params, `${at}.Values.member`),
      ...listParam(req.params, `${at}.${config}.Values.member`),
    ];
    if (values.length === 0) throw validation(`A '${field}' condition needs at least one value`);
    out.push({ field, values });
  }
  return out;
};

const ruleXml = (r: SandboxRule): XmlNode => ({
  RuleArn: r.arn,
  Priority: String(r.priority),
  Conditions: members(
    r.conditions.map((c) => ({
      Field: c.field,
      Values: members(c.values),
      [c.field === 'path-pattern' ? 'PathPatternConfig' : 'HostHeaderConfig']: { Values: members(c.values) },
    })),
  ),
  Actions: members([{ ...forwardXml(r.targetGroupArn), Order: 1 }]),
  IsDefault: false,
});

const defaultRuleXml = (l: SandboxListener): XmlNode => ({
  RuleArn: `${l.arn.replace(':listener/', ':listener-rule/')}/default`,
  Priority: 'default',
  Conditions: members([]),
  Actions: members(l.targetGroupArn ? [forwardXml(l.targetGroupArn)] : []),
  IsDefault: true,
});

const createRule = (req: ServiceRequest): XmlNode => {
  const { l, lb } = listenerOf(req, req.params.ListenerArn);
  if (lb.type !== 'application') throw validation('Listener rules are supported on Application Load Balancers only');
  const priority = Number(req.params.Priority);
  if (!Number.isInteger(priority) || priority < 1 || priority > 50000)
    throw validation('A priority between 1 and 50000 must be specified');
  const rules = (l.rules ??= []);
  if (rules.some((r) => r.priority === priority))
    throw new ElbError('PriorityInUse', `Priority '${priority}' is currently in use`);
  const conditions = conditionsOf(req);
  if (conditions.length === 0) throw validation('A rule must have at least one condition');
  const g = groupByArn(req, forwardTarget(req, 'Actions'));
  checkForward(g, lb);
  const rule: SandboxRule = {
    arn: `${l.arn.replace(':listener/', ':listener-rule/')}/${hex(`${l.arn}:rule:${priority}:${rules.length}`, 16)}`,
    priority,
    conditions,
    targetGroupArn: g.arn,
  };
  rules.push(rule);
  rules.sort((a, b) => a.priority - b.priority);
  relink(req, [g.arn]);
  return { Rules: members([ruleXml(rule)]) };
};

const deleteRule = (req: ServiceRequest): XmlNode => {
  const arn = req.params.RuleArn;
  if (!arn) throw validation('A rule ARN must be specified');
  for (const { l } of listenersIn(req)) {
    if (`${l.arn.replace(':listener/', ':listener-rule/')}/default` === arn)
      throw new ElbError('OperationNotPermitted', 'Default rule cannot be deleted');
    const at = (l.rules ?? []).findIndex((r) => r.arn === arn);
    if (at < 0) continue;
    const [gone] = l.rules!.splice(at, 1);
    relink(req, [gone!.targetGroupArn]);
    return {};
  }
  throw new ElbError('RuleNotFound', 'One or more rules not found');
};

const describeRules = (req: ServiceRequest): XmlNode => {
  const arns = listParam(req.params, 'RuleArns.member');
  if (!req.params.ListenerArn && arns.length === 0)
    throw validation('You must specify either listener ARNs or rule ARNs');
  const all = req.params.ListenerArn
    ? (() => {
        const { l } = listenerOf(req, req.params.ListenerArn);
        return [...(l.rules ?? []).map(ruleXml), defaultRuleXml(l)];
      })()
    : listenersIn(req).flatMap(({ l }) => [...(l.rules ?? []).map(ruleXml), defaultRuleXml(l)]);
  const chosen = arns.length > 0 ? all.filter((r) => arns.includes(String(r.RuleArn))) : all;
  if (chosen.length < arns.length) throw new ElbError('RuleNotFound', 'One or more rules not found');
  const p = page(req, 'DescribeRules', chosen);
  return { Rules: members(p.items), ...(p.next ? { NextMarker: p.next } : {}) };
};

const modifyListener = (req: ServiceRequest): XmlNode => {
  const { l, lb } = listenerOf(req, req.params.ListenerArn);
  const before = l.targetGroupArn;
  if (req.params['DefaultActions.member.1.Type'] !== undefined) {
    const g = groupByArn(req, forwardTarget(req, 'DefaultActions'));
    checkForward(g, lb);
    l.targetGroupArn = g.arn;
  }
  if (req.params.Port !== undefined) {
    const port = Number(req.params.Port);
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw validation('A port between 1 and 65535 must be specified');
    if (lb.listeners.some((x) => x !== l && x.port === port))
      throw new ElbError('DuplicateListener', 'A listener already exists on this port for this load balancer');
    l.port = port;
  }
  if (req.params.Protocol !== undefined) l.protocol = req.params.Protocol;
  relink(req, [before, l.targetGroupArn]);
  return { Listeners: members([listenerXml(l, lb.arn)]) };
};

const actions: Record<string, (req: ServiceRequest) => XmlNode> = {
  DescribeLoadBalancers: describeLoadBalancers,
  DescribeTargetGroups: describeTargetGroups,
  DescribeTargetHealth: describeTargetHealth,
  DescribeListeners: describeListeners,
  DescribeRules: describeRules,
  DescribeTags: describeTags,
  CreateTargetGroup: createTargetGroup,
  DeleteTargetGroup: deleteTargetGroup,
  CreateRule: createRule,
  DeleteRule: deleteRule,
  ModifyListener: modifyListener,
};

/** Each action's result wrapped in its `<XResponse>`; an ElbError becomes the Query protocol's error. */
const answers = Object.fromEntries(
  Object.entries(actions).map(([action, handler]) => [
    action,
    (req: ServiceRequest): ServiceResponse => {
      try {
        return queryResponse(ns, action, req.requestId, handler(req));
      } catch (e) {
        if (e instanceof ElbError) return queryError(ns, action, req.requestId, e.code, e.message, e.status);
        throw e;
      }
    },
  ]),
);

export const elbv2Router: ServiceRouter = (req): ServiceResponse => routeQuery(req, { ns, version }, answers);
