import {
  GetHealthCheckStatusCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
  TestDNSAnswerCommand,
  paginateListHealthChecks,
  paginateListHostedZones,
} from '@aws-sdk/client-route-53';
import type {
  HealthCheck,
  HealthCheckObservation,
  HostedZone,
  ListResourceRecordSetsCommandInput,
  ResourceRecordSet,
  RRType,
} from '@aws-sdk/client-route-53';
import type { Resource } from '../../resource.ts';
import { instrumentAwsClient } from '../clients.ts';
import { clampPage, listing, mapLimit, row, settingsFor } from './common.ts';
import type { AwsServiceContext, AwsServiceLister } from './types.ts';

/**
 * Route 53 (global): hosted zones (`hosted_zone`, id the zone id `Z…`), health checks
 * (`health_check`, id the check's id, state `healthy` or `unhealthy` as Route 53 considers it) and
 * failover record pairs (`dns_record`, id `<zone id>/<name>/<type>`, state `serving-primary` or
 * `serving-secondary`: which one Route 53 answers now, read with TestDNSAnswer). Simple records are
 * not listed: only what failover routing decides has a state worth waiting for.
 */

/** `Z123`, `/hostedzone/Z123` → `Z123`. */
export const zoneIdOf = (id: string | undefined): string => (id ?? '').replace(/^\/?hostedzone\//, '');
/** `app.example.com.` → `app.example.com` (names are shown and matched without the root dot). */
export const bare = (name: string | undefined): string => (name ?? '').toLowerCase().replace(/\.$/, '');

/**
 * Whether Route 53 considers a check healthy: more than 18% of its checkers report success (Route
 * 53's threshold); a disabled check is always healthy, an inverted one the reverse.
 */
export const healthOf = (
  hc: Pick<HealthCheck, 'HealthCheckConfig'>,
  observations: HealthCheckObservation[],
): 'healthy' | 'unhealthy' => {
  const config = hc.HealthCheckConfig;
  if (config?.Disabled) return 'healthy';
  const ok = observations.filter((o) => o.StatusReport?.Status?.startsWith('Success')).length;
  const healthy = observations.length > 0 && ok / observations.length > 0.18;
  return healthy !== Boolean(config?.Inverted) ? 'healthy' : 'unhealthy';
};

export const healthCheckRow = (
  ctx: AwsServiceContext,
  hc: HealthCheck,
  observations: HealthCheckObservation[],
): Resource => {
  const c = hc.HealthCheckConfig;
  const endpoint = c?.FullyQualifiedDomainName ?? c?.IPAddress ?? '';
  const ok = observations.filter((o) => o.StatusReport?.Status?.startsWith('Success')).length;
  return row(ctx, {
    type: 'health_check',
    id: hc.Id ?? 'unknown',
    name: `${(c?.Type ?? 'http').toLowerCase().replace(/_str_match$/, '')}://${endpoint}${c?.Port ? `:${c.Port}` : ''}${c?.ResourcePath ?? ''}`,
    region: 'global',
    state: healthOf(hc, observations),
    // Billed monthly per check; not in the price table yet.
    monthlyCostCents: undefined,
    attributes: {
      healthCheckType: c?.Type ?? null,
      endpoint,
      port: c?.Port ?? null,
      path: c?.ResourcePath ?? null,
      inverted: c?.Inverted ?? false,
      disabled: c?.Disabled ?? false,
      version: hc.HealthCheckVersion ?? null,
      checkersHealthy: `${ok} of ${observations.length}`,
      lastReport: observations[0]?.StatusReport?.Status ?? null,
    },
  });
};

export const hostedZoneRow = (ctx: AwsServiceContext, z: HostedZone): Resource =>
  row(ctx, {
    type: 'hosted_zone',
    id: zoneIdOf(z.Id),
    name: bare(z.Name),
    region: 'global',
    state: 'active',
    // Billed monthly per zone; not in the price table yet.
    monthlyCostCents: undefined,
    attributes: {
      zoneId: zoneIdOf(z.Id),
      domain: bare(z.Name),
      private: z.Config?.PrivateZone ?? false,
      recordCount: z.ResourceRecordSetCount ?? 0,
      comment: z.Config?.Comment ?? null,
    },
  });

const valueOf = (r: ResourceRecordSet | undefined): string | null =>
  r ? bare(r.AliasTarget?.DNSName ?? r.ResourceRecords?.[0]?.Value) || null : null;

/** The failover pairs of a zone's record sets, by name and type. */
export const failoverPairs = (records: ResourceRecordSet[]) => {
  const pairs = new Map<
    string,
    { name: string; type: string; primary?: ResourceRecordSet; secondary?: ResourceRecordSet }
  >();
  for (const r of records) {
    if (!r.Failover || !r.Name || !r.Type) continue;
    const key = `${bare(r.Name)}/${r.Type}`;
    const pair = pairs.get(key) ?? { name: bare(r.Name), type: r.Type };
    if (r.Failover === 'PRIMARY') pair.primary = r;
    else pair.secondary = r;
    pairs.set(key, pair);
  }
  return [...pairs.values()];
};

/** Which record of a pair the answer is: `serving-primary`, `serving-secondary`, else `serving-other` (or `not-serving`). */
export const servingState = (
  pair: { primary?: ResourceRecordSet; secondary?: ResourceRecordSet },
  answer: string[],
): string => {
  const got = answer.map((a) => bare(a));
  if (got.length === 0) return 'not-serving';
  if (pair.primary && got.includes(valueOf(pair.primary) ?? '')) return 'serving-primary';
  if (pair.secondary && got.includes(valueOf(pair.secondary) ?? '')) return 'serving-secondary';
  return 'serving-other';
};

export const dnsRecordRow = (
  ctx: AwsServiceContext,
  zone: { id: string; name: string },
  pair: { name: string; type: string; primary?: ResourceRecordSet; secondary?: ResourceRecordSet },
  answer: string[],
): Resource =>
  row(ctx, {
    type: 'dns_record',
    id: `${zone.id}/${pair.name}/${pair.type}`,
    name: pair.name,
    region: 'global',
    state: servingState(pair, answer),
    // Records cost nothing of their own (queries are billed by volume).
    priceless: true,
    attributes: {
      zoneId: zone.id,
      zone: zone.name,
      recordName: pair.name,
      recordType: pair.type,
      routing: 'failover',
      ttl: pair.primary?.TTL ?? pair.secondary?.TTL ?? null,
      primary: valueOf(pair.primary),
      primaryHealthCheck: pair.primary?.HealthCheckId ?? null,
      secondary: valueOf(pair.secondary),
      secondaryHealthCheck: pair.secondary?.HealthCheckId ?? null,
      answer: answer.map((a) => bare(a)),
    },
  });

/** Every record set of a zone (ListResourceRecordSets pages by next name, type and identifier). */
export const recordSets = async (
  client: Route53Client,
  zoneId: string,
  signal?: AbortSignal,
): Promise<ResourceRecordSet[]> => {
  const out: ResourceRecordSet[] = [];
  let next: Omit<ListResourceRecordSetsCommandInput, 'HostedZoneId' | 'MaxItems'> = {};
  for (;;) {
    const page = await client.send(
      new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, MaxItems: 300, ...next }),
      { abortSignal: signal },
    );
    out.push(...(page.ResourceRecordSets ?? []));
    if (!page.IsTruncated) return out;
    next = {
      StartRecordName: page.NextRecordName,
      StartRecordType: page.NextRecordType,
      ...(page.NextRecordIdentifier ? { StartRecordIdentifier: page.NextRecordIdentifier } : {}),
    };
  }
};

