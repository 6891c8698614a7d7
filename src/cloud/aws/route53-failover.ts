import { createHash } from 'node:crypto';
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  ChangeResourceRecordSetsCommand,
  CreateHealthCheckCommand,
  DeleteHealthCheckCommand,
  GetChangeCommand,
  GetHealthCheckCommand,
  GetHostedZoneCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
  UpdateHealthCheckCommand,
} from '@aws-sdk/client-route-53';
import type { HealthCheck, HealthCheckType, ResourceRecordSet, RRType } from '@aws-sdk/client-route-53';
import { AppError, badRequest, conflict } from '../../errors.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { ResourceKey } from '../../tools/change-plan.ts';
import type { ActionResult, ResourceAction } from '../provider.ts';
import type { Resource } from '../resource.ts';
import { clientConfig, instrumentAwsClient, type AwsClientSettings } from './clients.ts';
import { setIdentifierOf } from './route53-actions.ts';
import { awsCodeOf } from './services/common.ts';
import {
  answerFor,
  bare,
  dnsRecordRow,
  failoverPairs,
  healthCheckRow,
  healthOf,
  hostedZoneRow,
  observationsOf,
  zoneIdOf,
} from './services/route53.ts';
import type { AwsServiceContext } from './services/types.ts';
import type { WaitOptions } from './wait.ts';

/**
 * Runs the Route 53 failover actions (./route53-actions.ts) through `@aws-sdk/client-route-53`
 * (and ELBv2, to read the load balancer a health check is for), and reads a hosted zone, a health
 * check or a failover record pair back (`describe`, so a workflow can wait for `healthy` or
 * `serving-secondary`). A record change waits until Route 53 reports it INSYNC.
 */

export interface Route53Context {
  /** Client settings for a service (`route53`, `elasticloadbalancing`) in a region of the target's account. */
  settings(service: string, region: string): AwsClientSettings;
  /** The region Route 53 (a global service) is called in: the account's first. */
  homeRegion: string;
  metrics?: Metrics | undefined;
  now: () => Date;
  wait: WaitOptions;
  progress?: (step: string) => void;
  account: string;
  sandbox: boolean;
}

const isMissing = (e: unknown) => /^NoSuch/.test(awsCodeOf(e));

const route53Client = (ctx: Route53Context) =>
  instrumentAwsClient(new Route53Client(clientConfig(ctx.settings('route53', ctx.homeRegion))), ctx.metrics);

const rowContext = (ctx: Route53Context): AwsServiceContext => ({
  account: ctx.account,
  region: 'global',
  seenAt: ctx.now(),
  sandbox: ctx.sandbox,
  client: ctx.settings('route53', ctx.homeRegion),
  metrics: ctx.metrics,
  pageSize: 100,
});

/** A load balancer's DNS name and scheme, and the listener a check should probe (the named port, else HTTPS, HTTP, then any). */
const balancer = async (ctx: Route53Context, target: ResourceKey, port: number | undefined) => {
  const elb = instrumentAwsClient(
    new ElasticLoadBalancingV2Client(clientConfig(ctx.settings('elasticloadbalancing', target.region))),
    ctx.metrics,
  );
  try {
    const lb = (await elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [target.id] }))).LoadBalancers?.[0];
    if (!lb?.DNSName) throw new AppError('not_found', `Load balancer ${target.id} was not found in ${target.region}.`);
    const listeners = (await elb.send(new DescribeListenersCommand({ LoadBalancerArn: target.id }))).Listeners ?? [];
    const listener =
      port !== undefined
        ? listeners.find((l) => l.Port === port)
        : (listeners.find((l) => l.Protocol === 'HTTPS') ??
          listeners.find((l) => l.Protocol === 'HTTP') ??
          listeners[0]);
    if (!listener)
      throw badRequest(
        `${lb.LoadBalancerName ?? target.id} has no listener${port !== undefined ? ` on port ${port}` : ''} to check.`,
      );
    return { dnsName: lb.DNSName, name: lb.LoadBalancerName ?? target.id, listener };
  } finally {
    elb.destroy();
  }
};

