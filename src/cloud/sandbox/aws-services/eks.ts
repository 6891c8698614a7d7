import { createHash } from 'node:crypto';
import { sandboxInstanceTypes } from '../instance-types.ts';
import type { SandboxAwsAccount } from './model.ts';
import { defined, epochSeconds, pageOf, ServiceError } from './wire.ts';
import type { ServiceCall } from './wire.ts';

/**
 * The sandbox's Amazon EKS (REST-JSON, 2017-11-01), what the real @aws-sdk/client-eks sends:
 * clusters, managed node groups, access entries with their access policies, and add-ons, each with
 * Create / Describe / Delete / List, the API's validation (names, IAM ARNs, subnets in two zones,
 * a scaling config that holds, an authentication mode that allows access entries, an add-on
 * configuration its schema accepts) and its error codes (InvalidParameterException,
 * InvalidRequestException, ResourceInUseException, ResourceNotFoundException).
 *
 * Transitions follow reads, as the EC2 emulator's do: a cluster, node group or add-on being
 * created (CREATING) or deleted (DELETING) is seen so by `transitionReads` Describe calls (default
 * 1), and the next Describe finds it ACTIVE, or gone (404). A cluster's access entries and add-ons
 * go with it. Subnets are the sandbox VPCs' (three per VPC, one per zone: `sandboxSubnets`), as the
 * EC2 emulator serves no DescribeSubnets yet.
 */

export type EksStatus = 'CREATING' | 'ACTIVE' | 'DELETING';

interface Lifecycle {
  status: EksStatus;
  /** Describe calls left that still see the transition (CREATING, DELETING). */
  reads: number;
}

export interface EksCluster extends Lifecycle {
  name: string;
  region: string;
  arn: string;
  id: string;
  createdAt: Date;
  version: string;
  roleArn: string;
  vpcId: string;
  subnetIds: string[];
  securityGroupIds: string[];
  endpointPublicAccess: boolean;
  endpointPrivateAccess: boolean;
  publicAccessCidrs: string[];
  authenticationMode: 'API' | 'API_AND_CONFIG_MAP' | 'CONFIG_MAP';
  /** Control-plane log types exported to CloudWatch Logs. */
  logTypes: string[];
  tags: Record<string, string>;
}

export interface EksNodegroup extends Lifecycle {
  cluster: string;
  region: string;
  name: string;
  arn: string;
  createdAt: Date;
  modifiedAt: Date;
  version: string;
  scaling: { minSize: number; maxSize: number; desiredSize: number };
  instanceTypes: string[];
  subnets: string[];
  nodeRole: string;
  amiType: string;
  capacityType: 'ON_DEMAND' | 'SPOT';
  diskSize: number;
  labels: Record<string, string>;
  tags: Record<string, string>;
}

export interface EksAccessPolicy {
  policyArn: string;
  accessScope: { type: 'cluster' | 'namespace'; namespaces: string[] };
  associatedAt: Date;
  modifiedAt: Date;
}

export interface EksAccessEntry {
  cluster: string;
  region: string;
  principalArn: string;
  arn: string;
  kubernetesGroups: string[];
  username: string;
  type: string;
  createdAt: Date;
  modifiedAt: Date;
  tags: Record<string, string>;
  policies: EksAccessPolicy[];
}

export interface EksAddon extends Lifecycle {
  cluster: string;
  region: string;
  name: string;
  arn: string;
  version: string;
  configurationValues?: string;
  serviceAccountRoleArn?: string;
  createdAt: Date;
  modifiedAt: Date;
  tags: Record<string, string>;
}

export interface EksState {
  clusters: EksCluster[];
  nodegroups: EksNodegroup[];
  accessEntries: EksAccessEntry[];
  addons: EksAddon[];
  /** Describe calls that see CREATING / DELETING before it settles (default 1). */
  transitionReads: number;
}

const states = new WeakMap<SandboxAwsAccount, EksState>();

/** The EKS state of an account's services (empty until something is created; tests may arrange it). */
export const eksOf = (account: SandboxAwsAccount): EksState => {
  let s = states.get(account);
  if (!s) {
    s = { clusters: [], nodegroups: [], accessEntries: [], addons: [], transitionReads: 1 };
    states.set(account, s);
  }
  return s;
};

/** The Kubernetes versions the sandbox's EKS offers in standard support, oldest first. */
export const eksVersions = ['1.31', '1.32', '1.33', '1.34'] as const;

