import {
  AssociateAccessPolicyCommand,
  CreateAccessEntryCommand,
  CreateAddonCommand,
  CreateClusterCommand,
  CreateNodegroupCommand,
  DeleteAccessEntryCommand,
  DeleteAddonCommand,
  DeleteClusterCommand,
  DeleteNodegroupCommand,
  DescribeAccessEntryCommand,
  DescribeAddonCommand,
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  DisassociateAccessPolicyCommand,
  EKSClient,
  paginateListAccessEntries,
  paginateListAddons,
  paginateListAssociatedAccessPolicies,
  paginateListClusters,
  paginateListNodegroups,
} from '@aws-sdk/client-eks';
import type { AccessEntry, Addon, AssociatedAccessPolicy, Cluster, LogType, Nodegroup } from '@aws-sdk/client-eks';
import { AppError, badRequest } from '../../errors.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { ResourceKey } from '../../tools/change-plan.ts';
import { monthlyCents } from '../pricing/index.ts';
import type { ActionResult, ResourceAction } from '../provider.ts';
import { environmentFromTags, type Resource } from '../resource.ts';
import { clientConfig, instrumentAwsClient, type AwsClientSettings } from './clients.ts';
import { addonProblem, policyArn, scalingProblem, splitList } from './eks-actions.ts';
import { awsCodeOf, clampPage, isoOrNull, listing, mapLimit } from './services/common.ts';
import type { AwsServiceLister } from './services/types.ts';
import type { WaitOptions } from './wait.ts';

/**
 * Amazon EKS through `@aws-sdk/client-eks` (loaded with the provider's other SDKs, on first use):
 * the listing of a region's clusters (type `cluster`, attribute `kind: eks`, with their access
 * entries and policies), managed node groups (`node_group`) and add-ons (`addon`), each by its ARN;
 * one of them read again (`describeEks`, what a workflow's wait polls); and the actions of
 * eks-actions.ts. A cluster costs the control plane's hour (`kubernetes_cluster eks`); its nodes are
 * EC2 instances, priced where they are listed, so a node group carries no cost of its own.
 */

export const createEksClient = (settings: AwsClientSettings, metrics: Metrics | undefined): EKSClient =>
  instrumentAwsClient(new EKSClient(clientConfig(settings)), metrics);

interface RowContext {
  account: string;
  region: string;
  seenAt: Date;
}

const lower = (s: string | undefined): string => (s ?? 'unknown').toLowerCase();

const row = (
  ctx: RowContext,
  r: { type: Resource['type']; id: string; name: string; state: string; tags?: Record<string, string> | undefined },
  cost: number | undefined,
  attributes: Record<string, unknown>,
): Resource => {
  const tags = r.tags ?? {};
  return {
    provider: 'aws',
    account: ctx.account,
    region: ctx.region,
    type: r.type,
    id: r.id,
    name: r.name,
    state: r.state,
    tags,
    environment: environmentFromTags(tags),
    monthlyCostCents: cost ?? 0,
    attributes: { kind: 'eks', ...attributes },
    seenAt: ctx.seenAt,
  };
};

/** An access entry and its policies, as a cluster's attributes show them. */
export interface EksAccess {
  principalArn: string;
  type: string | null;
  username: string | null;
  kubernetesGroups: string[];
  policies: { policy: string; scope: string; namespaces: string[] }[];
}

const policyName = (arn: string | undefined): string => (arn ?? '').split('/').pop() ?? '';

