import { createHash } from 'node:crypto';
import type { SandboxEcs, SandboxEcsService, SandboxTaskDefinition } from './ecs-model.ts';
import type { SandboxLoadBalancer, SandboxTargetGroup } from './model.ts';

/**
 * The seeded ECS estate of the sandbox's main account: a `prod-apps` cluster in us-east-1 running
 * checkout as a blue/green pair of Fargate services (blue live behind `checkout-prod-alb`'s HTTPS
 * listener, green idle at 0 tasks behind its test listener on 8443), and an empty `dev-apps`
 * cluster in eu-west-1. Ids are hashes of names and times offsets from `now`, as in ./fleet.ts.
 */

const hex = (seed: string, length: number): string => createHash('sha256').update(seed).digest('hex').slice(0, length);
const sandboxId = (prefix: string, seed: string): string => `${prefix}-0${hex(`${prefix}:${seed}`, 16)}`;
const day = 86_400_000;
const ago = (now: Date, days: number): Date => new Date(now.getTime() - Math.round(days * day));

const region = 'us-east-1';
const zones = [`${region}a`, `${region}b`];
const subnets = Object.fromEntries(zones.map((z) => [z, sandboxId('subnet', z)]));
const vpcId = sandboxId('vpc', region);
const checkoutPort = 3000;

export interface SeededEcs {
  ecs: SandboxEcs;
  loadBalancers: SandboxLoadBalancer[];
  targetGroups: SandboxTargetGroup[];
}

export const seedEcs = (now: Date, account: string): SeededEcs => {
  const clusterArn = (name: string, r: string) => `arn:aws:ecs:${r}:${account}:cluster/${name}`;
  const lbArn = `arn:aws:elasticloadbalancing:${region}:${account}:loadbalancer/app/checkout-prod-alb/${hex('lb:checkout-prod-alb', 16)}`;
  const tgArn = (name: string) =>
    `arn:aws:elasticloadbalancing:${region}:${account}:targetgroup/${name}/${hex(`tg:${name}`, 16)}`;
  const listener = (port: number) =>
    `${lbArn.replace(':loadbalancer/', ':listener/')}/${hex(`listener:checkout-prod-alb:${port}`, 16)}`;
  const tags = { env: 'prod', team: 'web', service: 'checkout' };

  const taskDef = (revision: number, image: string, registered: number): SandboxTaskDefinition => ({
    arn: `arn:aws:ecs:${region}:${account}:task-definition/checkout:${revision}`,
    family: 'checkout',
    revision,
    region,
    status: 'ACTIVE',
    cpu: '512',
    memory: '1024',
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    containers: [
      {
        name: 'checkout',
        image,
        essential: true,
        portMappings: [{ containerPort: checkoutPort, hostPort: checkoutPort, protocol: 'tcp' }],
        environment: [{ name: 'NODE_ENV', value: 'production' }],
      },
    ],
    registeredAt: ago(now, registered),
    tags: {},
  });
  const older = taskDef(6, 'public.ecr.aws/acme/checkout:1.4.1', 21);
  const current = taskDef(7, 'public.ecr.aws/acme/checkout:1.4.2', 9);

  const service = (
    name: string,
    def: SandboxTaskDefinition,
    group: string,
    ips: string[],
    created: number,
  ): SandboxEcsService => {
    const arn = `arn:aws:ecs:${region}:${account}:service/prod-apps/${name}`;
    const at = ago(now, created);
    return {
      arn,
      name,
      clusterArn: clusterArn('prod-apps', region),
      region,
      status: 'ACTIVE',
      launchType: 'FARGATE',
      desiredCount: ips.length,
      taskDefinitionArn: def.arn,
      loadBalancers: [{ targetGroupArn: tgArn(group), containerName: 'checkout', containerPort: checkoutPort }],
      network: {
        subnets: zones.map((z) => subnets[z]!),
        securityGroups: [sandboxId('sg', `${region}/web-prod`)],
        assignPublicIp: 'DISABLED',
      },
      deployments: [
        {
          id: `ecs-svc/${BigInt(`0x${hex(`deployment:${arn}`, 15)}`)
            .toString()
            .padStart(19, '0')
            .slice(0, 19)}`,
          status: 'PRIMARY',
          taskDefinitionArn: def.arn,
          desiredCount: ips.length,
          tasks: ips.map((ip, i) => ({
            arn: `arn:aws:ecs:${region}:${account}:task/prod-apps/${hex(`task:${name}:${ip}`, 32)}`,
            ip,
            availabilityZone: zones[i % 2]!,
          })),
          phase: 'done',
          rolloutState: 'COMPLETED',
          createdAt: at,
          updatedAt: at,
        },
      ],
      events: [
        { id: hex(`event:${name}`, 8), createdAt: at, message: `(service ${name}) has reached a steady state.` },
      ],
      createdAt: ago(now, 120),
      healthCheckGracePeriodSeconds: 30,
      tags: { ...tags, Name: name },
    };
  };
  const blueIps = ['10.0.1.50', '10.0.2.51'];

  const group = (name: string, targets: string[]): SandboxTargetGroup => ({
    arn: tgArn(name),
    name,
    region,
    protocol: 'HTTP',
    port: checkoutPort,
    vpcId,
    loadBalancerArns: [lbArn],
    targetType: 'ip',
    healthCheckPath: '/healthz',
    tags: { ...tags, Name: name },
    targets: targets.map((id) => ({ id, port: checkoutPort, health: 'healthy' as const })),
  });

  return {
    ecs: {
      clusters: [
        {
          arn: clusterArn('prod-apps', region),
          name: 'prod-apps',
          region,
          status: 'ACTIVE',
          capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
          tags: { Name: 'prod-apps', env: 'prod', team: 'platform' },
        },
        {
          arn: clusterArn('dev-apps', 'eu-west-1'),
          name: 'dev-apps',
          region: 'eu-west-1',
          status: 'ACTIVE',
          capacityProviders: ['FARGATE'],
          tags: { Name: 'dev-apps', env: 'dev', team: 'platform' },
        },
      ],
      taskDefinitions: [older, current],
      services: [
        service('checkout-blue', current, 'checkout-blue-tg', blueIps, 9),
        // Idle: the side the next release deploys to.
        service('checkout-green', older, 'checkout-green-tg', [], 21),
      ],
      imageFaults: [],
      counter: 0,
    },
    loadBalancers: [
      {
        arn: lbArn,
        name: 'checkout-prod-alb',
        region,
        type: 'application',
        scheme: 'internet-facing',
        vpcId,
        createdTime: ago(now, 120),
        availabilityZones: zones,
        subnets,
        securityGroupIds: [sandboxId('sg', `${region}/web-prod`)],
        listeners: [
          // Production traffic, and the test listener the idle side is checked through.
          { arn: listener(443), port: 443, protocol: 'HTTPS', targetGroupArn: tgArn('checkout-blue-tg') },
          { arn: listener(8443), port: 8443, protocol: 'HTTPS', targetGroupArn: tgArn('checkout-green-tg') },
        ],
        tags: { Name: 'checkout-prod-alb', ...tags },
      },
    ],
    targetGroups: [group('checkout-blue-tg', blueIps), group('checkout-green-tg', [])],
  };
};