/** Add-ons EKS publishes, with the version each installs by default. */
const addonVersions: Record<string, string> = {
  'vpc-cni': 'v1.20.4-eksbuild.1',
  coredns: 'v1.12.3-eksbuild.1',
  'kube-proxy': 'v1.34.0-eksbuild.2',
  'aws-ebs-csi-driver': 'v1.48.0-eksbuild.1',
  'eks-pod-identity-agent': 'v1.3.8-eksbuild.2',
};
/** What each add-on's configuration schema accepts at its top level (vpc-cni's network policy switch among them). */
const addonConfigKeys: Record<string, string[]> = {
  'vpc-cni': ['enableNetworkPolicy', 'env', 'init', 'nodeAgent', 'resources', 'tolerations'],
  coredns: ['replicaCount', 'resources', 'tolerations', 'corefile', 'autoScaling'],
  'kube-proxy': ['mode', 'resources', 'ipvs'],
  'aws-ebs-csi-driver': ['controller', 'node', 'sidecars', 'defaultStorageClass'],
  'eks-pod-identity-agent': ['agent', 'resources', 'tolerations'],
};

/** The access policies EKS defines (arn:aws:eks::aws:cluster-access-policy/<name>). */
export const eksAccessPolicies = [
  'AmazonEKSClusterAdminPolicy',
  'AmazonEKSAdminPolicy',
  'AmazonEKSEditPolicy',
  'AmazonEKSViewPolicy',
] as const;
const policyPrefix = 'arn:aws:eks::aws:cluster-access-policy/';