export const clusterResource = (c: Cluster, ctx: RowContext, access?: EksAccess[]): Resource => {
  const vpc = c.resourcesVpcConfig ?? {};
  // The control plane bills while it exists (creating, active, updating), not once deleting.
  const billed = ['ACTIVE', 'CREATING', 'UPDATING'].includes(c.status ?? '');
  const priced = monthlyCents('aws', 'kubernetes_cluster', 'eks', ctx.region);
  return row(
    ctx,
    { type: 'cluster', id: c.arn ?? c.name ?? 'unknown', name: c.name ?? '', state: lower(c.status), tags: c.tags },
    billed ? priced : 0,
    {
      arn: c.arn ?? null,
      version: c.version ?? null,
      platformVersion: c.platformVersion ?? null,
      endpoint: c.endpoint ?? null,
      roleArn: c.roleArn ?? null,
      vpcId: vpc.vpcId ?? null,
      subnetIds: vpc.subnetIds ?? [],
      securityGroupIds: vpc.securityGroupIds ?? [],
      clusterSecurityGroupId: vpc.clusterSecurityGroupId ?? null,
      endpointPublicAccess: vpc.endpointPublicAccess ?? null,
      endpointPrivateAccess: vpc.endpointPrivateAccess ?? null,
      publicAccessCidrs: vpc.publicAccessCidrs ?? [],
      authenticationMode: c.accessConfig?.authenticationMode ?? null,
      controlPlaneLogs: (c.logging?.clusterLogging ?? []).filter((l) => l.enabled).flatMap((l) => l.types ?? []),
      createdAt: isoOrNull(c.createdAt),
      ...(access ? { accessEntries: access } : {}),
      ...(billed && priced === undefined ? { priced: false } : {}),
    },
  );
};

export const nodegroupResource = (n: Nodegroup, ctx: RowContext, clusterArn: string): Resource =>
  row(
    ctx,
    {
      type: 'node_group',
      id: n.nodegroupArn ?? `${clusterArn}/${n.nodegroupName ?? ''}`,
      name: n.nodegroupName ?? '',
      state: lower(n.status),
      tags: n.tags,
    },
    0,
    {
      cluster: n.clusterName ?? null,
      clusterArn,
      instanceTypes: n.instanceTypes ?? [],
      scaling: {
        min: n.scalingConfig?.minSize ?? null,
        desired: n.scalingConfig?.desiredSize ?? null,
        max: n.scalingConfig?.maxSize ?? null,
      },
      capacityType: n.capacityType ?? null,
      amiType: n.amiType ?? null,
      diskSize: n.diskSize ?? null,
      subnets: n.subnets ?? [],
      nodeRole: n.nodeRole ?? null,
      version: n.version ?? null,
      releaseVersion: n.releaseVersion ?? null,
      autoScalingGroups: (n.resources?.autoScalingGroups ?? []).map((g) => g.name ?? ''),
      issues: (n.health?.issues ?? []).map((i) => ({ code: i.code ?? null, message: i.message ?? null })),
      createdAt: isoOrNull(n.createdAt),
      costNote: "A node group's nodes are EC2 instances: their cost is the instances'.",
    },
  );

/** vpc-cni's network policy switch, from its configuration values (JSON); null when not said. */
const networkPolicyOf = (a: Addon): boolean | null => {
  if (a.addonName !== 'vpc-cni' || !a.configurationValues) return null;
  try {
    const v = (JSON.parse(a.configurationValues) as { enableNetworkPolicy?: unknown }).enableNetworkPolicy;
    return v === 'true' || v === true ? true : v === 'false' || v === false ? false : null;
  } catch {
    return null;
  }
};

export const addonResource = (a: Addon, ctx: RowContext, clusterArn: string): Resource =>
  row(
    ctx,
    {
      type: 'addon',
      id: a.addonArn ?? `${clusterArn}/addon/${a.addonName ?? ''}`,
      name: a.addonName ?? '',
      state: lower(a.status),
      tags: a.tags,
    },
    0,
    {
      cluster: a.clusterName ?? null,
      clusterArn,
      version: a.addonVersion ?? null,
      configurationValues: a.configurationValues ?? null,
      networkPolicy: networkPolicyOf(a),
      issues: (a.health?.issues ?? []).map((i) => ({ code: i.code ?? null, message: i.message ?? null })),
      createdAt: isoOrNull(a.createdAt),
    },
  );

/** ResourceNotFoundException: gone between the list and the read. */
const unlessGone = async <T>(p: Promise<T>): Promise<T | undefined> => {
  try {
    return await p;
  } catch (e) {
    if (awsCodeOf(e) === 'ResourceNotFoundException') return undefined;
    throw e;
  }
};

