import type { Role } from '../../chat/actor.ts';
import { ResourceType, type ProviderName } from '../../cloud/resource.ts';
import type { CostReportGrouping } from '../../cloud/resource.ts';
import type { ChangeFilter } from '../../changes/model.ts';
import type { ListType } from './command.ts';

/**
 * The words the grammar accepts beyond the canonical ones: synonyms people actually type. Keep
 * these maps small and unambiguous; every key is also a typo-correction target.
 */

/** Leading phrases rewritten before parsing (`who am i` → `whoami`, `my changes` → `changes mine`). */
export const ALIASES: ReadonlyArray<readonly [readonly string[], readonly string[]]> = [
  [['who', 'am', 'i'], ['whoami']],
  [['roll', 'back'], ['rollback']],
  [['undo'], ['rollback']],
  [
    ['my', 'changes'],
    ['changes', 'mine'],
  ],
  [
    ['pending', 'changes'],
    ['changes', 'pending'],
  ],
  [['pending'], ['changes', 'pending']],
  [['change', 'requests'], ['changes']],
  [
    ['verify', 'audit'],
    ['audit', 'verify'],
  ],
  [['power', 'on'], ['start']],
  [['power', 'off'], ['stop']],
  [['list', 'freezes'], ['freezes']],
  [['show', 'freezes'], ['freezes']],
  [['list', 'grants'], ['grants']],
  [['show', 'grants'], ['grants']],
  [['ls'], ['list']],
  [['cost'], ['costs']],
  [['describe'], ['show']],
  [['restart'], ['reboot']],
  [['deny'], ['reject']],
  [['decline'], ['reject']],
  [['?'], ['help']],
  [['commands'], ['help']],
  [['acknowledge'], ['ack']],
];

/** Words for what `list` lists; `security group(s)` is also read as two words. */
/** Every resource type by its own name, singular and plural, with `_`, `-` or nothing between words. */
const typeNames = (): Record<string, ListType> => {
  const out: Record<string, ListType> = {};
  for (const type of ResourceType.options) {
    const plural = type.endsWith('y') ? `${type.slice(0, -1)}ies` : type.endsWith('s') ? `${type}es` : `${type}s`;
    for (const word of [type, plural]) for (const sep of ['_', '-', '']) out[word.replace(/_/g, sep)] = type;
  }
  return out;
};

/** Other words people use for the types made and read by templates and scans (`lbs`, `tgs`, `ecs-services`). */
const TYPE_ALIASES: Readonly<Record<string, ListType>> = {
  lbs: 'load_balancer',
  lb: 'load_balancer',
  albs: 'load_balancer',
  alb: 'load_balancer',
  elbs: 'load_balancer',
  elb: 'load_balancer',
  tgs: 'target_group',
  tg: 'target_group',
  zones: 'hosted_zone',
  zone: 'hosted_zone',
  records: 'dns_record',
  record: 'dns_record',
  'ecs-services': 'container_service',
  'ecs-service': 'container_service',
  nodegroups: 'node_group',
  nodegroup: 'node_group',
  configmaps: 'config_map',
  configmap: 'config_map',
  netpols: 'network_policy',
  hpas: 'autoscaler',
  hpa: 'autoscaler',
  pvcs: 'volume_claim',
  pvc: 'volume_claim',
  pvs: 'persistent_volume',
  pv: 'persistent_volume',
  eips: 'ip_address',
  ips: 'ip_address',
  addresses: 'ip_address',
  keys: 'access_key',
  users: 'iam_user',
};