const healthCheck = async (r53: Route53Client, id: string): Promise<HealthCheck | undefined> => {
  try {
    return (await r53.send(new GetHealthCheckCommand({ HealthCheckId: id }))).HealthCheck;
  } catch (e) {
    if (isMissing(e)) return undefined;
    throw e;
  }
};

/** Polls GetChange until Route 53 has applied the change everywhere (INSYNC). */
const insync = async (ctx: Route53Context, r53: Route53Client, changeId: string | undefined): Promise<void> => {
  if (!changeId) return;
  for (let attempt = 1; attempt <= ctx.wait.attempts; attempt++) {
    const status = (await r53.send(new GetChangeCommand({ Id: changeId }))).ChangeInfo?.Status;
    if (status === 'INSYNC') return;
    ctx.progress?.(`waiting for Route 53 to apply the change, check ${attempt} of ${ctx.wait.attempts}`);
    await ctx.wait.sleep(ctx.wait.delayMs);
  }
  throw new AppError('cloud_error', `Route 53 did not apply change ${changeId} in time; it may still complete.`);
};

/** A record name as Route 53 stores it under a zone: `app` → `app.example.com`. */
const recordName = (name: string, zone: string): string => {
  const n = bare(name);
  return n === zone || n.endsWith(`.${zone}`) ? n : `${n}.${zone}`;
};

const valueOf = (r: ResourceRecordSet) => r.AliasTarget?.DNSName ?? r.ResourceRecords?.[0]?.Value ?? '';

/** The record sets of one name and type: one page read from there (a failover pair is two sets). */
const setsAt = async (r53: Route53Client, zoneId: string, name: string, type: string) =>
  (
    await r53.send(
      new ListResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        StartRecordName: name,
        StartRecordType: type as RRType,
        MaxItems: 20,
      }),
    )
  ).ResourceRecordSets?.filter((r) => bare(r.Name) === name && r.Type === type) ?? [];

/** The record set of a name, type and set identifier, if the zone has it. */
const recordSet = async (r53: Route53Client, zoneId: string, name: string, type: string, setId: string) =>
  (await setsAt(r53, zoneId, name, type)).find((r) => (r.SetIdentifier ?? '') === setId);

/** A record set as `previous`: what the inverse puts back. */
const recorded = (r: ResourceRecordSet, name: string, type: string, setId: string): Record<string, string> =>
  Object.fromEntries(
    Object.entries({
      existed: 'true',
      name,
      type,
      set_identifier: setId,
      role: r.Failover ?? '',
      value: valueOf(r),
      health_check: r.HealthCheckId ?? '',
      ttl: r.TTL === undefined ? '' : String(r.TTL),
    }).filter(([, v]) => v !== ''),
  );

type Run = (
  ctx: Route53Context,
  r53: Route53Client,
  a: ResourceAction,
  idempotencyKey: string | undefined,
) => Promise<ActionResult>;

const zoneOf = async (r53: Route53Client, id: string) => {
  const z = (await r53.send(new GetHostedZoneCommand({ Id: id }))).HostedZone;
  return { id: zoneIdOf(z?.Id ?? id), name: bare(z?.Name) };
};

