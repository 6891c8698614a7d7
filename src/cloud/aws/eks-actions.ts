import { z } from 'zod';
import { badRequest } from '../../errors.ts';
import { subjectLabel, type ActionCatalog, type ActionSpec, type ActionSubject } from '../actions.ts';
import { monthlyCents } from '../pricing/index.ts';

/**
 * What the AWS provider makes on EKS, as actions on what is already there (src/cloud/actions.ts):
 * a cluster in a VPC (`create_eks_cluster` on a `vpc`), and on a cluster its managed node groups
 * (with their autoscaling bounds), access entries and access policies (RBAC through the EKS API)
 * and add-ons (vpc-cni with network policies). Each create reports what it made in `outputs` (the
 * ARN) and its inverse deletes it; a delete waits until EKS has removed the thing, so the one after
 * it (a cluster after its node groups) can go. No SDK here: eks.ts carries them out.
 */

/** Access policies by the short name a template uses (`AmazonEKSClusterAdminPolicy`). */
export const eksPolicies = [
  'AmazonEKSClusterAdminPolicy',
  'AmazonEKSAdminPolicy',
  'AmazonEKSEditPolicy',
  'AmazonEKSViewPolicy',
] as const;
export const policyArn = (name: string): string => `arn:aws:eks::aws:cluster-access-policy/${name}`;

const eksName = z
  .string()
  .regex(
    /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/,
    'must start with a letter or digit and hold only letters, digits, - and _ (at most 100)',
  );
const version = z.string().regex(/^1\.\d{2}$/, 'version must be a Kubernetes minor version such as 1.34');
const iamRole = z
  .string()
  .regex(
    /^arn:aws[\w-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/,
    'must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)',
  );
const principal = z
  .string()
  .regex(/^arn:aws[\w-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]{1,512}$/, 'principalArn must be an IAM role or user ARN');
const list = (what: string, item: RegExp, min: number, max: number) =>
  z
    .string()
    .max(2_000)
    .refine(
      (v) => {
        const items = v.split(',').map((s) => s.trim());
        return items.length >= min && items.length <= max && items.every((s) => item.test(s));
      },
      `${what} must be ${min === max ? min : `${min} to ${max}`} comma-separated values`,
    );
const subnetIds = list('subnetIds', /^subnet-[0-9a-f]{8,17}$/, 2, 16);
const whole = (what: string, min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,4}$/, `${what} must be a whole number`)
    .refine((v) => Number(v) >= min && Number(v) <= max, `${what} must be between ${min} and ${max}`);
const bool = z.enum(['true', 'false']);
const instanceType = z
  .string()
  .regex(/^[a-z][a-z0-9-]*\d[a-z0-9-]*\.[a-z0-9]+$/, 'must be an EC2 instance type such as m5.large');

/** Items of a comma-separated parameter. */
export const splitList = (v: string | undefined): string[] =>
  v
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];

const isEksCluster = (s: ActionSubject) => s.attributes.kind === 'eks';
const requireEks = async (s: ActionSubject): Promise<void> => {
  if (!isEksCluster(s)) throw badRequest(`${subjectLabel(s)} is not an EKS cluster.`);
};

/** Created: undone by its delete. */
const deletes =
  (action: string, key: string) =>
  ({ params }: Parameters<ActionSpec['inverse']>[0]) =>
    params[key] ? { action, params: { [key]: params[key]! } } : { why: `the ${key} is not known` };