/** A region's EKS clusters (with their access entries), node groups and add-ons. */
export const eksLister: AwsServiceLister = {
  service: 'eks',
  scope: 'regional',
  list: (ctx) =>
    listing(`listing EKS clusters in ${ctx.region}`, async () => {
      const client = createEksClient(ctx.client, ctx.metrics);
      const opts = { abortSignal: ctx.signal };
      const pageSize = clampPage(ctx, 1, 100);
      const rc: RowContext = { account: ctx.account, region: ctx.region, seenAt: ctx.seenAt };
      try {
        const names: string[] = [];
        for await (const page of paginateListClusters({ client, pageSize }, {}, opts))
          names.push(...(page.clusters ?? []));
        const perCluster = await mapLimit(names, 4, async (name) => {
          const cluster = (await unlessGone(client.send(new DescribeClusterCommand({ name }), opts)))?.cluster;
          if (!cluster) return [];
          const arn = cluster.arn ?? name;
          const all = async <P>(pages: AsyncIterable<P>, pick: (p: P) => string[] | undefined) => {
            const out: string[] = [];
            for await (const p of pages) out.push(...(pick(p) ?? []));
            return out;
          };
          const listed = <T>(p: Promise<T>) => unlessGone(p).then((v) => v ?? ([] as unknown as T));
          const [groups, addons, principals] = await Promise.all([
            listed(all(paginateListNodegroups({ client, pageSize }, { clusterName: name }, opts), (p) => p.nodegroups)),
            listed(all(paginateListAddons({ client, pageSize }, { clusterName: name }, opts), (p) => p.addons)),
            // A CONFIG_MAP cluster has no access entries to list.
            cluster.accessConfig?.authenticationMode === 'CONFIG_MAP'
              ? Promise.resolve([])
              : listed(
                  all(
                    paginateListAccessEntries({ client, pageSize }, { clusterName: name }, opts),
                    (p) => p.accessEntries,
                  ),
                ),
          ]);
          const access = (
            await mapLimit(principals, 4, async (principalArn) => {
              const entry = (
                await unlessGone(client.send(new DescribeAccessEntryCommand({ clusterName: name, principalArn }), opts))
              )?.accessEntry;
              if (!entry) return undefined;
              const policies: AssociatedAccessPolicy[] = [];
              for await (const p of paginateListAssociatedAccessPolicies(
                { client, pageSize },
                { clusterName: name, principalArn },
                opts,
              ))
                policies.push(...(p.associatedAccessPolicies ?? []));
              return accessOf(entry, policies);
            })
          ).filter((a): a is EksAccess => a !== undefined);
          const nodegroups = await mapLimit(groups, 4, (nodegroupName) =>
            unlessGone(client.send(new DescribeNodegroupCommand({ clusterName: name, nodegroupName }), opts)),
          );
          const installed = await mapLimit(addons, 4, (addonName) =>
            unlessGone(client.send(new DescribeAddonCommand({ clusterName: name, addonName }), opts)),
          );
          return [
            clusterResource(cluster, rc, access),
            ...nodegroups.flatMap((n) => (n?.nodegroup ? [nodegroupResource(n.nodegroup, rc, arn)] : [])),
            ...installed.flatMap((a) => (a?.addon ? [addonResource(a.addon, rc, arn)] : [])),
          ];
        });
        return perCluster.flat();
      } finally {
        client.destroy();
      }
    }),
};

const accessOf = (e: AccessEntry, policies: AssociatedAccessPolicy[]): EksAccess => ({
  principalArn: e.principalArn ?? '',
  type: e.type ?? null,
  username: e.username ?? null,
  kubernetesGroups: e.kubernetesGroups ?? [],
  policies: policies.map((p) => ({
    policy: policyName(p.policyArn),
    scope: p.accessScope?.type ?? 'cluster',
    namespaces: p.accessScope?.namespaces ?? [],
  })),
});

// ---- ARNs

type EksArn =
  | { kind: 'cluster'; region: string; cluster: string }
  | { kind: 'nodegroup'; region: string; cluster: string; name: string }
  | { kind: 'addon'; region: string; cluster: string; name: string };