const hex = (seed: string, n: number) => createHash('sha256').update(seed).digest('hex').slice(0, n);
const uuid = (seed: string) => {
  const h = hex(seed, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

/** The subnets of a sandbox VPC: three, one per zone (a, b, c) of its region, with deterministic ids. */
export const sandboxSubnets = (vpc: { id: string; region: string }): { id: string; zone: string; vpcId: string }[] =>
  ['a', 'b', 'c'].map((z) => ({ id: `subnet-${hex(`${vpc.id}/${z}`, 17)}`, zone: `${vpc.region}${z}`, vpcId: vpc.id }));

const invalidParameter = (message: string) => new ServiceError('InvalidParameterException', message);
const invalidRequest = (message: string) => new ServiceError('InvalidRequestException', message);
const inUse = (message: string) => new ServiceError('ResourceInUseException', message, 409);
const notFound = (message: string) => new ServiceError('ResourceNotFoundException', message, 404);

const namePattern = /^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/;
const roleArn = /^arn:aws[\w-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const principalArn = /^arn:aws[\w-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]{1,512}$/;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const strings = (v: unknown): string[] | undefined =>
  Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
const record = (v: unknown): Record<string, string> =>
  v && typeof v === 'object' && !Array.isArray(v)
    ? Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'))
    : {};
const int = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) ? v : undefined);

/** A request as the router hands it: method, the path's decoded segments, the query and the JSON body. */
export interface EksRequest {
  method: string;
  segments: string[];
  query: URLSearchParams;
  body: Record<string, unknown>;
}

export interface EksContext {
  call: ServiceCall;
  /** The sandbox VPCs of the account (the EC2 fleet's), for the subnets a cluster names. */
  vpcs: { id: string; region: string }[];
}

type Handler = (ctx: EksContext, req: EksRequest) => { status?: number; body: Record<string, unknown> };

/** The operation a method and path name, with its handler; undefined when the API has none there. */
export const routeEks = (method: string, segments: string[]): { action: string; handler: Handler } | undefined => {
  const [root, , sub, , tail, , extra] = segments;
  if (root !== 'clusters' || extra !== undefined) return undefined;
  const n = segments.length;
  const pick = (table: Record<string, [string, Handler]>): { action: string; handler: Handler } | undefined => {
    const hit = table[method];
    return hit ? { action: hit[0], handler: hit[1] } : undefined;
  };
  if (n === 1) return pick({ GET: ['ListClusters', listClusters], POST: ['CreateCluster', createCluster] });
  if (n === 2) return pick({ GET: ['DescribeCluster', describeCluster], DELETE: ['DeleteCluster', deleteCluster] });
  if (sub === 'node-groups')
    return n === 3
      ? pick({ GET: ['ListNodegroups', listNodegroups], POST: ['CreateNodegroup', createNodegroup] })
      : n === 4
        ? pick({ GET: ['DescribeNodegroup', describeNodegroup], DELETE: ['DeleteNodegroup', deleteNodegroup] })
        : undefined;
  if (sub === 'addons')
    return n === 3
      ? pick({ GET: ['ListAddons', listAddons], POST: ['CreateAddon', createAddon] })
      : n === 4
        ? pick({ GET: ['DescribeAddon', describeAddon], DELETE: ['DeleteAddon', deleteAddon] })
        : undefined;
  if (sub === 'access-entries') {
    if (n === 3)
      return pick({ GET: ['ListAccessEntries', listAccessEntries], POST: ['CreateAccessEntry', createAccessEntry] });
    if (n === 4)
      return pick({
        GET: ['DescribeAccessEntry', describeAccessEntry],
        DELETE: ['DeleteAccessEntry', deleteAccessEntry],
      });
    if (tail === 'access-policies')
      return n === 5
        ? pick({
            GET: ['ListAssociatedAccessPolicies', listAssociatedPolicies],
            POST: ['AssociateAccessPolicy', associatePolicy],
          })
        : pick({ DELETE: ['DisassociateAccessPolicy', disassociatePolicy] });
  }
  return undefined;
};

// ---- lifecycle

/** One Describe: counts against a transition, settles it when none is left (a deletion settles into gone). */
const observe = <T extends Lifecycle>(list: T[], item: T): T | undefined => {
  if (item.status === 'ACTIVE') return item;
  if (item.reads > 0) {
    item.reads -= 1;
    return item;
  }
  if (item.status === 'CREATING') {
    item.status = 'ACTIVE';
    return item;
  }
  list.splice(list.indexOf(item), 1);
  return undefined;
};

const eks = (ctx: EksContext) => eksOf(ctx.call.account);
const inRegion = <T extends { region: string }>(ctx: EksContext, list: T[]): T[] =>
  list.filter((x) => x.region === ctx.call.region);

const clusterNamed = (ctx: EksContext, name: string | undefined): EksCluster => {
  const c = inRegion(ctx, eks(ctx).clusters).find((x) => x.name === name);
  if (!c) throw notFound(`No cluster found for name: ${name ?? ''}.`);
  return c;
};
const activeCluster = (ctx: EksContext, name: string | undefined): EksCluster => {
  const c = clusterNamed(ctx, name);
  if (c.status !== 'ACTIVE') throw invalidRequest(`Cluster '${c.name}' is not in ACTIVE status`);
  return c;
};

const page = <T>(ctx: EksContext, req: EksRequest, items: T[]) => {
  const max = req.query.get('maxResults');
  const asked = max === null ? undefined : Number(max);
  if (asked !== undefined && (!Number.isInteger(asked) || asked < 1 || asked > 100))
    throw invalidParameter('maxResults must be between 1 and 100');
  return pageOf(
    items,
    req.query.get('nextToken') ?? undefined,
    asked,
    ctx.call,
    invalidParameter('The nextToken is not valid'),
  );
};

// ---- clusters

const clusterJson = (c: EksCluster): Record<string, unknown> =>
  defined({
    name: c.name,
    arn: c.arn,
    createdAt: epochSeconds(c.createdAt),
    version: c.version,
    endpoint:
      c.status === 'ACTIVE' ? `https://${hex(c.arn, 32).toUpperCase()}.gr7.${c.region}.eks.amazonaws.com` : undefined,
    roleArn: c.roleArn,
    resourcesVpcConfig: {
      subnetIds: c.subnetIds,
      securityGroupIds: c.securityGroupIds,
      clusterSecurityGroupId: `sg-${hex(`${c.arn}/cluster-sg`, 17)}`,
      vpcId: c.vpcId,
      endpointPublicAccess: c.endpointPublicAccess,
      endpointPrivateAccess: c.endpointPrivateAccess,
      publicAccessCidrs: c.publicAccessCidrs,
    },
    kubernetesNetworkConfig: { serviceIpv4Cidr: '172.20.0.0/16', ipFamily: 'ipv4' },
    logging: {
      clusterLogging: [
        ...(c.logTypes.length ? [{ types: c.logTypes, enabled: true }] : []),
        {
          types: ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'].filter(
            (t) => !c.logTypes.includes(t),
          ),
          enabled: false,
        },
      ].filter((l) => l.types.length > 0),
    },
    identity:
      c.status === 'ACTIVE'
        ? { oidc: { issuer: `https://oidc.eks.${c.region}.amazonaws.com/id/${hex(c.arn, 32).toUpperCase()}` } }
        : undefined,
    status: c.status,
    certificateAuthority: c.status === 'ACTIVE' ? { data: Buffer.from(`sandbox-ca/${c.arn}`).toString('base64') } : {},
    platformVersion: 'eks.1',
    tags: c.tags,
    id: c.id,
    health: { issues: [] },
    accessConfig: { authenticationMode: c.authenticationMode, bootstrapClusterCreatorAdminPermissions: false },
    upgradePolicy: { supportType: 'STANDARD' },
  });