const createCluster: ActionSpec = {
  name: 'create_eks_cluster',
  title: 'Create an EKS cluster',
  doing: 'creating the EKS cluster',
  description:
    'Create an EKS control plane in subnets of a VPC (access entries for RBAC, the control-plane audit logs on)',
  params: z.object({
    name: eksName,
    version,
    subnetIds,
    roleArn: iamRole,
    endpointPublicAccess: bool.optional(),
    logging: z.enum(['all', 'audit', 'none']).optional(),
    environment: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,30}$/, 'environment must be a lower-case word such as prod')
      .optional(),
    /** The region the plan means: checked against the VPC's (a cluster goes where its VPC is). */
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'region must be an AWS region such as eu-west-1')
      .optional(),
  }),
  async check(s, p) {
    if (p.region && p.region !== s.region)
      throw badRequest(
        `${subjectLabel(s)} is in ${s.region}, not ${p.region}: the cluster goes where its VPC is.`,
        undefined,
        'region',
      );
  },
  blastRadius: (s, p) =>
    `A new EKS cluster ${p.name ?? '?'} (Kubernetes ${p.version ?? '?'}) is created in ${subjectLabel(s)}; nothing running changes. Its control plane bills from now on.`,
  detail: (_s, p) => `${p.name ?? ''} (Kubernetes ${p.version ?? ''})`,
  costDeltaCents: (s) => monthlyCents('aws', 'kubernetes_cluster', 'eks', s.region) ?? 0,
  inverse: deletes('delete_eks_cluster', 'name'),
};

const deleteCluster: ActionSpec = {
  name: 'delete_eks_cluster',
  title: 'Delete the EKS cluster',
  doing: 'deleting the EKS cluster',
  description: 'Delete an EKS cluster of a VPC (its node groups first), waiting until it is gone',
  params: z.object({ name: eksName }),
  blastRadius: (s, p) =>
    `The EKS cluster ${p.name ?? '?'} in ${subjectLabel(s)} is deleted with its add-ons and access entries; whatever ran on it stops.`,
  detail: (_s, p) => `${p.name ?? ''}`,
  costDeltaCents: (s) => -(monthlyCents('aws', 'kubernetes_cluster', 'eks', s.region) ?? 0),
  inverse: () => ({ why: 'a deleted EKS cluster cannot be brought back; create it again' }),
};

const createNodegroup: ActionSpec = {
  name: 'create_nodegroup',
  aliases: ['create_node_group'],
  title: 'Create a node group',
  doing: 'creating the node group',
  description: 'Add a managed node group to an EKS cluster, scaling between minSize and maxSize',
  params: z.object({
    name: eksName,
    instanceType,
    minSize: whole('minSize', 0, 1000),
    desiredSize: whole('desiredSize', 0, 1000),
    maxSize: whole('maxSize', 1, 1000),
    nodeRoleArn: iamRole,
    subnetIds,
    diskSize: whole('diskSize', 20, 16_384).optional(),
    capacityType: z.enum(['ON_DEMAND', 'SPOT']).optional(),
  }),
  async check(s, p) {
    await requireEks(s);
    const why = scalingProblem(p);
    if (why) throw badRequest(why, undefined, 'desiredSize');
  },
  blastRadius: (s, p) =>
    `${p.desiredSize ?? '?'} ${p.instanceType ?? '?'} nodes join ${subjectLabel(s)} (between ${p.minSize ?? '?'} and ${p.maxSize ?? '?'}); each is an EC2 instance billed as such.`,
  detail: (_s, p) => `${p.name ?? ''} (${p.desiredSize ?? '?'} × ${p.instanceType ?? '?'})`,
  costDeltaCents: (s, p) =>
    (monthlyCents('aws', 'instance', p.instanceType ?? '', s.region) ?? 0) * Number(p.desiredSize ?? 0),
  inverse: deletes('delete_nodegroup', 'name'),
};

/** min ≤ desired ≤ max, as EKS requires. */
export const scalingProblem = (p: Record<string, string | undefined>): string | undefined => {
  const [min, desired, max] = [p.minSize, p.desiredSize, p.maxSize].map(Number);
  if (p.minSize === undefined || p.desiredSize === undefined || p.maxSize === undefined) return undefined;
  return min! <= desired! && desired! <= max!
    ? undefined
    : `the node group must scale with minSize ≤ desiredSize ≤ maxSize (got ${min}, ${desired}, ${max})`;
};