export const TYPE_WORDS: Readonly<Record<string, ListType>> = {
  ...typeNames(),
  ...TYPE_ALIASES,
  instances: 'instance',
  instance: 'instance',
  vms: 'instance',
  vm: 'instance',
  servers: 'instance',
  server: 'instance',
  ec2: 'instance',
  volumes: 'volume',
  volume: 'volume',
  disks: 'volume',
  disk: 'volume',
  ebs: 'volume',
  snapshots: 'snapshot',
  snapshot: 'snapshot',
  snaps: 'snapshot',
  snap: 'snapshot',
  sgs: 'security_group',
  sg: 'security_group',
  securitygroups: 'security_group',
  securitygroup: 'security_group',
  'security-groups': 'security_group',
  'security-group': 'security_group',
  security_groups: 'security_group',
  security_group: 'security_group',
  firewalls: 'security_group',
  firewall: 'security_group',
  deployments: 'deployment',
  deployment: 'deployment',
  nodes: 'node',
  node: 'node',
  buckets: 'bucket',
  bucket: 'bucket',
  databases: 'database',
  database: 'database',
  dbs: 'database',
  db: 'database',
  resources: 'all',
  resource: 'all',
  all: 'all',
  everything: 'all',
  inventory: 'all',
};

/** Plural type words: `show instances` means `list instances`, while `show web-1` shows one resource. */
export const PLURAL_TYPE_WORDS: ReadonlySet<string> = new Set([
  ...Object.keys(typeNames()).filter((w) => /(s|es|ies)$/.test(w) && !ResourceType.options.includes(w as ResourceType)),
  ...Object.keys(TYPE_ALIASES).filter((w) => w.endsWith('s')),
  'instances',
  'vms',
  'servers',
  'volumes',
  'disks',
  'snapshots',
  'snaps',
  'sgs',
  'securitygroups',
  'security-groups',
  'security_groups',
  'firewalls',
  'deployments',
  'nodes',
  'buckets',
  'databases',
  'dbs',
  'resources',
  'everything',
  'inventory',
  'all',
]);

export const PROVIDER_WORDS: Readonly<Record<string, ProviderName>> = {
  aws: 'aws',
  amazon: 'aws',
  azure: 'azure',
  gcp: 'gcp',
  google: 'gcp',
  gce: 'gcp',
  kubernetes: 'kubernetes',
  k8s: 'kubernetes',
  kube: 'kubernetes',
};

/** Environment names common enough to read bare (`list prod`) even without a type word. */
export const KNOWN_ENVIRONMENTS: ReadonlySet<string> = new Set([
  'prod',
  'production',
  'staging',
  'stage',
  'dev',
  'development',
  'test',
  'testing',
  'qa',
  'uat',
  'preprod',
  'sandbox',
  'demo',
  'unknown',
]);

export const GROUPING_WORDS: Readonly<Record<string, CostReportGrouping>> = {
  service: 'service',
  services: 'service',
  type: 'service',
  types: 'service',
  env: 'environment',
  envs: 'environment',
  environment: 'environment',
  environments: 'environment',
  stage: 'environment',
  provider: 'provider',
  providers: 'provider',
  cloud: 'provider',
  clouds: 'provider',
};

export const ROLE_WORDS: Readonly<Record<string, Role>> = {
  viewer: 'viewer',
  readonly: 'viewer',
  'read-only': 'viewer',
  operator: 'operator',
  approver: 'approver',
  admin: 'admin',
  administrator: 'admin',
};

/** Change-list filters. */
export const CHANGE_FILTER_WORDS = {
  all: 'all',
  pending: 'pending',
  open: 'pending',
  mine: 'mine',
  my: 'mine',
  me: 'mine',
} as const satisfies Record<string, ChangeFilter>;

/** Type nouns allowed before a resource (`stop instance web-1`): read as filler, not as the name. */
export const RESOURCE_NOUNS: ReadonlySet<string> = new Set([
  'instance',
  'vm',
  'server',
  'volume',
  'disk',
  'snapshot',
  'snap',
  'sg',
  'deployment',
  'node',
  'bucket',
  'database',
  'db',
  'resource',
]);

/** Key names of `key=value` filters in `list`. */
export const ENV_KEYS: ReadonlySet<string> = new Set(['env', 'environment', 'stage']);
export const PROVIDER_KEYS: ReadonlySet<string> = new Set(['provider', 'cloud']);
export const TYPE_KEYS: ReadonlySet<string> = new Set(['type', 'kind']);

/** Own-property lookup: `TYPE_WORDS['constructor']` must not find Object.prototype. */
export const lookup = <V>(map: Readonly<Record<string, V>>, key: string): V | undefined =>
  Object.hasOwn(map, key) ? map[key] : undefined;