const createCluster: Handler = (ctx, req) => {
  const b = req.body;
  const name = str(b.name);
  if (!name || !namePattern.test(name))
    throw invalidParameter(
      'The cluster name must start with an alphanumeric character and contain only alphanumeric characters, hyphens and underscores (at most 100).',
    );
  const role = str(b.roleArn);
  if (!role || !roleArn.test(role)) throw invalidParameter(`The roleArn ${role ?? ''} is not a valid IAM role ARN.`);
  const version = str(b.version) ?? eksVersions[eksVersions.length - 1]!;
  if (!(eksVersions as readonly string[]).includes(version))
    throw invalidParameter(`unsupported Kubernetes version ${version}; supported: ${eksVersions.join(', ')}`);
  if (inRegion(ctx, eks(ctx).clusters).some((c) => c.name === name))
    throw inUse(`Cluster already exists with name: ${name}`);
  const vpc = (b.resourcesVpcConfig ?? {}) as Record<string, unknown>;
  const subnetIds = strings(vpc.subnetIds) ?? [];
  const known = ctx.vpcs.filter((v) => v.region === ctx.call.region).flatMap(sandboxSubnets);
  const subnets = subnetIds.map((id) => {
    const s = known.find((k) => k.id === id);
    if (!s) throw invalidParameter(`The subnet ID '${id}' does not exist`);
    return s;
  });
  if (new Set(subnets.map((s) => s.zone)).size < 2)
    throw invalidParameter('Subnets specified must be in at least two different AZs');
  if (new Set(subnets.map((s) => s.vpcId)).size > 1)
    throw invalidParameter('Subnets specified must belong to the same VPC');
  const access = (b.accessConfig ?? {}) as Record<string, unknown>;
  const mode = str(access.authenticationMode) ?? 'CONFIG_MAP';
  if (!['API', 'API_AND_CONFIG_MAP', 'CONFIG_MAP'].includes(mode))
    throw invalidParameter(`authenticationMode must be one of API, API_AND_CONFIG_MAP, CONFIG_MAP`);
  const logging = (((b.logging ?? {}) as Record<string, unknown>).clusterLogging ?? []) as Record<string, unknown>[];
  const logTypes = logging.filter((l) => l.enabled === true).flatMap((l) => strings(l.types) ?? []);
  const account = ctx.call.account.accountId;
  const arn = `arn:aws:eks:${ctx.call.region}:${account}:cluster/${name}`;
  const c: EksCluster = {
    name,
    region: ctx.call.region,
    arn,
    id: uuid(`${arn}/${eks(ctx).clusters.length}/${ctx.call.now().toISOString()}`),
    createdAt: ctx.call.now(),
    version,
    roleArn: role,
    vpcId: subnets[0]!.vpcId,
    subnetIds,
    securityGroupIds: strings(vpc.securityGroupIds) ?? [],
    endpointPublicAccess: vpc.endpointPublicAccess !== false,
    endpointPrivateAccess: vpc.endpointPrivateAccess === true,
    publicAccessCidrs: strings(vpc.publicAccessCidrs) ?? ['0.0.0.0/0'],
    authenticationMode: mode as EksCluster['authenticationMode'],
    logTypes: [...new Set(logTypes)],
    tags: record(b.tags),
    status: 'CREATING',
    reads: eks(ctx).transitionReads,
  };
  eks(ctx).clusters.push(c);
  return { body: { cluster: clusterJson(c) } };
};

const describeCluster: Handler = (ctx, req) => {
  const c = clusterNamed(ctx, req.segments[1]);
  const seen = observe(eks(ctx).clusters, c);
  if (!seen) {
    // Gone: what hung on it goes with it.
    const s = eks(ctx);
    const others = (x: { cluster: string; region: string }) => !(x.cluster === c.name && x.region === c.region);
    s.accessEntries = s.accessEntries.filter(others);
    s.addons = s.addons.filter(others);
    throw notFound(`No cluster found for name: ${c.name}.`);
  }
  return { body: { cluster: clusterJson(seen) } };
};

