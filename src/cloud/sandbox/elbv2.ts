import type { ServiceRequest, ServiceResponse, ServiceRouter } from './aws-query.ts';
import { members, queryError, queryResponse, routeQuery } from './aws-query.ts';
import type { SandboxLoadBalancer, SandboxTargetGroup, TargetHealthState } from './model.ts';
import { listParam } from './query.ts';
import type { XmlNode } from './xml.ts';

/**
 * The sandbox's Elastic Load Balancing v2 (Query protocol, 2015-12-01): load balancers, target
 * groups, target health (derived from the targets' instance states: a stopped instance is
 * `unused`, as ELB reports it), listeners and tags, with ELB's Marker/PageSize paging.
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
  AvailabilityZones: members(b.availabilityZones.map((ZoneName) => ({ ZoneName }))),
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
  HealthyThresholdCount: 5,
  UnhealthyThresholdCount: 2,
  ...(g.protocol.startsWith('HTTP') ? { HealthCheckPath: '/' } : {}),
  TargetType: 'instance',
  LoadBalancerArns: members(g.loadBalancerArns),
});

const describeTargetGroups = (req: ServiceRequest): XmlNode => {
  const lb = req.params.LoadBalancerArn;
  const arns = listParam(req.params, 'TargetGroupArns.member');
  const names = listParam(req.params, 'Names.member');
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

const healthOf = (req: ServiceRequest, t: SandboxTargetGroup['targets'][number]) => {
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
  return {
    TargetHealthDescriptions: members(
      group.targets.map((t) => ({
        Target: { Id: t.id, Port: t.port },
        HealthCheckPort: String(t.port),
        TargetHealth: healthOf(req, t),
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
    Listeners: members(
      p.items.map((l) => ({
        ListenerArn: l.arn,
        LoadBalancerArn: l.lbArn,
        Port: l.port,
        Protocol: l.protocol,
        DefaultActions: members(l.targetGroupArn ? [{ Type: 'forward', TargetGroupArn: l.targetGroupArn }] : []),
      })),
    ),
    ...(p.next ? { NextMarker: p.next } : {}),
  };
};

const describeTags = (req: ServiceRequest): XmlNode => {
  const arns = listParam(req.params, 'ResourceArns.member');
  if (arns.length === 0 || arns.length > 20)
    throw new ElbError('ValidationError', 'ResourceArns must name between 1 and 20 resources');
  const tagged = new Map<string, Record<string, string>>([
    ...balancersIn(req).map((b): [string, Record<string, string>] => [b.arn, b.tags]),
    ...groupsIn(req).map((g): [string, Record<string, string>] => [g.arn, {}]),
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

const actions: Record<string, (req: ServiceRequest) => XmlNode> = {
  DescribeLoadBalancers: describeLoadBalancers,
  DescribeTargetGroups: describeTargetGroups,
  DescribeTargetHealth: describeTargetHealth,
  DescribeListeners: describeListeners,
  DescribeTags: describeTags,
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
