import { z } from 'zod';

/** Providers the inventory knows. Each has one CloudProvider implementation. */
export const ProviderName = z.enum(['aws', 'azure', 'gcp', 'kubernetes']);
export type ProviderName = z.infer<typeof ProviderName>;

/**
 * Normalized resource types across clouds. The same word means the same thing on every provider,
 * so a rule or a picker can ask for it without knowing the cloud:
 * - `instance`: EC2 instance / Azure VM / GCE instance; `volume`: EBS / managed disk / persistent disk;
 *   `snapshot`: EBS / Azure / GCE disk snapshot; `ip_address`: Elastic IP / Azure public IP / GCE address;
 * - `security_group`: EC2 security group / Azure NSG / GCE firewall rule (attribute `ingress`, one shape);
 * - `load_balancer`, `nat_gateway`, `database` (RDS instance), `db_snapshot`, `bucket` (S3 / GCS),
 *   `storage_account` (Azure), `iam_user`, `access_key` (IAM key / GCP service-account key),
 *   `account_settings` (one per account: password policy, root MFA), `trail`, `config_recorder`,
 *   `kms_key`, `vpc` (with flow-log status), `log_group`;
 * - Kubernetes: `node`, `namespace`, `deployment`, `pod`, `service`, `persistent_volume`,
 *   `volume_claim`, `role` (Role and ClusterRole), `role_binding` (RoleBinding and ClusterRoleBinding).
 */
export const ResourceType = z.enum([
  'instance',
  'volume',
  'snapshot',
  'ip_address',
  'security_group',
  'load_balancer',
  'nat_gateway',
  'database',
  'db_snapshot',
  'bucket',
  'storage_account',
  'iam_user',
  'access_key',
  'account_settings',
  'trail',
  'config_recorder',
  'kms_key',
  'vpc',
  'log_group',
  'node',
  'namespace',
  'deployment',
  'pod',
  'service',
  'persistent_volume',
  'volume_claim',
  'role',
  'role_binding',
  // What workflow templates make and wait for (issue 16): ECS and EKS clusters and Kubernetes
  // contexts (`cluster`), EKS node groups, ECS services, ALB target groups, Route 53 zones, records
  // and health checks, Kubernetes config maps, network policies and horizontal pod autoscalers, and
  // EKS add-ons (`addon`: vpc-cni, coredns, … installed and upgraded by EKS).
  'cluster',
  'node_group',
  'container_service',
  'target_group',
  'hosted_zone',
  'dns_record',
  'health_check',
  'config_map',
  'network_policy',
  'autoscaler',
  'addon',
]);
export type ResourceType = z.infer<typeof ResourceType>;

/**
 * How the inventory's monthly cost can be grouped: `service` is the `service` tag (what the team
 * calls the app: web, api, db…, untagged resources under `untagged`), `type` the resource type.
 */
export const CostGrouping = z.enum(['service', 'environment', 'provider', 'account', 'type']);
export type CostGrouping = z.infer<typeof CostGrouping>;

/** The groupings the cost report offers people and planners. */
export const CostReportGrouping = CostGrouping.exclude(['type', 'account']);
export type CostReportGrouping = z.infer<typeof CostReportGrouping>;

/** Environment derived from tags (`env`, `environment`, `stage`); `unknown` when untagged. */
export const Environment = z.string().min(1);

/** One normalized inventory item. Money is integer cents per month. */
export const Resource = z.object({
  provider: ProviderName,
  /** AWS account id, Azure subscription, GCP project, Kubernetes cluster. */
  account: z.string(),
  region: z.string(),
  type: ResourceType,
  /** Provider id, unique within provider+account (e.g. `i-0abc…`). */
  id: z.string().min(1),
  name: z.string(),
  /** Normalized lifecycle state: running, stopped, available, in-use, completed, active, … */
  state: z.string(),
  tags: z.record(z.string(), z.string()),
  environment: Environment,
  monthlyCostCents: z.number().int().nonnegative(),
  /** Type-specific details (instanceType, sizeGb, attachedTo, ingress rules…); metrics live in resource_metrics. */
  attributes: z.record(z.string(), z.unknown()),
  seenAt: z.date(),
});
export type Resource = z.infer<typeof Resource>;

const envTagKeys = ['env', 'environment', 'stage'];
/** Reads the environment from tags the way most teams tag it. */
export const environmentFromTags = (tags: Record<string, string>): string => {
  for (const [k, v] of Object.entries(tags)) if (envTagKeys.includes(k.toLowerCase()) && v) return v.toLowerCase();
  return 'unknown';
};