const deleteCluster: Handler = (ctx, req) => {
  const c = clusterNamed(ctx, req.segments[1]);
  if (inRegion(ctx, eks(ctx).nodegroups).some((n) => n.cluster === c.name))
    throw inUse('Cluster has nodegroups attached');
  if (c.status !== 'DELETING') {
    c.status = 'DELETING';
    c.reads = eks(ctx).transitionReads;
  }
  return { body: { cluster: clusterJson(c) } };
};

const listClusters: Handler = (ctx, req) => {
  const p = page(
    ctx,
    req,
    inRegion(ctx, eks(ctx).clusters).map((c) => c.name),
  );
  return { body: defined({ clusters: p.items, nextToken: p.next }) };
};

// ---- node groups

const nodegroupJson = (n: EksNodegroup): Record<string, unknown> =>
  defined({
    nodegroupName: n.name,
    nodegroupArn: n.arn,
    clusterName: n.cluster,
    version: n.version,
    releaseVersion: `${n.version}.0-20261101`,
    createdAt: epochSeconds(n.createdAt),
    modifiedAt: epochSeconds(n.modifiedAt),
    status: n.status,
    capacityType: n.capacityType,
    scalingConfig: n.scaling,
    instanceTypes: n.instanceTypes,
    subnets: n.subnets,
    amiType: n.amiType,
    nodeRole: n.nodeRole,
    labels: n.labels,
    diskSize: n.diskSize,
    resources: n.status === 'ACTIVE' ? { autoScalingGroups: [{ name: `eks-${n.name}-${hex(n.arn, 8)}` }] } : undefined,
    health: { issues: [] },
    updateConfig: { maxUnavailable: 1 },
    tags: n.tags,
  });

const nodegroupNamed = (ctx: EksContext, cluster: string, name: string | undefined): EksNodegroup => {
  const n = inRegion(ctx, eks(ctx).nodegroups).find((x) => x.cluster === cluster && x.name === name);
  if (!n) throw notFound(`No node group found for name: ${name ?? ''}.`);
  return n;
};

const createNodegroup: Handler = (ctx, req) => {
  const c = activeCluster(ctx, req.segments[1]);
  const b = req.body;
  const name = str(b.nodegroupName);
  if (!name || !namePattern.test(name))
    throw invalidParameter(
      'The node group name must start with an alphanumeric character and contain only alphanumeric characters, hyphens and underscores.',
    );
  if (inRegion(ctx, eks(ctx).nodegroups).some((n) => n.cluster === c.name && n.name === name))
    throw inUse(`NodeGroup already exists with name ${name} and cluster name ${c.name}`);
  const role = str(b.nodeRole);
  if (!role || !roleArn.test(role)) throw invalidParameter(`The nodeRole ${role ?? ''} is not a valid IAM role ARN.`);
  const scaling = (b.scalingConfig ?? {}) as Record<string, unknown>;
  const minSize = int(scaling.minSize) ?? 1;
  const maxSize = int(scaling.maxSize) ?? 2;
  const desiredSize = int(scaling.desiredSize) ?? minSize;
  if (minSize < 0) throw invalidParameter('Minimum capacity must be at least 0');
  if (maxSize < 1) throw invalidParameter('Maximum capacity must be at least 1');
  if (minSize > maxSize)
    throw invalidParameter(`Minimum capacity ${minSize} can't be greater than maximum capacity ${maxSize}`);
  if (desiredSize < minSize)
    throw invalidParameter(`Minimum capacity ${minSize} can't be greater than desired size ${desiredSize}`);
  if (desiredSize > maxSize)
    throw invalidParameter(`Desired capacity ${desiredSize} can't be greater than max size ${maxSize}`);
  const instanceTypes = strings(b.instanceTypes) ?? ['t3.medium'];
  for (const t of instanceTypes)
    if (!sandboxInstanceTypes.includes(t)) throw invalidParameter(`Instance type ${t} is not supported`);
  const subnets = strings(b.subnets) ?? [];
  if (subnets.length === 0) throw invalidParameter('Subnets are required');
  for (const s of subnets)
    if (!c.subnetIds.includes(s) && !ctx.vpcs.flatMap(sandboxSubnets).some((k) => k.id === s && k.vpcId === c.vpcId))
      throw invalidParameter(`The subnet ID '${s}' does not exist in the cluster's VPC ${c.vpcId}`);
  const diskSize = int(b.diskSize) ?? 20;
  const capacityType = str(b.capacityType) ?? 'ON_DEMAND';
  if (capacityType !== 'ON_DEMAND' && capacityType !== 'SPOT')
    throw invalidParameter('capacityType must be ON_DEMAND or SPOT');
  const now = ctx.call.now();
  const arn = `arn:aws:eks:${c.region}:${ctx.call.account.accountId}:nodegroup/${c.name}/${name}/${uuid(`${c.arn}/${name}/${now.toISOString()}/${eks(ctx).nodegroups.length}`)}`;
  const n: EksNodegroup = {
    cluster: c.name,
    region: c.region,
    name,
    arn,
    createdAt: now,
    modifiedAt: now,
    version: c.version,
    scaling: { minSize, maxSize, desiredSize },
    instanceTypes,
    subnets,
    nodeRole: role,
    amiType: str(b.amiType) ?? 'AL2023_x86_64_STANDARD',
    capacityType,
    diskSize,
    labels: record(b.labels),
    tags: record(b.tags),
    status: 'CREATING',
    reads: eks(ctx).transitionReads,
  };
  eks(ctx).nodegroups.push(n);
  return { body: { nodegroup: nodegroupJson(n) } };
};