/** `arn:aws:eks:<region>:<account>:cluster/<name>` (or nodegroup/…, addon/…) → what it names. */
export const parseEksArn = (arn: string): EksArn | undefined => {
  const m = /^arn:aws[\w-]*:eks:([a-z0-9-]+):\d{12}:(cluster|nodegroup|addon)\/([^/]+)(?:\/([^/]+)\/[^/]+)?$/.exec(arn);
  if (!m) return undefined;
  const [, region, kind, cluster, name] = m;
  if (kind === 'cluster') return name === undefined ? { kind, region: region!, cluster: cluster! } : undefined;
  return name === undefined
    ? undefined
    : { kind: kind as 'nodegroup' | 'addon', region: region!, cluster: cluster!, name };
};

const clusterArnOf = (arn: EksArn, account: string) => `arn:aws:eks:${arn.region}:${account}:cluster/${arn.cluster}`;

/** A cluster, node group or add-on as EKS sees it now; null when it is gone. */
export const describeEks = async (client: EKSClient, key: ResourceKey, ctx: RowContext): Promise<Resource | null> => {
  const arn = parseEksArn(key.id);
  if (!arn) throw badRequest(`${key.id} is not an EKS ARN.`);
  const account = key.id.split(':')[4]!;
  const rc = { ...ctx, region: arn.region };
  if (arn.kind === 'cluster') {
    const c = (await unlessGone(client.send(new DescribeClusterCommand({ name: arn.cluster }))))?.cluster;
    return c ? clusterResource(c, rc) : null;
  }
  if (arn.kind === 'nodegroup') {
    const n = (
      await unlessGone(client.send(new DescribeNodegroupCommand({ clusterName: arn.cluster, nodegroupName: arn.name })))
    )?.nodegroup;
    return n ? nodegroupResource(n, rc, clusterArnOf(arn, account)) : null;
  }
  const a = (await unlessGone(client.send(new DescribeAddonCommand({ clusterName: arn.cluster, addonName: arn.name }))))
    ?.addon;
  return a ? addonResource(a, rc, clusterArnOf(arn, account)) : null;
};

// ---- actions

type Progress = (step: string) => void;

/** Reads until `gone()` says so (a delete EKS finishes on its own time), within the provider's wait budget. */
const untilGone = async (what: string, gone: () => Promise<boolean>, wait: WaitOptions, progress: Progress) => {
  for (let i = 1; i <= wait.attempts; i++) {
    if (await gone()) return;
    progress(`waiting for EKS to remove ${what}, check ${i} of ${wait.attempts}`);
    await wait.sleep(wait.delayMs);
  }
  throw new AppError(
    'cloud_error',
    `EKS is still removing ${what} after ${wait.attempts} checks; it will finish on its own: check it before running this again.`,
  );
};

const clusterOf = (id: string): { name: string; region: string } => {
  const arn = parseEksArn(id);
  if (!arn || arn.kind !== 'cluster') throw badRequest(`${id} is not an EKS cluster (an EKS cluster ARN is expected).`);
  return { name: arn.cluster, region: arn.region };
};

const loggingTypes: Record<'all' | 'audit' | 'none', LogType[]> = {
  all: ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'],
  audit: ['audit', 'authenticator'],
  none: [],
};

