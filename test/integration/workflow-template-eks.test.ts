import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { AwsProvider } from '../../src/cloud/aws/provider.ts';
import { monthlyCents } from '../../src/cloud/pricing/index.ts';
import type { Resource } from '../../src/cloud/resource.ts';
import { eksOf, sandboxSubnets } from '../../src/cloud/sandbox/aws-services/eks.ts';
import { startSandbox, type Sandbox } from '../../src/cloud/sandbox/server.ts';
import { planWorkflow, type PlanDeps } from '../../src/workflows/plan.ts';
import { loadWorkspaceTemplates } from '../../src/workflows/registry.ts';
import { runWorkflow } from '../../src/workflows/run.ts';
import type { Template } from '../../src/workflows/template.ts';
import { rejectedAppError } from '../helpers/cloud.ts';
import { inventoryOf, planDepsOf, sandboxAws } from '../fixtures/workflow-sandbox.ts';
import { runDepsFor } from '../fixtures/workflow-aws-run.ts';

// The built-in k8s-production-cluster template, loaded as the app loads it, planned over the AWS
// provider's live listing and run step by step through the real @aws-sdk/client-eks against the
// sandbox's EKS emulator (REST-JSON, on the sandbox's port): the control plane, an autoscaling
// node group, RBAC through access entries and policies, vpc-cni with network policies, each waited
// for until active; then a step failing half way, and everything it made deleted again in reverse.
const now = new Date('2026-11-01T12:00:00Z');
let sandbox: Sandbox;
let aws: AwsProvider;
let planDeps: PlanDeps;
let template: Template;
let vpc: Resource;
let inputs: Record<string, string>;

const admin = 'arn:aws:iam::123456789012:role/platform-admins';
const readonly = 'arn:aws:iam::123456789012:role/developers-readonly';
const eks = () => eksOf(sandbox.services!.account);
const eksRows = async () =>
  (await inventoryOf(aws)).filter(
    (r) => ['cluster', 'node_group', 'addon'].includes(r.type) && r.attributes.kind === 'eks',
  );

const runDeps = () => runDepsFor(aws, () => now);

beforeEach(async () => {
  sandbox = await startSandbox({ now: () => now });
  aws = sandboxAws(sandbox.url, () => now);
  planDeps = planDepsOf(aws);
  template = (await loadWorkspaceTemplates()).latest('k8s-production-cluster')!;
  vpc = (await inventoryOf(aws)).find((r) => r.type === 'vpc' && r.region === 'eu-west-1')!;
  const subnets = sandboxSubnets({ id: vpc.id, region: 'eu-west-1' });
  inputs = {
    region: 'eu-west-1',
    cluster_name: 'payments-prod',
    vpc: vpc.name,
    subnet_ids: subnets.map((s) => s.id).join(','),
    cluster_role_arn: 'arn:aws:iam::123456789012:role/eks-cluster',
    node_role_arn: 'arn:aws:iam::123456789012:role/eks-nodes',
    admin_principal: admin,
    readonly_principal: readonly,
  };
});
afterEach(async () => {
  aws.destroy();
  await sandbox.stop();
});