const describeNodegroup: Handler = (ctx, req) => {
  const c = clusterNamed(ctx, req.segments[1]);
  const n = nodegroupNamed(ctx, c.name, req.segments[3]);
  const seen = observe(eks(ctx).nodegroups, n);
  if (!seen) throw notFound(`No node group found for name: ${n.name}.`);
  return { body: { nodegroup: nodegroupJson(seen) } };
};

const deleteNodegroup: Handler = (ctx, req) => {
  const c = clusterNamed(ctx, req.segments[1]);
  const n = nodegroupNamed(ctx, c.name, req.segments[3]);
  if (n.status !== 'DELETING') {
    n.status = 'DELETING';
    n.reads = eks(ctx).transitionReads;
    n.modifiedAt = ctx.call.now();
  }
  return { body: { nodegroup: nodegroupJson(n) } };
};

const listNodegroups: Handler = (ctx, req) => {
  const c = clusterNamed(ctx, req.segments[1]);
  const p = page(
    ctx,
    req,
    inRegion(ctx, eks(ctx).nodegroups)
      .filter((n) => n.cluster === c.name)
      .map((n) => n.name),
  );
  return { body: defined({ nodegroups: p.items, nextToken: p.next }) };
};

// ---- access entries and policies

const entryJson = (e: EksAccessEntry): Record<string, unknown> => ({
  clusterName: e.cluster,
  principalArn: e.principalArn,
  kubernetesGroups: e.kubernetesGroups,
  accessEntryArn: e.arn,
  createdAt: epochSeconds(e.createdAt),
  modifiedAt: epochSeconds(e.modifiedAt),
  tags: e.tags,
  username: e.username,
  type: e.type,
});
const policyJson = (p: EksAccessPolicy): Record<string, unknown> => ({
  policyArn: p.policyArn,
  accessScope: p.accessScope,
  associatedAt: epochSeconds(p.associatedAt),
  modifiedAt: epochSeconds(p.modifiedAt),
});

const entryOf = (ctx: EksContext, cluster: string, principal: string | undefined): EksAccessEntry => {
  const e = inRegion(ctx, eks(ctx).accessEntries).find((x) => x.cluster === cluster && x.principalArn === principal);
  if (!e)
    throw notFound(
      `The specified principalArn could not be found. You can view your available access entries with 'list-access-entries'.`,
    );
  return e;
};

const createAccessEntry: Handler = (ctx, req) => {
  const c = activeCluster(ctx, req.segments[1]);
  if (c.authenticationMode === 'CONFIG_MAP')
    throw invalidRequest(
      "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation.",
    );
  const b = req.body;
  const principal = str(b.principalArn);
  if (!principal || !principalArn.test(principal))
    throw invalidParameter(`The principalArn parameter format is not valid: ${principal ?? ''}`);
  if (inRegion(ctx, eks(ctx).accessEntries).some((e) => e.cluster === c.name && e.principalArn === principal))
    throw inUse('The specified access entry resource is already in use on this cluster.');
  const groups = strings(b.kubernetesGroups) ?? [];
  const reserved = groups.find((g) => g.startsWith('system:'));
  if (reserved)
    throw invalidParameter(`The kubernetes group name ${reserved} is invalid, it cannot start with system:`);
  const type = str(b.type) ?? 'STANDARD';
  if (!['STANDARD', 'FARGATE_LINUX', 'EC2_LINUX', 'EC2_WINDOWS'].includes(type))
    throw invalidParameter(`The access entry type ${type} is not valid`);
  const [, , , , account, resource] = principal.split(':');
  const role = resource!.startsWith('role/') ? resource!.split('/').pop()! : undefined;
  const now = ctx.call.now();
  const e: EksAccessEntry = {
    cluster: c.name,
    region: c.region,
    principalArn: principal,
    arn: `arn:aws:eks:${c.region}:${ctx.call.account.accountId}:access-entry/${c.name}/${resource!.split('/')[0]}/${account}/${resource!.split('/').pop()}/${hex(`${c.arn}/${principal}`, 24)}`,
    kubernetesGroups: groups,
    username: str(b.username) ?? (role ? `arn:aws:sts::${account}:assumed-role/${role}/{{SessionName}}` : principal),
    type,
    createdAt: now,
    modifiedAt: now,
    tags: record(b.tags),
    policies: [],
  };
  eks(ctx).accessEntries.push(e);
  return { body: { accessEntry: entryJson(e) } };
};