const deleteNodegroup: ActionSpec = {
  name: 'delete_nodegroup',
  aliases: ['delete_node_group'],
  title: 'Delete the node group',
  doing: 'deleting the node group',
  description: 'Delete a managed node group of an EKS cluster, waiting until its nodes are gone',
  params: z.object({ name: eksName }),
  check: requireEks,
  blastRadius: (s, p) =>
    `The nodes of node group ${p.name ?? '?'} in ${subjectLabel(s)} are drained and terminated; pods move to other nodes if there is room.`,
  detail: (_s, p) => `${p.name ?? ''}`,
  costDeltaCents: () => 0,
  inverse: () => ({ why: 'a deleted node group cannot be brought back; create it again' }),
};

const createAccessEntry: ActionSpec = {
  name: 'create_access_entry',
  title: 'Create an access entry',
  doing: 'creating the access entry',
  description: 'Let an IAM principal authenticate to an EKS cluster (what it may do comes from its access policies)',
  params: z.object({
    principalArn: principal,
    kubernetesGroups: list('kubernetesGroups', /^(?!system:)[\w.:-]{1,63}$/, 1, 10).optional(),
    username: z
      .string()
      .regex(/^[\w.@:{}/-]{1,256}$/, 'username must be a Kubernetes user name')
      .optional(),
  }),
  check: requireEks,
  blastRadius: (s, p) => `${p.principalArn ?? '?'} can authenticate to ${subjectLabel(s)}.`,
  detail: (_s, p) => `for ${p.principalArn ?? ''}`,
  costDeltaCents: () => 0,
  inverse: deletes('delete_access_entry', 'principalArn'),
};

const deleteAccessEntry: ActionSpec = {
  name: 'delete_access_entry',
  title: 'Delete the access entry',
  doing: 'deleting the access entry',
  description: 'Stop an IAM principal from authenticating to an EKS cluster (its access policies go with it)',
  params: z.object({ principalArn: principal }),
  check: requireEks,
  blastRadius: (s, p) => `${p.principalArn ?? '?'} can no longer reach ${subjectLabel(s)}.`,
  detail: (_s, p) => `for ${p.principalArn ?? ''}`,
  costDeltaCents: () => 0,
  inverse: () => ({ why: 'the access policies of a deleted access entry are gone with it; grant them again' }),
};

const scopeParams = {
  principalArn: principal,
  policy: z.enum(eksPolicies),
  /** Comma-separated namespaces; absent: the whole cluster. */
  namespaces: list('namespaces', /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 1, 50).optional(),
};

const associatePolicy: ActionSpec = {
  name: 'associate_access_policy',
  aliases: ['grant_access_policy'],
  title: 'Associate an access policy',
  doing: 'associating the access policy',
  description:
    'Grant an access entry an EKS access policy (cluster admin, admin, edit or view) on the cluster or some namespaces',
  params: z.object(scopeParams),
  check: requireEks,
  blastRadius: (s, p) =>
    `${p.principalArn ?? '?'} gets ${p.policy ?? '?'} on ${p.namespaces ? `namespaces ${p.namespaces} of ` : ''}${subjectLabel(s)}.`,
  detail: (_s, p) => `${p.policy ?? ''} for ${p.principalArn ?? ''}`,
  costDeltaCents: () => 0,
  inverse: ({ params, previous }) =>
    previous?.existed === 'true'
      ? {
          action: 'associate_access_policy',
          params: {
            principalArn: params.principalArn!,
            policy: params.policy!,
            ...(previous.namespaces ? { namespaces: previous.namespaces } : {}),
          },
        }
      : {
          action: 'disassociate_access_policy',
          params: { principalArn: params.principalArn!, policy: params.policy! },
        },
};

