import { dateAttr, daysBetween, fail, manual, pass, type Rule } from '../rule.ts';

/**
 * GCP security rules over what the inventory lists of a project (src/cloud/gcp/README.md): one
 * row per VPC firewall rule, buckets with their public grants, service-account keys. Project IAM
 * bindings are not listed, so "no admin service accounts" cannot be judged here.
 */

interface IngressEntry {
  protocol: string;
  fromPort: number;
  toPort: number;
  cidrs: string[];
}

const adminPorts = [
  { port: 22, service: 'SSH' },
  { port: 3389, service: 'RDP' },
] as const;

const worldCidrs = new Set(['0.0.0.0/0', '::/0']);
const world = (cidrs: readonly string[]) => cidrs.some((c) => worldCidrs.has(c));
// Firewall rules may name the protocol by number (6 = TCP).
const tcp = new Set(['tcp', '6', 'all']);
const covers = (e: IngressEntry, port: number) => tcp.has(e.protocol) && e.fromPort <= port && port <= e.toPort;

/**
 * Only the rule's own allowed entries are judged. A Deny rule of a higher priority could shadow it
 * for some targets, but the inventory keeps neither the denied ports nor which instances each
 * rule targets, so shadowing cannot be told (as Prowler and ScoutSuite also judge each rule alone).
 */
const firewallAdminPorts: Rule = {
  id: 'gcp.fw.admin_ports',
  title: 'Firewall rules do not open SSH or RDP to the Internet',
  category: 'security',
  provider: 'gcp',
  types: ['security_group'],
  severity: 'critical',
  remediation:
    'Remove 0.0.0.0/0 from the rule\'s source ranges for ports 22 and 3389 (or delete the rule, e.g. "default-allow-ssh"); reach VMs through IAP TCP forwarding or a bastion from known ranges.',
  fix: { action: 'revoke_ingress', title: 'Remove the Internet-wide SSH/RDP access' },
  evaluate(resource) {
    const ingress = Array.isArray(resource.attributes.ingress) ? (resource.attributes.ingress as IngressEntry[]) : [];
    const open = adminPorts.filter(({ port }) => ingress.some((e) => world(e.cidrs) && covers(e, port)));
    const { sourceRanges, targetTags, direction, action, disabled } = resource.attributes;
    const evidence = {
      openAdminPorts: open.map((o) => o.port),
      sourceRanges,
      allowed: ingress,
      targetTags,
      direction,
      action,
      disabled,
    };
    if (!open.length) return pass(evidence);
    const targets =
      Array.isArray(targetTags) && targetTags.length
        ? `instances tagged ${targetTags.join(', ')}`
        : 'every instance of its network';
    const cidrs = [...new Set(ingress.flatMap((e) => e.cidrs.filter((c) => worldCidrs.has(c))))];
    return fail(
      evidence,
      `Firewall rule ${resource.name} lets the whole Internet reach ${open.map((o) => o.service).join(' and ')} on ${targets}.`,
      { fixParams: { rules: resource.name, ports: open.map((o) => o.port).join(','), cidrs: cidrs.join(',') } },
    );
  },
};

const bucketPublic: Rule = {
  id: 'gcp.gcs.public',
  title: 'Cloud Storage buckets are not public',
  category: 'security',
  provider: 'gcp',
  types: ['bucket'],
  severity: 'high',
  remediation:
    "Remove allUsers and allAuthenticatedUsers from the bucket's IAM policy and enforce public access prevention; serve public content through a load balancer or signed URLs instead.",
  fix: { action: 'block_public_access', title: 'Enforce public access prevention' },
  evaluate(resource) {
    const { public: isPublic, publicGrants, publicAccessPrevention } = resource.attributes;
    const evidence = { public: isPublic, publicGrants, publicAccessPrevention };
    if (isPublic === false) return pass(evidence);
    if (isPublic !== true)
      return manual(
        evidence,
        `The inventory did not read the IAM policy of bucket ${resource.name}; check its permissions.`,
      );
    const grants = Array.isArray(publicGrants) && publicGrants.length ? ` (${publicGrants.join('; ')})` : '';
    return fail(evidence, `Bucket ${resource.name} grants access to anyone on the Internet${grants}.`, {
      fixParams: { publicAccessPrevention: 'enforced' },
    });
  },
};

const serviceAccountKeys: Rule = {
  id: 'gcp.iam.sa_keys',
  title: 'Service-account keys are Google-managed or rotated',
  category: 'security',
  provider: 'gcp',
  types: ['access_key'],
  severity: 'medium',
  remediation:
    'Replace user-managed service-account keys with workload identity (attached service accounts, Workload Identity Federation); where a key must stay, create a new one, move its users over and delete the old key.',
  thresholds: {
    maxAgeDays: {
      env: 'SCAN_SA_KEY_MAX_AGE_DAYS',
      default: 90,
      unit: 'days',
      description: 'Age after which an enabled user-managed GCP service-account key must be rotated',
      min: 1,
      max: 730,
    },
  },
  fix: { action: 'disable_key', title: 'Disable the key' },
  evaluate(resource, ctx) {
    const { serviceAccount, keyType, userManaged, createdAt, expiresAt } = resource.attributes;
    const maxAgeDays = ctx.threshold('maxAgeDays');
    const created = dateAttr(createdAt);
    const ageDays = created ? daysBetween(created, ctx.now) : null;
    const evidence = { serviceAccount, keyType, state: resource.state, createdAt, expiresAt, ageDays, maxAgeDays };
    // Google rotates its own keys; a disabled or expired key authenticates nothing.
    if (userManaged !== true) return pass(evidence);
    if (resource.state !== 'active') return pass(evidence);
    const expires = dateAttr(expiresAt);
    if (expires && expires <= ctx.now) return pass(evidence);
    if (ageDays === null)
      return manual(
        evidence,
        `Google did not report when user-managed key ${resource.name} was created; check its age.`,
      );
    if (ageDays <= maxAgeDays) return pass(evidence);
    return fail(
      evidence,
      `User-managed key of ${String(serviceAccount)} is ${ageDays} days old (rotate within ${maxAgeDays}).`,
      { fixParams: { serviceAccount: String(serviceAccount), keyId: String(resource.attributes.keyId ?? '') } },
    );
  },
};

export const gcpRules: readonly Rule[] = [firewallAdminPorts, bucketPublic, serviceAccountKeys];