const describeAccessEntry: Handler = (ctx, req) => {
  const c = clusterNamed(ctx, req.segments[1]);
  return { body: { accessEntry: entryJson(entryOf(ctx, c.name, req.segments[3])) } };
};

const deleteAccessEntry: Handler = (ctx, req) => {
  const c = clusterNamed(ctx, req.segments[1]);
  const e = entryOf(ctx, c.name, req.segments[3]);
  const s = eks(ctx);
  s.accessEntries.splice(s.accessEntries.indexOf(e), 1);
  return { body: {} };
};

const listAccessEntries: Handler = (ctx, req) => {
  const c = clusterNamed(ctx, req.segments[1]);
  const p = page(
    ctx,
    req,
    inRegion(ctx, eks(ctx).accessEntries)
      .filter((e) => e.cluster === c.name)
      .map((e) => e.principalArn),
  );
  return { body: defined({ accessEntries: p.items, nextToken: p.next }) };
};

const associatePolicy: Handler = (ctx, req) => {
  const c = activeCluster(ctx, req.segments[1]);
  const e = entryOf(ctx, c.name, req.segments[3]);
  const policyArn = str(req.body.policyArn) ?? '';
  if (
    !policyArn.startsWith(policyPrefix) ||
    !(eksAccessPolicies as readonly string[]).includes(policyArn.slice(policyPrefix.length))
  )
    throw invalidParameter(`The policyArn ${policyArn} is not a valid access policy.`);
  const scope = (req.body.accessScope ?? {}) as Record<string, unknown>;
  const type = str(scope.type);
  const namespaces = strings(scope.namespaces) ?? [];
  if (type !== 'cluster' && type !== 'namespace')
    throw invalidParameter('accessScope.type must be cluster or namespace');
  if (type === 'namespace' && namespaces.length === 0)
    throw invalidParameter('accessScope.namespaces is required when the scope type is namespace');
  if (type === 'cluster' && namespaces.length > 0)
    throw invalidParameter('accessScope.namespaces must be empty when the scope type is cluster');
  const now = ctx.call.now();
  const accessScope = { type, namespaces } as EksAccessPolicy['accessScope'];
  const existing = e.policies.find((p) => p.policyArn === policyArn);
  if (existing) {
    existing.accessScope = accessScope;
    existing.modifiedAt = now;
  } else e.policies.push({ policyArn, accessScope, associatedAt: now, modifiedAt: now });
  const p = e.policies.find((x) => x.policyArn === policyArn)!;
  return { body: { clusterName: c.name, principalArn: e.principalArn, associatedAccessPolicy: policyJson(p) } };
};

const disassociatePolicy: Handler = (ctx, req) => {
  const c = clusterNamed(ctx, req.segments[1]);
  const e = entryOf(ctx, c.name, req.segments[3]);
  const i = e.policies.findIndex((p) => p.policyArn === req.segments[5]);
  if (i < 0) throw notFound(`The access policy ${req.segments[5] ?? ''} is not associated with ${e.principalArn}.`);
  e.policies.splice(i, 1);
  return { body: {} };
};

const listAssociatedPolicies: Handler = (ctx, req) => {
  const c = clusterNamed(ctx, req.segments[1]);
  const e = entryOf(ctx, c.name, req.segments[3]);
  const p = page(ctx, req, e.policies.map(policyJson));
  return {
    body: defined({
      clusterName: c.name,
      principalArn: e.principalArn,
      associatedAccessPolicies: p.items,
      nextToken: p.next,
    }),
  };
};

// ---- add-ons