const disassociatePolicy: ActionSpec = {
  name: 'disassociate_access_policy',
  aliases: ['revoke_access_policy'],
  title: 'Disassociate the access policy',
  doing: 'disassociating the access policy',
  description: 'Take an EKS access policy away from an access entry',
  params: z.object({ principalArn: principal, policy: z.enum(eksPolicies) }),
  check: requireEks,
  blastRadius: (s, p) => `${p.principalArn ?? '?'} loses ${p.policy ?? '?'} on ${subjectLabel(s)}.`,
  detail: (_s, p) => `${p.policy ?? ''} from ${p.principalArn ?? ''}`,
  costDeltaCents: () => 0,
  inverse: ({ params, previous }) =>
    previous?.existed === 'true'
      ? {
          action: 'associate_access_policy',
          params: {
            principalArn: params.principalArn!,
            policy: params.policy!,
            ...(previous.namespaces ? { namespaces: previous.namespaces } : {}),
          },
        }
      : { why: 'the policy was not associated before' },
};

const createAddon: ActionSpec = {
  name: 'create_addon',
  aliases: ['install_addon'],
  title: 'Install an add-on',
  doing: 'installing the add-on',
  description: 'Install an EKS add-on (vpc-cni with networkPolicy true enforces Kubernetes network policies)',
  params: z.object({
    addon: z.enum(['vpc-cni', 'coredns', 'kube-proxy', 'aws-ebs-csi-driver', 'eks-pod-identity-agent']),
    version: z
      .string()
      .regex(/^v\d+\.\d+\.\d+-eksbuild\.\d+$/, 'version must be an add-on version such as v1.20.4-eksbuild.1')
      .optional(),
    networkPolicy: bool.optional(),
  }),
  async check(s, p) {
    await requireEks(s);
    const why = addonProblem(p);
    if (why) throw badRequest(why, undefined, 'networkPolicy');
  },
  blastRadius: (s, p) =>
    `EKS installs ${p.addon ?? '?'} on ${subjectLabel(s)}${p.networkPolicy === 'true' ? ' with network policies enforced: pods a NetworkPolicy selects accept only the traffic it allows' : ''}.`,
  detail: (_s, p) => `${p.addon ?? ''}${p.networkPolicy === 'true' ? ' (network policies on)' : ''}`,
  costDeltaCents: () => 0,
  inverse: deletes('delete_addon', 'addon'),
};

/** networkPolicy is a vpc-cni setting. */
export const addonProblem = (p: Record<string, string | undefined>): string | undefined =>
  p.networkPolicy !== undefined && p.addon !== 'vpc-cni'
    ? `networkPolicy is a setting of vpc-cni, not of ${p.addon ?? 'this add-on'}`
    : undefined;

const deleteAddon: ActionSpec = {
  name: 'delete_addon',
  title: 'Remove the add-on',
  doing: 'removing the add-on',
  description: 'Remove an EKS add-on, waiting until EKS has removed it',
  params: z.object({ addon: z.string().regex(/^[a-z0-9][a-z0-9-]{0,99}$/, 'addon must be an add-on name') }),
  check: requireEks,
  blastRadius: (s, p) =>
    `${p.addon ?? '?'} is removed from ${subjectLabel(s)}; what it provided (networking, DNS, storage) stops.`,
  detail: (_s, p) => `${p.addon ?? ''}`,
  costDeltaCents: () => 0,
  inverse: () => ({ why: 'install the add-on again with create_addon' }),
};

export const eksActions: ActionCatalog = {
  vpc: [createCluster, deleteCluster],
  cluster: [
    createNodegroup,
    deleteNodegroup,
    createAccessEntry,
    deleteAccessEntry,
    associatePolicy,
    disassociatePolicy,
    createAddon,
    deleteAddon,
  ],
};

/** The EKS actions by name: the provider routes these to eks.ts. */
export const eksActionNames = new Set(Object.values(eksActions).flatMap((specs) => specs!.map((s) => s.name)));