/** What Route 53 answers for a name and type now. */
export const answerFor = async (client: Route53Client, zoneId: string, name: string, type: string): Promise<string[]> =>
  (await client.send(new TestDNSAnswerCommand({ HostedZoneId: zoneId, RecordName: name, RecordType: type as RRType })))
    .RecordData ?? [];

export const observationsOf = async (client: Route53Client, id: string): Promise<HealthCheckObservation[]> =>
  (await client.send(new GetHealthCheckStatusCommand({ HealthCheckId: id }))).HealthCheckObservations ?? [];

export const route53Lister: AwsServiceLister = {
  service: 'route53',
  scope: 'global',
  list: (ctx) =>
    listing('listing Route 53 hosted zones and health checks', async () => {
      const client = instrumentAwsClient(new Route53Client(settingsFor(ctx)), ctx.metrics);
      const opts = { abortSignal: ctx.signal };
      try {
        const rows: Resource[] = [];
        const zones: HostedZone[] = [];
        for await (const page of paginateListHostedZones({ client, pageSize: clampPage(ctx, 1, 100) }, {}, opts))
          zones.push(...(page.HostedZones ?? []));
        for (const z of zones) {
          rows.push(hostedZoneRow(ctx, z));
          const id = zoneIdOf(z.Id);
          const pairs = failoverPairs(await recordSets(client, id, ctx.signal));
          const answers = await mapLimit(pairs, 4, (p) => answerFor(client, id, p.name, p.type));
          pairs.forEach((p, i) => rows.push(dnsRecordRow(ctx, { id, name: bare(z.Name) }, p, answers[i] ?? [])));
        }
        const checks: HealthCheck[] = [];
        for await (const page of paginateListHealthChecks({ client, pageSize: clampPage(ctx, 1, 1000) }, {}, opts))
          checks.push(...(page.HealthChecks ?? []));
        const observations = await mapLimit(checks, 4, (hc) => observationsOf(client, hc.Id ?? ''));
        checks.forEach((hc, i) => rows.push(healthCheckRow(ctx, hc, observations[i] ?? [])));
        return rows;
      } finally {
        client.destroy();
      }
    }),
};