const addonJson = (a: EksAddon): Record<string, unknown> =>
  defined({
    addonName: a.name,
    clusterName: a.cluster,
    status: a.status,
    addonVersion: a.version,
    health: { issues: [] },
    addonArn: a.arn,
    createdAt: epochSeconds(a.createdAt),
    modifiedAt: epochSeconds(a.modifiedAt),
    serviceAccountRoleArn: a.serviceAccountRoleArn,
    tags: a.tags,
    configurationValues: a.configurationValues,
  });

const addonNamed = (ctx: EksContext, cluster: string, name: string | undefined): EksAddon => {
  const a = inRegion(ctx, eks(ctx).addons).find((x) => x.cluster === cluster && x.name === name);
  if (!a) throw notFound(`No addon: ${name ?? ''} found in cluster: ${cluster}`);
  return a;
};

const createAddon: Handler = (ctx, req) => {
  const c = activeCluster(ctx, req.segments[1]);
  const b = req.body;
  const name = str(b.addonName) ?? '';
  const defaultVersion = addonVersions[name];
  if (!defaultVersion)
    throw invalidParameter(`Addon ${name} specified is not supported in ${c.version} cluster version`);
  if (inRegion(ctx, eks(ctx).addons).some((a) => a.cluster === c.name && a.name === name))
    throw inUse(`Addon already exists.`);
  const version = str(b.addonVersion) ?? defaultVersion;
  if (!/^v\d+\.\d+\.\d+-eksbuild\.\d+$/.test(version))
    throw invalidParameter(`Addon version ${version} specified is not supported`);
  const values = str(b.configurationValues);
  if (values !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(values);
    } catch {
      throw invalidParameter('ConfigurationValue provided in request is not supported: the value is not valid JSON');
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
      throw invalidParameter('ConfigurationValue provided in request is not supported: it must be an object');
    const unknown = Object.keys(parsed).filter((k) => !addonConfigKeys[name]!.includes(k));
    if (unknown.length)
      throw invalidParameter(
        `ConfigurationValue provided in request is not supported: Json schema validation failed with error: [$: property '${unknown[0]}' is not defined in the schema and the schema does not allow additional properties]`,
      );
    const policy = (parsed as Record<string, unknown>).enableNetworkPolicy;
    if (policy !== undefined && policy !== 'true' && policy !== 'false')
      throw invalidParameter(
        `ConfigurationValue provided in request is not supported: Json schema validation failed with error: [$.enableNetworkPolicy: does not have a value in the enumeration [true, false]]`,
      );
  }
  const now = ctx.call.now();
  const a: EksAddon = {
    cluster: c.name,
    region: c.region,
    name,
    arn: `arn:aws:eks:${c.region}:${ctx.call.account.accountId}:addon/${c.name}/${name}/${uuid(`${c.arn}/${name}/${now.toISOString()}/${eks(ctx).addons.length}`)}`,
    version,
    ...(values !== undefined ? { configurationValues: values } : {}),
    ...(str(b.serviceAccountRoleArn) ? { serviceAccountRoleArn: str(b.serviceAccountRoleArn)! } : {}),
    createdAt: now,
    modifiedAt: now,
    tags: record(b.tags),
    status: 'CREATING',
    reads: eks(ctx).transitionReads,
  };
  eks(ctx).addons.push(a);
  return { body: { addon: addonJson(a) } };
};

const describeAddon: Handler = (ctx, req) => {
  const c = clusterNamed(ctx, req.segments[1]);
  const a = addonNamed(ctx, c.name, req.segments[3]);
  const seen = observe(eks(ctx).addons, a);
  if (!seen) throw notFound(`No addon: ${a.name} found in cluster: ${c.name}`);
  return { body: { addon: addonJson(seen) } };
};

const deleteAddon: Handler = (ctx, req) => {
  const c = clusterNamed(ctx, req.segments[1]);
  const a = addonNamed(ctx, c.name, req.segments[3]);
  if (a.status !== 'DELETING') {
    a.status = 'DELETING';
    a.reads = eks(ctx).transitionReads;
    a.modifiedAt = ctx.call.now();
  }
  return { body: { addon: addonJson(a) } };
};

const listAddons: Handler = (ctx, req) => {
  const c = clusterNamed(ctx, req.segments[1]);
  const p = page(
    ctx,
    req,
    inRegion(ctx, eks(ctx).addons)
      .filter((a) => a.cluster === c.name)
      .map((a) => a.name),
  );
  return { body: defined({ addons: p.items, nextToken: p.next }) };
};