const runs: Record<string, Run> = {
  create_health_check: async (ctx, r53, a, idempotencyKey) => {
    const { dnsName, name, listener } = await balancer(
      ctx,
      a.target,
      a.params.port ? Number(a.params.port) : undefined,
    );
    const protocol = listener.Protocol === 'HTTPS' || listener.Protocol === 'HTTP' ? listener.Protocol : 'TCP';
    // CallerReference is Route 53's idempotency token: the same one with the same settings returns
    // the check it made. From the execution's key, a retried step finds its first attempt's check;
    // without one (a direct call) the clock makes each call its own.
    const hash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);
    const reference = `devops-agent-${hash(a.target.id)}-${idempotencyKey ? hash(idempotencyKey) : ctx.now().getTime()}`;
    const out = await r53.send(
      new CreateHealthCheckCommand({
        CallerReference: reference,
        HealthCheckConfig: {
          Type: protocol as HealthCheckType,
          FullyQualifiedDomainName: dnsName,
          Port: listener.Port,
          ...(protocol === 'TCP' ? {} : { ResourcePath: a.params.path ?? '/' }),
          RequestInterval: 30,
          FailureThreshold: 3,
        },
      }),
    );
    const id = out.HealthCheck?.Id ?? '';
    return {
      summary: `health check ${id} of ${name} (${protocol} ${dnsName}:${listener.Port ?? ''}${protocol === 'TCP' ? '' : (a.params.path ?? '/')})`,
      newState: 'active',
      previous: { health_check: id },
      outputs: { health_check: id, endpoint: dnsName },
    };
  },
  delete_health_check: async (ctx, r53, a) => {
    const id = a.params.health_check!;
    const hc = await healthCheck(r53, id);
    if (!hc) return { summary: `health check ${id} was already gone`, newState: 'active', previous: {} };
    const { dnsName, name } = await balancer(ctx, a.target, hc.HealthCheckConfig?.Port);
    if (bare(hc.HealthCheckConfig?.FullyQualifiedDomainName) !== bare(dnsName))
      throw conflict(`Health check ${id} does not check ${name}; I delete only its own checks.`);
    await r53.send(new DeleteHealthCheckCommand({ HealthCheckId: id }));
    return { summary: `health check ${id} of ${name} deleted`, newState: 'active', previous: {} };
  },
  upsert_failover_record: async (ctx, r53, a) => {
    const zone = await zoneOf(r53, a.target.id);
    const name = recordName(a.params.name!, zone.name);
    const type = a.params.type ?? 'CNAME';
    const setId = setIdentifierOf(a.params);
    const current = await recordSet(r53, zone.id, name, type, setId);
    if (current && !current.Failover)
      throw conflict(
        `${name} ${type} (${setId}) in ${zone.name} is not a failover record; I replace only failover records.`,
      );
    const previous = current
      ? recorded(current, name, type, setId)
      : { existed: 'false', name, type, set_identifier: setId };
    const out = await r53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zone.id,
        ChangeBatch: {
          Comment: `devops-agent: ${a.params.role} failover record of ${name}`,
          Changes: [
            {
              Action: 'UPSERT',
              ResourceRecordSet: {
                Name: name,
                Type: type as RRType,
                SetIdentifier: setId,
                Failover: a.params.role as 'PRIMARY' | 'SECONDARY',
                TTL: Number(a.params.ttl ?? 60),
                ResourceRecords: [{ Value: a.params.value! }],
                ...(a.params.health_check ? { HealthCheckId: a.params.health_check } : {}),
              },
            },
          ],
        },
      }),
    );
    await insync(ctx, r53, out.ChangeInfo?.Id);
    return {
      summary: `${name} ${a.params.role} → ${a.params.value}${a.params.health_check ? ` (health check ${a.params.health_check})` : ''}${current ? ` (was → ${valueOf(current)})` : ''}`,
      newState: 'active',
      previous,
      outputs: { record: `${zone.id}/${name}/${type}`, name, set_identifier: setId },
    };
  },
  delete_failover_record: async (ctx, r53, a) => {
    const zone = await zoneOf(r53, a.target.id);
    const name = recordName(a.params.name!, zone.name);
    const type = a.params.type ?? 'CNAME';
    const setId = a.params.set_identifier!;
    const current = await recordSet(r53, zone.id, name, type, setId);
    if (!current) return { summary: `${name} ${type} (${setId}) was already gone`, newState: 'active', previous: {} };
    if (!current.Failover)
      throw conflict(
        `${name} ${type} (${setId}) in ${zone.name} is not a failover record; I delete only failover records.`,
      );
    const out = await r53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zone.id,
        ChangeBatch: { Changes: [{ Action: 'DELETE', ResourceRecordSet: current }] },
      }),
    );
    await insync(ctx, r53, out.ChangeInfo?.Id);
    return {
      summary: `${name} ${current.Failover} record (→ ${valueOf(current)}) deleted`,
      newState: 'active',
      previous: recorded(current, name, type, setId),
    };
  },
  set_inverted: async (ctx, r53, a) => {
    const hc = await healthCheck(r53, a.target.id);
    if (!hc) throw new AppError('not_found', `Route 53 health check ${a.target.id} was not found.`);
    const was = Boolean(hc.HealthCheckConfig?.Inverted);
    const want = a.params.inverted === 'true';
    let now = hc;
    if (was !== want) {
      const out = await r53.send(
        new UpdateHealthCheckCommand({
          HealthCheckId: a.target.id,
          HealthCheckVersion: hc.HealthCheckVersion,
          Inverted: want,
        }),
      );
      now = out.HealthCheck ?? hc;
    }
    const state = healthOf(now, await observationsOf(r53, a.target.id));
    return {
      summary:
        was === want
          ? `health check ${a.target.id} was already ${want ? 'inverted' : 'not inverted'} (${state})`
          : `health check ${a.target.id} ${want ? 'inverted: Route 53 now reads it' : 'no longer inverted: Route 53 reads it'} as ${state}`,
      newState: state,
      previous: { inverted: String(was) },
    };
  },
};