describe('the k8s-production-cluster template', () => {
  it('is built in, names the same plan on AKS and GKE, and prices the control plane and the nodes', async () => {
    expect(template).toMatchObject({ name: 'k8s-production-cluster', category: 'cluster', provider: 'aws' });
    expect(template.equivalents?.azure).toMatch(/^AKS: .*cluster autoscaler.*network policy/);
    expect(template.equivalents?.gcp).toMatch(/^GKE Standard: .*autoscaling.*network policies/);
    const plan = await planWorkflow(planDeps, template, inputs);
    const nodes = monthlyCents('aws', 'instance', 'm5.large', 'eu-west-1', 3)!;
    expect(plan.monthlyCents).toBe(7_300 + nodes);
    expect(plan.unpriced).toEqual([]);
    // The first step is planned as a single change would be: on the VPC as listed, its cost delta the control plane's.
    expect(plan.steps[0]).toMatchObject({
      kind: 'action',
      action: 'create_eks_cluster',
      target: { type: 'vpc', id: vpc.id, region: 'eu-west-1' },
      costDeltaCents: 7_300,
      params: expect.objectContaining({ name: 'payments-prod', version: '1.34', logging: 'audit' }),
    });
    expect(
      plan.steps.map((s) =>
        s.kind === 'approval'
          ? [s.id, 'gate']
          : [s.id, s.kind === 'action' ? s.action : `until ${s.until}`, s.target.type],
      ),
    ).toEqual([
      ['cluster', 'create_eks_cluster', 'vpc'],
      ['cluster_active', 'until active', 'cluster'],
      ['nodes', 'create_nodegroup', 'cluster'],
      ['nodes_active', 'until active', 'node_group'],
      ['admin_entry', 'create_access_entry', 'cluster'],
      ['admin_policy', 'associate_access_policy', 'cluster'],
      ['readonly_entry', 'create_access_entry', 'cluster'],
      ['readonly_policy', 'associate_access_policy', 'cluster'],
      ['network_policies', 'create_addon', 'cluster'],
      ['network_policies_active', 'until active', 'addon'],
    ]);
    // A region that is not the VPC's is refused with the reason, before anything runs.
    const elsewhere = await rejectedAppError(planWorkflow(planDeps, template, { ...inputs, region: 'us-east-1' }));
    expect(elsewhere.userMessage).toContain('main-eu-west-1 (' + vpc.id + ') is in eu-west-1, not us-east-1');
    expect(eks().clusters).toEqual([]);
  });

  it('runs end to end: the cluster, its autoscaling nodes, RBAC and network policies, each active', async () => {
    const plan = await planWorkflow(planDeps, template, { ...inputs, min_size: '2', desired_size: '3', max_size: '8' });
    const { deps, records, polls } = runDeps();
    const out = await runWorkflow(deps, plan);
    expect(out).toMatchObject({ status: 'succeeded', summary: 'k8s-production-cluster: all 10 steps done.' });
    expect(records.map((r) => [r.id, r.status])).toEqual(plan.steps.map((s) => [s.id, 'succeeded']));
    const arn = 'arn:aws:eks:eu-west-1:123456789012:cluster/payments-prod';
    expect(records[0]!.outputs).toMatchObject({ cluster: arn, name: 'payments-prod', state: 'creating' });
    // Each wait saw the thing still being made before it was active.
    expect(polls()).toBe(3);
    expect(
      sandbox
        .services!.requests.filter((r) => r.service === 'eks' && !/^(List|Describe)/.test(r.action))
        .map((r) => r.action),
    ).toEqual([
      'CreateCluster',
      'CreateNodegroup',
      'CreateAccessEntry',
      'AssociateAccessPolicy',
      'CreateAccessEntry',
      'AssociateAccessPolicy',
      'CreateAddon',
    ]);

    // What the provider lists now: the cluster priced, its access, its nodes and its add-on.
    const rows = await eksRows();
    const cluster = rows.find((r) => r.type === 'cluster')!;
    expect(cluster).toMatchObject({
      id: arn,
      name: 'payments-prod',
      region: 'eu-west-1',
      state: 'active',
      environment: 'prod',
      monthlyCostCents: 7_300,
      attributes: expect.objectContaining({
        kind: 'eks',
        version: '1.34',
        vpcId: vpc.id,
        authenticationMode: 'API',
        controlPlaneLogs: ['audit', 'authenticator'],
        endpoint: expect.stringMatching(/^https:\/\/[0-9A-F]{32}\.gr7\.eu-west-1\.eks\.amazonaws\.com$/),
      }),
    });
    expect(cluster.attributes.accessEntries).toEqual([
      {
        principalArn: admin,
        type: 'STANDARD',
        username: 'arn:aws:sts::123456789012:assumed-role/platform-admins/{{SessionName}}',
        kubernetesGroups: [],
        policies: [{ policy: 'AmazonEKSClusterAdminPolicy', scope: 'cluster', namespaces: [] }],
      },
      {
        principalArn: readonly,
        type: 'STANDARD',
        username: 'arn:aws:sts::123456789012:assumed-role/developers-readonly/{{SessionName}}',
        kubernetesGroups: [],
        policies: [{ policy: 'AmazonEKSViewPolicy', scope: 'cluster', namespaces: [] }],
      },
    ]);
    const nodes = rows.find((r) => r.type === 'node_group')!;
    expect(nodes).toMatchObject({
      name: 'payments-prod-nodes',
      state: 'active',
      monthlyCostCents: 0,
      attributes: expect.objectContaining({
        clusterArn: arn,
        instanceTypes: ['m5.large'],
        scaling: { min: 2, desired: 3, max: 8 },
        capacityType: 'ON_DEMAND',
        autoScalingGroups: [expect.stringMatching(/^eks-payments-prod-nodes-/)],
      }),
    });
    expect(nodes.tags).toMatchObject({
      'k8s.io/cluster-autoscaler/enabled': 'true',
      'k8s.io/cluster-autoscaler/payments-prod': 'owned',
    });
    expect(rows.find((r) => r.type === 'addon')).toMatchObject({
      name: 'vpc-cni',
      state: 'active',
      attributes: expect.objectContaining({
        networkPolicy: true,
        configurationValues: '{"enableNetworkPolicy":"true"}',
      }),
    });
    // And one by one, as a wait reads them.
    expect(
      await aws.describe({ provider: 'aws', account: '123456789012', region: 'eu-west-1', type: 'cluster', id: arn }),
    ).toMatchObject({
      state: 'active',
    });
    expect(
      await aws.describe({
        provider: 'aws',
        account: '123456789012',
        region: 'eu-west-1',
        type: 'cluster',
        id: `${arn}-gone`,
      }),
    ).toBeNull();
  });

  it('deletes everything it made, in reverse, when a step fails half way (the add-on refused)', async () => {
    const plan = await planWorkflow(planDeps, template, inputs);
    sandbox.services!.failNext('eks', 'CreateAddon', {
      code: 'InvalidParameterException',
      message: 'Addon vpc-cni specified is not supported in 1.34 cluster version',
    });
    const { deps, records } = runDeps();
    const out = await runWorkflow(deps, plan);
    expect(out.status).toBe('failed');
    expect(out.error).toBe(
      'AWS rejected the request for installing the add-on arn:aws:eks:eu-west-1:123456789012:cluster/payments-prod in eu-west-1: Addon vpc-cni specified is not supported in 1.34 cluster version',
    );
    expect(records.map((r) => [r.id, r.status])).toEqual([
      ['cluster', 'succeeded'],
      ['cluster_active', 'succeeded'],
      ['nodes', 'succeeded'],
      ['nodes_active', 'succeeded'],
      ['admin_entry', 'succeeded'],
      ['admin_policy', 'succeeded'],
      ['readonly_entry', 'succeeded'],
      ['readonly_policy', 'succeeded'],
      ['network_policies', 'failed'],
      ['readonly_policy', 'compensated'],
      ['readonly_entry', 'compensated'],
      ['admin_policy', 'compensated'],
      ['admin_entry', 'compensated'],
      ['nodes', 'compensated'],
      ['cluster', 'compensated'],
    ]);
    // A refusal is final: one attempt.
    expect(records[8]!.attempts).toBe(1);
    expect(out.summary.split('\n').slice(1)).toEqual([
      `- Give it view on every namespace: undone (${readonly} no longer has AmazonEKSViewPolicy on payments-prod)`,
      `- Let the read-only group into the cluster: undone (${readonly} can no longer reach payments-prod)`,
      `- Make it cluster admin: undone (${admin} no longer has AmazonEKSClusterAdminPolicy on payments-prod)`,
      `- Let the admin principal into the cluster: undone (${admin} can no longer reach payments-prod)`,
      '- Create the node group (autoscaling between min and max): undone (node group payments-prod-nodes of payments-prod deleted)',
      '- Create the EKS control plane: undone (EKS cluster payments-prod deleted)',
    ]);
    // Gone from EKS, and so from what the provider lists.
    expect(await eksRows()).toEqual([]);
    expect(eks()).toMatchObject({ clusters: [], nodegroups: [], accessEntries: [], addons: [] });
  });
});