/** Runs one action of eks-actions.ts (`params` already checked by its schema). */
export const executeEksAction = async (
  client: EKSClient,
  action: ResourceAction,
  wait: WaitOptions,
  progress: Progress,
): Promise<ActionResult> => {
  const p = action.params;
  const { target } = action;
  switch (action.action) {
    case 'create_eks_cluster': {
      const logs = loggingTypes[(p.logging as keyof typeof loggingTypes | undefined) ?? 'audit'];
      progress(`creating EKS cluster ${p.name} (Kubernetes ${p.version})`);
      const out = await client.send(
        new CreateClusterCommand({
          name: p.name,
          version: p.version,
          roleArn: p.roleArn,
          resourcesVpcConfig: {
            subnetIds: splitList(p.subnetIds),
            endpointPublicAccess: p.endpointPublicAccess !== 'false',
            endpointPrivateAccess: true,
          },
          // Access entries (the EKS API) carry RBAC; the creator gets no hidden admin entry.
          accessConfig: { authenticationMode: 'API', bootstrapClusterCreatorAdminPermissions: false },
          logging: { clusterLogging: logs.length ? [{ types: logs, enabled: true }] : [] },
          ...(p.environment ? { tags: { env: p.environment } } : {}),
        }),
      );
      const c = out.cluster ?? {};
      return {
        summary: `EKS cluster ${p.name} (Kubernetes ${c.version ?? p.version}) is being created in ${c.resourcesVpcConfig?.vpcId ?? target.id}`,
        newState: lower(c.status),
        previous: { created: 'true' },
        outputs: { cluster: c.arn ?? '', name: c.name ?? p.name! },
      };
    }
    case 'delete_eks_cluster': {
      const name = p.name!;
      progress(`deleting EKS cluster ${name}`);
      const accepted = await unlessGone(client.send(new DeleteClusterCommand({ name })));
      if (accepted)
        await untilGone(
          `cluster ${name}`,
          async () => !(await unlessGone(client.send(new DescribeClusterCommand({ name })))),
          wait,
          progress,
        );
      return {
        summary: accepted ? `EKS cluster ${name} deleted` : `EKS cluster ${name} was already gone`,
        newState: 'deleted',
        previous: {},
      };
    }
  }
  const cluster = clusterOf(target.id);
  const clusterName = cluster.name;
  switch (action.action) {
    case 'create_nodegroup': {
      const why = scalingProblem(p);
      if (why) throw badRequest(why);
      progress(`creating node group ${p.name} on ${clusterName}`);
      const out = await client.send(
        new CreateNodegroupCommand({
          clusterName,
          nodegroupName: p.name,
          scalingConfig: { minSize: Number(p.minSize), desiredSize: Number(p.desiredSize), maxSize: Number(p.maxSize) },
          instanceTypes: [p.instanceType!],
          nodeRole: p.nodeRoleArn,
          subnets: splitList(p.subnetIds),
          ...(p.diskSize ? { diskSize: Number(p.diskSize) } : {}),
          capacityType: (p.capacityType as 'ON_DEMAND' | 'SPOT' | undefined) ?? 'ON_DEMAND',
          // The cluster autoscaler finds the group's Auto Scaling group by these.
          tags: {
            'k8s.io/cluster-autoscaler/enabled': 'true',
            [`k8s.io/cluster-autoscaler/${clusterName}`]: 'owned',
          },
        }),
      );
      const n = out.nodegroup ?? {};
      return {
        summary: `node group ${p.name} (${p.desiredSize} × ${p.instanceType}, ${p.minSize}–${p.maxSize}) is being created on ${clusterName}`,
        newState: lower(n.status),
        previous: { created: 'true' },
        outputs: { node_group: n.nodegroupArn ?? '' },
      };
    }
    case 'delete_nodegroup': {
      const nodegroupName = p.name!;
      progress(`deleting node group ${nodegroupName} of ${clusterName}`);
      const accepted = await unlessGone(client.send(new DeleteNodegroupCommand({ clusterName, nodegroupName })));
      if (accepted)
        await untilGone(
          `node group ${nodegroupName}`,
          async () => !(await unlessGone(client.send(new DescribeNodegroupCommand({ clusterName, nodegroupName })))),
          wait,
          progress,
        );
      return {
        summary: accepted
          ? `node group ${nodegroupName} of ${clusterName} deleted`
          : `node group ${nodegroupName} was already gone`,
        newState: 'deleted',
        previous: {},
      };
    }
    case 'create_access_entry': {
      progress(`creating the access entry of ${p.principalArn} on ${clusterName}`);
      const groups = splitList(p.kubernetesGroups);
      const out = await client.send(
        new CreateAccessEntryCommand({
          clusterName,
          principalArn: p.principalArn,
          type: 'STANDARD',
          ...(groups.length ? { kubernetesGroups: groups } : {}),
          ...(p.username ? { username: p.username } : {}),
        }),
      );
      return {
        summary: `${p.principalArn} can authenticate to ${clusterName} (as ${out.accessEntry?.username ?? '?'})`,
        newState: 'active',
        previous: { created: 'true' },
        outputs: { access_entry: out.accessEntry?.accessEntryArn ?? '' },
      };
    }
    case 'delete_access_entry': {
      progress(`deleting the access entry of ${p.principalArn} on ${clusterName}`);
      const accepted = await unlessGone(
        client.send(new DeleteAccessEntryCommand({ clusterName, principalArn: p.principalArn })),
      );
      return {
        summary: accepted
          ? `${p.principalArn} can no longer reach ${clusterName}`
          : `${p.principalArn} had no access entry on ${clusterName}`,
        newState: 'deleted',
        previous: {},
      };
    }
    case 'associate_access_policy':
    case 'disassociate_access_policy': {
      const principalArn = p.principalArn!;
      const arn = policyArn(p.policy!);
      const had: AssociatedAccessPolicy[] = [];
      for await (const page of paginateListAssociatedAccessPolicies({ client }, { clusterName, principalArn }))
        had.push(...(page.associatedAccessPolicies ?? []));
      const before = had.find((x) => x.policyArn === arn);
      const previous = before
        ? {
            existed: 'true',
            ...(before.accessScope?.type === 'namespace'
              ? { namespaces: (before.accessScope.namespaces ?? []).join(',') }
              : {}),
          }
        : { existed: 'false' };
      if (action.action === 'disassociate_access_policy') {
        if (!before)
          return { summary: `${p.policy} was not associated with ${principalArn}`, newState: 'active', previous };
        progress(`disassociating ${p.policy} from ${principalArn}`);
        await client.send(new DisassociateAccessPolicyCommand({ clusterName, principalArn, policyArn: arn }));
        return { summary: `${principalArn} no longer has ${p.policy} on ${clusterName}`, newState: 'active', previous };
      }
      const namespaces = splitList(p.namespaces);
      progress(`associating ${p.policy} with ${principalArn}`);
      await client.send(
        new AssociateAccessPolicyCommand({
          clusterName,
          principalArn,
          policyArn: arn,
          accessScope: namespaces.length ? { type: 'namespace', namespaces } : { type: 'cluster' },
        }),
      );
      return {
        summary: `${principalArn} has ${p.policy} on ${namespaces.length ? `namespaces ${namespaces.join(', ')} of ` : ''}${clusterName}${before ? ' (it had it before; the scope is now as asked)' : ''}`,
        newState: 'active',
        previous,
      };
    }
    case 'create_addon': {
      const why = addonProblem(p);
      if (why) throw badRequest(why);
      progress(`installing ${p.addon} on ${clusterName}`);
      const out = await client.send(
        new CreateAddonCommand({
          clusterName,
          addonName: p.addon,
          ...(p.version ? { addonVersion: p.version } : {}),
          ...(p.networkPolicy ? { configurationValues: JSON.stringify({ enableNetworkPolicy: p.networkPolicy }) } : {}),
          resolveConflicts: 'OVERWRITE',
        }),
      );
      const a = out.addon ?? {};
      return {
        summary: `${p.addon} ${a.addonVersion ?? ''} is being installed on ${clusterName}${p.networkPolicy === 'true' ? ' with network policies enforced' : ''}`,
        newState: lower(a.status),
        previous: { created: 'true' },
        outputs: { addon: a.addonArn ?? '' },
      };
    }
    case 'delete_addon': {
      const addonName = p.addon!;
      progress(`removing ${addonName} from ${clusterName}`);
      const accepted = await unlessGone(client.send(new DeleteAddonCommand({ clusterName, addonName })));
      if (accepted)
        await untilGone(
          `add-on ${addonName}`,
          async () => !(await unlessGone(client.send(new DescribeAddonCommand({ clusterName, addonName })))),
          wait,
          progress,
        );
      return {
        summary: accepted
          ? `${addonName} removed from ${clusterName}`
          : `${addonName} was not installed on ${clusterName}`,
        newState: 'deleted',
        previous: {},
      };
    }
    default:
      throw badRequest(`AWS cannot ${action.action} an EKS cluster.`);
  }
};