/** Runs one Route 53 failover action. */
export const executeRoute53Action = async (
  ctx: Route53Context,
  a: ResourceAction,
  opts: { idempotencyKey?: string | undefined } = {},
): Promise<ActionResult> => {
  const run = runs[a.action];
  if (!run) throw badRequest(`AWS ${a.target.type} resources have no action “${a.action}” here.`);
  const r53 = route53Client(ctx);
  try {
    return await run(ctx, r53, a, opts.idempotencyKey);
  } finally {
    r53.destroy();
  }
};

/** `<zone id>/<name>/<type>` → its parts. */
const recordKey = (id: string) => {
  const m = /^([^/]+)\/(.+)\/([A-Z]+)$/.exec(id);
  if (!m) throw badRequest(`“${id}” is not a failover record id (<zone id>/<name>/<type>).`);
  return { zoneId: m[1]!, name: m[2]!, type: m[3]! };
};

/** A hosted zone, health check or failover record pair as the inventory lists it, or null when Route 53 no longer has it. */
export const describeRoute53 = async (ctx: Route53Context, key: ResourceKey): Promise<Resource | null> => {
  const r53 = route53Client(ctx);
  const rc = rowContext(ctx);
  try {
    if (key.type === 'health_check') {
      const hc = await healthCheck(r53, key.id);
      return hc ? healthCheckRow(rc, hc, await observationsOf(r53, key.id)) : null;
    }
    if (key.type === 'hosted_zone') {
      try {
        const z = (await r53.send(new GetHostedZoneCommand({ Id: key.id }))).HostedZone;
        return z ? hostedZoneRow(rc, z) : null;
      } catch (e) {
        if (isMissing(e)) return null;
        throw e;
      }
    }
    if (key.type === 'dns_record') {
      const { zoneId, name, type } = recordKey(key.id);
      let zone: { id: string; name: string };
      try {
        zone = await zoneOf(r53, zoneId);
      } catch (e) {
        if (isMissing(e)) return null;
        throw e;
      }
      const pair = failoverPairs(await setsAt(r53, zoneId, name, type))[0];
      return pair ? dnsRecordRow(rc, zone, pair, await answerFor(r53, zoneId, name, type)) : null;
    }
    throw badRequest(`Route 53 has no ${key.type} to read.`);
  } finally {
    r53.destroy();
  }
};