describe('the EKS actions, on the sandbox EKS', () => {
  const onVpc = () => ({
    provider: 'aws' as const,
    account: '123456789012',
    region: 'eu-west-1',
    type: 'vpc' as const,
    id: vpc.id,
  });
  const create = (params: Record<string, string>) =>
    aws.execute({
      action: 'create_eks_cluster',
      target: onVpc(),
      params: {
        name: 'c1',
        version: '1.34',
        subnetIds: inputs.subnet_ids!,
        roleArn: 'arn:aws:iam::123456789012:role/eks-cluster',
        ...params,
      },
    });

  it("answers with EKS's own errors: an unknown subnet, a name taken, a node group on a cluster not active yet", async () => {
    const subnet = await rejectedAppError(create({ subnetIds: 'subnet-0123456789abcdef0,subnet-0123456789abcdef1' }));
    expect(subnet).toMatchObject({ code: 'bad_request' });
    expect(subnet.userMessage).toContain("The subnet ID 'subnet-0123456789abcdef0' does not exist");
    const oneZone = await rejectedAppError(
      create({ subnetIds: `${inputs.subnet_ids!.split(',')[0]},${inputs.subnet_ids!.split(',')[0]}` }),
    );
    expect(oneZone.userMessage).toContain('Subnets specified must be in at least two different AZs');
    const made = await create({});
    expect(made).toMatchObject({
      newState: 'creating',
      outputs: { cluster: 'arn:aws:eks:eu-west-1:123456789012:cluster/c1' },
    });
    const taken = await rejectedAppError(create({}));
    expect(taken).toMatchObject({ code: 'conflict' });
    expect(taken.userMessage).toContain('Cluster already exists with name: c1');
    const early = await rejectedAppError(
      aws.execute({
        action: 'create_nodegroup',
        target: { ...onVpc(), type: 'cluster', id: made.outputs!.cluster! },
        params: {
          name: 'n1',
          instanceType: 'm5.large',
          minSize: '1',
          desiredSize: '1',
          maxSize: '2',
          nodeRoleArn: 'arn:aws:iam::123456789012:role/eks-nodes',
          subnetIds: inputs.subnet_ids!,
        },
      }),
    );
    expect(early).toMatchObject({ code: 'conflict' });
    expect(early.userMessage).toContain("Cluster 'c1' is not in ACTIVE status");
    // Scaling bounds that do not hold are refused before EKS is asked.
    const bounds = await rejectedAppError(
      aws.execute({
        action: 'create_nodegroup',
        target: { ...onVpc(), type: 'cluster', id: made.outputs!.cluster! },
        params: {
          name: 'n1',
          instanceType: 'm5.large',
          minSize: '3',
          desiredSize: '2',
          maxSize: '4',
          nodeRoleArn: 'arn:aws:iam::123456789012:role/eks-nodes',
          subnetIds: inputs.subnet_ids!,
        },
      }),
    );
    expect(bounds.userMessage).toContain('minSize ≤ desiredSize ≤ maxSize (got 3, 2, 4)');
  });
});
