import { describe, expect, it } from '@jest/globals';
import type { V1ClusterRoleBinding, V1Container, V1Pod, V1PolicyRule } from '@kubernetes/client-node';
import type { SecurityRule } from '@azure/arm-network';
import type { StorageAccount } from '@azure/arm-storage';
import { nsgResource, storageAccountResource } from '../../src/cloud/azure/normalize.ts';
import { accessKeyResource, bucketResource, firewallResource } from '../../src/cloud/gcp/normalize.ts';
import { normalizePod, normalizeRole, normalizeRoleBinding } from '../../src/cloud/kubernetes/normalize.ts';
import type { ProviderName, Resource } from '../../src/cloud/resource.ts';
import { RuleIdPattern, ThresholdEnvPattern, type Rule } from '../../src/scans/rule.ts';
import { azureRules } from '../../src/scans/rules/azure.ts';
import { gcpRules } from '../../src/scans/rules/gcp.ts';
import { kubernetesRules } from '../../src/scans/rules/kubernetes.ts';
import { judge, resourceOf, scanNow } from '../helpers/scan-rule.ts';

const ruleOf = (rules: readonly Rule[], id: string): Rule => {
  const rule = rules.find((r) => r.id === id);
  if (!rule) throw new Error(`no rule ${id}`);
  return rule;
};

describe('the Azure, GCP and Kubernetes rule sets', () => {
  const sets: Array<[ProviderName, readonly Rule[]]> = [
    ['azure', azureRules],
    ['gcp', gcpRules],
    ['kubernetes', kubernetesRules],
  ];
  const all = sets.flatMap(([, rules]) => rules);

  it('hold the rows of the rule table, each for its own file’s provider, as security rules', () => {
    expect(all.map((r) => r.id).sort()).toEqual([
      'az.entra.mfa',
      'az.nsg.admin_ports',
      'az.storage.secure',
      'gcp.fw.admin_ports',
      'gcp.gcs.public',
      'gcp.iam.sa_keys',
      'k8s.pod.privileged',
      'k8s.rbac.wildcards',
    ]);
    for (const [provider, rules] of sets)
      for (const r of rules) {
        expect(r.provider).toBe(provider);
        expect(r.category).toBe('security');
        expect(r.types.length).toBeGreaterThan(0);
        expect(r.remediation.length).toBeGreaterThan(20);
      }
  });

  it('use unique, well-formed ids and threshold variables whose defaults lie within their bounds', () => {
    const ids = all.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(RuleIdPattern);
    const thresholds = all.flatMap((r) => Object.values(r.thresholds ?? {}));
    expect(thresholds.map((t) => t.env).sort()).toEqual(['SCAN_AZURE_STORAGE_MIN_TLS', 'SCAN_SA_KEY_MAX_AGE_DAYS']);
    expect(new Set(thresholds.map((t) => t.env)).size).toBe(thresholds.length);
    for (const t of thresholds) {
      expect(t.env).toMatch(ThresholdEnvPattern);
      expect(t.env).toMatch(/^SCAN_(AZURE|GCP|K8S|SA_KEY)_/);
      expect(t.min).toBeDefined();
      expect(t.max).toBeDefined();
      expect(t.default).toBeGreaterThanOrEqual(t.min!);
      expect(t.default).toBeLessThanOrEqual(t.max!);
      expect(t.unit).not.toBe('');
      expect(t.description).not.toBe('');
    }
  });
});

// ---- Azure

const sub = '11111111-1111-4111-8111-111111111111';
const azCtx = { subscriptionId: sub, seenAt: scanNow, sandbox: false };
const armId = (type: string, name: string) => `/subscriptions/${sub}/resourceGroups/rg-app/providers/${type}/${name}`;
const nsgRule = (r: Partial<SecurityRule>): SecurityRule => ({
  name: 'r',
  priority: 100,
  direction: 'Inbound',
  access: 'Allow',
  protocol: 'Tcp',
  sourceAddressPrefix: '*',
  destinationPortRange: '22',
  ...r,
});
const nsg = (...securityRules: SecurityRule[]) =>
  nsgResource({ id: armId('Microsoft.Network/networkSecurityGroups', 'nsg-1'), name: 'nsg-1', securityRules }, azCtx);

describe('az.nsg.admin_ports', () => {
  const rule = ruleOf(azureRules, 'az.nsg.admin_ports');

  it('fails an NSG that allows SSH and RDP from the Internet, naming the rules to revoke', () => {
    const r = judge(
      rule,
      nsg(
        nsgRule({ name: 'allow-ssh', priority: 100, sourceAddressPrefix: 'Internet' }),
        nsgRule({ name: 'allow-rdp', priority: 110, destinationPortRange: '3389' }),
      ),
    );
    expect(r.verdict).toBe('fail');
    expect(r.detail).toBe('nsg-1 lets the whole Internet reach SSH and RDP (rules allow-ssh, allow-rdp).');
    expect(r.evidence.openAdminPorts).toEqual([
      { port: 22, service: 'SSH', rule: 'allow-ssh', priority: 100, cidrs: ['0.0.0.0/0'] },
      { port: 3389, service: 'RDP', rule: 'allow-rdp', priority: 110, cidrs: ['0.0.0.0/0'] },
    ]);
    expect(r.fixParams).toEqual({ rules: 'allow-ssh,allow-rdp', ports: '22,3389', cidrs: '0.0.0.0/0' });
    expect(rule.fix?.action).toBe('revoke_ingress');
  });

  it('counts port ranges, any-protocol rules and IPv6-wide sources as open', () => {
    const range = judge(rule, nsg(nsgRule({ name: 'mgmt', destinationPortRange: '20-25' })));
    expect(range).toMatchObject({ verdict: 'fail', fixParams: { rules: 'mgmt', ports: '22' } });
    expect(range.detail).toBe('nsg-1 lets the whole Internet reach SSH (rule mgmt).');
    const any = judge(rule, nsg(nsgRule({ name: 'all', protocol: '*', destinationPortRange: '443' })));
    expect(any).toMatchObject({ verdict: 'fail', fixParams: { rules: 'all', ports: '22,3389' } });
    const v6 = judge(rule, nsg(nsgRule({ name: 'v6', sourceAddressPrefix: '::/0' })));
    expect(v6).toMatchObject({ verdict: 'fail', fixParams: { cidrs: '::/0' } });
  });

  it('passes rules limited to known sources, other ports, UDP or outbound traffic', () => {
    const r = judge(
      rule,
      nsg(
        nsgRule({ name: 'office', sourceAddressPrefix: '203.0.113.0/24' }),
        nsgRule({ name: 'vnet', sourceAddressPrefix: 'VirtualNetwork', destinationPortRange: '3389' }),
        nsgRule({ name: 'web', destinationPortRange: '443' }),
        nsgRule({ name: 'dns', protocol: 'Udp', destinationPortRange: '22' }),
        nsgRule({ name: 'out', direction: 'Outbound' }),
      ),
    );
    expect(r).toEqual({ verdict: 'pass', evidence: { openAdminPorts: [], shadowedByDeny: [] } });
  });

  it('lets an Internet-wide Deny with a lower priority number override the Allow', () => {
    const r = judge(
      rule,
      nsg(
        nsgRule({ name: 'deny-ssh', priority: 100, access: 'Deny', destinationPortRange: '22' }),
        nsgRule({ name: 'allow-ssh', priority: 200 }),
      ),
    );
    expect(r.verdict).toBe('pass');
    expect(r.evidence.shadowedByDeny).toEqual([{ port: 22, rule: 'allow-ssh', deniedBy: 'deny-ssh' }]);
  });

  it('does not count a Deny evaluated after the Allow, for other sources, or for other ports', () => {
    const later = judge(
      rule,
      nsg(nsgRule({ name: 'allow-ssh', priority: 100 }), nsgRule({ name: 'deny', priority: 200, access: 'Deny' })),
    );
    expect(later).toMatchObject({ verdict: 'fail', evidence: { shadowedByDeny: [] } });
    const partial = judge(
      rule,
      nsg(
        nsgRule({ name: 'deny-one', priority: 100, access: 'Deny', sourceAddressPrefix: '198.51.100.0/24' }),
        nsgRule({ name: 'allow-ssh', priority: 200 }),
      ),
    );
    expect(partial.verdict).toBe('fail');
    const otherPort = judge(
      rule,
      nsg(
        nsgRule({ name: 'deny-rdp', priority: 100, access: 'Deny', destinationPortRange: '3389' }),
        nsgRule({ name: 'allow-both', priority: 200, destinationPortRanges: ['22', '3389'], destinationPortRange: '' }),
      ),
    );
    expect(otherPort).toMatchObject({
      verdict: 'fail',
      fixParams: { rules: 'allow-both', ports: '22' },
      evidence: { shadowedByDeny: [{ port: 3389, rule: 'allow-both', deniedBy: 'deny-rdp' }] },
    });
  });
});

const account = (over: Partial<StorageAccount>) =>
  storageAccountResource(
    {
      id: armId('Microsoft.Storage/storageAccounts', 'st1'),
      name: 'st1',
      location: 'eastus',
      enableHttpsTrafficOnly: true,
      minimumTlsVersion: 'TLS1_2',
      allowBlobPublicAccess: false,
      ...over,
    },
    azCtx,
  );

describe('az.storage.secure', () => {
  const rule = ruleOf(azureRules, 'az.storage.secure');

  it('passes an account that requires HTTPS and TLS 1.2 and blocks anonymous access', () => {
    expect(judge(rule, account({}))).toEqual({
      verdict: 'pass',
      evidence: { httpsOnly: true, minimumTlsVersion: 'TLS1_2', allowBlobPublicAccess: false, requiredMinTls: 1.2 },
    });
  });

  it('fails each weakness, with the settings that fix it', () => {
    const r = judge(
      rule,
      account({ enableHttpsTrafficOnly: false, minimumTlsVersion: 'TLS1_0', allowBlobPublicAccess: true }),
    );
    expect(r.verdict).toBe('fail');
    expect(r.detail).toBe('st1 accepts plain HTTP, accepts TLS 1.0 (TLS1_0), allows anonymous blob access.');
    expect(r.evidence).toEqual({
      httpsOnly: false,
      minimumTlsVersion: 'TLS1_0',
      allowBlobPublicAccess: true,
      requiredMinTls: 1.2,
    });
    expect(r.fixParams).toEqual({ httpsOnly: 'true', minimumTlsVersion: 'TLS1_2', allowBlobPublicAccess: 'false' });
    expect(judge(rule, account({ allowBlobPublicAccess: true })).fixParams).toEqual({ allowBlobPublicAccess: 'false' });
  });

  it('treats an unset minimum TLS version as TLS 1.0, as Azure does', () => {
    const r = judge(rule, account({ minimumTlsVersion: undefined }));
    expect(r).toMatchObject({ verdict: 'fail', fixParams: { minimumTlsVersion: 'TLS1_2' } });
    expect(r.detail).toContain('no minimum set');
  });

  it('honours the minimum TLS threshold', () => {
    expect(judge(rule, account({ minimumTlsVersion: 'TLS1_1' }), { thresholds: { minTls: 1.1 } }).verdict).toBe('pass');
    const strict = judge(rule, account({}), { thresholds: { minTls: 1.3 } });
    expect(strict).toMatchObject({ verdict: 'fail', fixParams: { minimumTlsVersion: 'TLS1_3' } });
    expect(strict.evidence.requiredMinTls).toBe(1.3);
  });

  it('asks a person when Azure did not report a setting', () => {
    const r = judge(rule, account({ allowBlobPublicAccess: undefined }));
    expect(r.verdict).toBe('manual');
    expect(r.detail).toContain('whether anonymous blob access is allowed');
    const odd = judge(
      rule,
      resourceOf({
        provider: 'azure',
        type: 'storage_account',
        attributes: { httpsOnly: true, minimumTlsVersion: 'SSL3', allowBlobPublicAccess: false },
      }),
    );
    expect(odd.verdict).toBe('manual');
    // A known weakness outranks an unknown setting.
    expect(judge(rule, account({ enableHttpsTrafficOnly: false, allowBlobPublicAccess: undefined })).verdict).toBe(
      'fail',
    );
  });
});

describe('az.entra.mfa', () => {
  const rule = ruleOf(azureRules, 'az.entra.mfa');

  it('asks a person, naming what the inventory does not collect', () => {
    const r = judge(rule, resourceOf({ provider: 'azure', type: 'iam_user', name: 'ada@contoso.com' }));
    expect(r.verdict).toBe('manual');
    expect(r.evidence).toEqual({ user: 'ada@contoso.com', mfaRegistration: null });
    expect(r.detail).toContain('does not collect Entra ID users');
  });
});

// ---- GCP

const gcpCtx = { project: 'acme-prod', seenAt: scanNow, sandbox: false };

describe('gcp.fw.admin_ports', () => {
  const rule = ruleOf(gcpRules, 'gcp.fw.admin_ports');
  const firewall = (over: Record<string, unknown>) =>
    firewallResource(
      {
        name: 'default-allow-ssh',
        direction: 'INGRESS',
        priority: 65534,
        network: 'https://www.googleapis.com/compute/v1/projects/acme-prod/global/networks/default',
        sourceRanges: ['0.0.0.0/0'],
        allowed: [{ IPProtocol: 'tcp', ports: ['22'] }],
        ...over,
      },
      gcpCtx,
    );

  it('fails a rule that opens SSH to the Internet, naming the rule to revoke', () => {
    const r = judge(rule, firewall({}));
    expect(r.verdict).toBe('fail');
    expect(r.detail).toBe(
      'Firewall rule default-allow-ssh lets the whole Internet reach SSH on every instance of its network.',
    );
    expect(r.evidence).toMatchObject({
      openAdminPorts: [22],
      sourceRanges: ['0.0.0.0/0'],
      allowed: [{ protocol: 'tcp', fromPort: 22, toPort: 22, cidrs: ['0.0.0.0/0'] }],
      direction: 'INGRESS',
      disabled: false,
    });
    expect(r.fixParams).toEqual({ rules: 'default-allow-ssh', ports: '22', cidrs: '0.0.0.0/0' });
    expect(rule.fix?.action).toBe('revoke_ingress');
  });

  it('counts port ranges, rules without ports and every protocol as open', () => {
    const range = judge(
      rule,
      firewall({ name: 'r', allowed: [{ IPProtocol: 'tcp', ports: ['3000-4000'] }], targetTags: ['win'] }),
    );
    expect(range).toMatchObject({ verdict: 'fail', fixParams: { ports: '3389' } });
    expect(range.detail).toContain('instances tagged win');
    expect(judge(rule, firewall({ allowed: [{ IPProtocol: 'tcp' }] })).fixParams?.ports).toBe('22,3389');
    expect(judge(rule, firewall({ allowed: [{ IPProtocol: 'all' }] })).fixParams?.ports).toBe('22,3389');
    const v6 = judge(rule, firewall({ sourceRanges: ['10.0.0.0/8', '::/0'] }));
    expect(v6).toMatchObject({ verdict: 'fail', fixParams: { cidrs: '::/0' } });
  });

  it('passes known sources, other ports, UDP, deny, egress and disabled rules', () => {
    for (const over of [
      { sourceRanges: ['35.235.240.0/20'] },
      { allowed: [{ IPProtocol: 'tcp', ports: ['443'] }] },
      { allowed: [{ IPProtocol: 'udp', ports: ['22'] }] },
      { allowed: undefined, denied: [{ IPProtocol: 'tcp', ports: ['22'] }] },
      { direction: 'EGRESS' },
      { disabled: true },
    ])
      expect(judge(rule, firewall(over)).verdict).toBe('pass');
  });
});

describe('gcp.gcs.public', () => {
  const rule = ruleOf(gcpRules, 'gcp.gcs.public');
  const bucket = (members: string[], publicAccessPrevention?: string) =>
    bucketResource(
      { name: 'assets', location: 'US', iamConfiguration: { publicAccessPrevention } },
      [{ role: 'roles/storage.objectViewer', members }],
      gcpCtx,
    );

  it('fails a bucket readable by allUsers and proposes blocking public access', () => {
    const r = judge(rule, bucket(['allUsers', 'user:ada@acme.com']));
    expect(r).toEqual({
      verdict: 'fail',
      evidence: {
        public: true,
        publicGrants: ['roles/storage.objectViewer: allUsers'],
        publicAccessPrevention: 'inherited',
      },
      detail: 'Bucket assets grants access to anyone on the Internet (roles/storage.objectViewer: allUsers).',
      fixParams: { publicAccessPrevention: 'enforced' },
    });
    expect(rule.fix?.action).toBe('block_public_access');
    expect(judge(rule, bucket(['allAuthenticatedUsers'])).verdict).toBe('fail');
  });

  it('passes a private bucket, and a public grant that enforced prevention blocks', () => {
    expect(judge(rule, bucket(['user:ada@acme.com'])).verdict).toBe('pass');
    const blocked = judge(rule, bucket(['allUsers'], 'enforced'));
    expect(blocked).toMatchObject({ verdict: 'pass', evidence: { public: false, publicAccessPrevention: 'enforced' } });
  });

  it('asks a person when the bucket policy was not read', () => {
    expect(judge(rule, resourceOf({ provider: 'gcp', type: 'bucket' })).verdict).toBe('manual');
  });
});

describe('gcp.iam.sa_keys', () => {
  const rule = ruleOf(gcpRules, 'gcp.iam.sa_keys');
  const sa = 'deployer@acme-prod.iam.gserviceaccount.com';
  const key = (ageDays: number, over: Record<string, unknown> = {}) =>
    accessKeyResource(
      {
        name: `projects/acme-prod/serviceAccounts/${sa}/keys/0123456789abcdef`,
        keyType: 'USER_MANAGED',
        validAfterTime: new Date(scanNow.getTime() - ageDays * 86_400_000).toISOString(),
        validBeforeTime: '9999-12-31T23:59:59Z',
        ...over,
      },
      sa,
      gcpCtx,
    );

  it('fails a user-managed key older than 90 days and proposes disabling it', () => {
    const r = judge(rule, key(91));
    expect(r.verdict).toBe('fail');
    expect(r.detail).toBe(`User-managed key of ${sa} is 91 days old (rotate within 90).`);
    expect(r.evidence).toMatchObject({
      serviceAccount: sa,
      keyType: 'USER_MANAGED',
      state: 'active',
      ageDays: 91,
      maxAgeDays: 90,
      expiresAt: null,
    });
    expect(r.fixParams).toEqual({ serviceAccount: sa, keyId: '0123456789abcdef' });
    expect(rule.fix?.action).toBe('disable_key');
  });

  it('passes a key rotated within the threshold, and honours a configured one', () => {
    expect(judge(rule, key(90)).verdict).toBe('pass');
    expect(judge(rule, key(31), { thresholds: { maxAgeDays: 30 } })).toMatchObject({
      verdict: 'fail',
      evidence: { ageDays: 31, maxAgeDays: 30 },
    });
    expect(judge(rule, key(200), { thresholds: { maxAgeDays: 365 } }).verdict).toBe('pass');
  });

  it('passes Google-managed, disabled and expired keys', () => {
    expect(judge(rule, key(400, { keyType: 'SYSTEM_MANAGED' })).verdict).toBe('pass');
    expect(judge(rule, key(400, { disabled: true })).verdict).toBe('pass');
    expect(judge(rule, key(400, { validBeforeTime: '2026-11-30T00:00:00Z' })).verdict).toBe('pass');
    expect(judge(rule, key(400, { validBeforeTime: '2027-06-01T00:00:00Z' })).verdict).toBe('fail');
  });

  it('asks a person when the creation time is missing', () => {
    const r = judge(rule, key(0, { validAfterTime: undefined }));
    expect(r).toMatchObject({ verdict: 'manual', evidence: { createdAt: null, ageDays: null } });
  });
});

// ---- Kubernetes

const kubeCtx = { context: 'prod-eu', cluster: 'eks-prod', seenAt: scanNow };

describe('k8s.pod.privileged', () => {
  const rule = ruleOf(kubernetesRules, 'k8s.pod.privileged');
  const pod = (containers: V1Container[], podRunAsNonRoot?: boolean): Resource =>
    normalizePod(
      {
        metadata: { name: 'debug-shell', namespace: 'default' },
        spec: {
          containers,
          ...(podRunAsNonRoot === undefined ? {} : { securityContext: { runAsNonRoot: podRunAsNonRoot } }),
        },
        status: { phase: 'Running' },
      } satisfies V1Pod,
      new Map(),
      kubeCtx,
    );

  it('fails a privileged container', () => {
    const r = judge(
      rule,
      pod([{ name: 'sh', image: 'busybox', securityContext: { privileged: true, runAsNonRoot: true } }]),
    );
    expect(r.verdict).toBe('fail');
    expect(r.detail).toBe('Pod debug-shell runs privileged container(s) sh.');
    expect(r.evidence).toEqual({
      privilegedContainers: ['sh'],
      containersNotRequiredNonRoot: [],
      containers: [{ name: 'sh', privileged: true, runAsNonRoot: true }],
    });
  });

  it('fails a container not required to run as non-root, even when unprivileged', () => {
    const r = judge(
      rule,
      pod([
        { name: 'app', image: 'app:1', securityContext: { runAsNonRoot: true } },
        { name: 'sidecar', image: 'proxy:1' },
        { name: 'root', image: 'tool:1', securityContext: { runAsNonRoot: false } },
      ]),
    );
    expect(r).toMatchObject({
      verdict: 'fail',
      detail: 'Pod debug-shell does not require sidecar, root to run as non-root.',
      evidence: { privilegedContainers: [], containersNotRequiredNonRoot: ['sidecar', 'root'] },
    });
  });

  it('passes unprivileged containers required to run as non-root, on the container or the pod', () => {
    expect(judge(rule, pod([{ name: 'app', image: 'app:1', securityContext: { runAsNonRoot: true } }])).verdict).toBe(
      'pass',
    );
    const podLevel = judge(
      rule,
      pod(
        [
          { name: 'a', image: 'a:1' },
          { name: 'b', image: 'b:1' },
        ],
        true,
      ),
    );
    expect(podLevel).toMatchObject({ verdict: 'pass', evidence: { containersNotRequiredNonRoot: [] } });
    // A container's own setting wins over the pod's.
    expect(
      judge(rule, pod([{ name: 'a', image: 'a:1', securityContext: { runAsNonRoot: false } }], true)).verdict,
    ).toBe('fail');
  });

  it('asks a person when no container security context was collected', () => {
    expect(judge(rule, resourceOf({ provider: 'kubernetes', type: 'pod' })).verdict).toBe('manual');
  });
});

describe('k8s.rbac.wildcards', () => {
  const rule = ruleOf(kubernetesRules, 'k8s.rbac.wildcards');
  const role = (
    rules: V1PolicyRule[],
    opts: { cluster?: boolean; labels?: Record<string, string>; name?: string } = {},
  ) =>
    normalizeRole(
      {
        metadata: { name: opts.name ?? 'ops', namespace: opts.cluster ? undefined : 'shop', labels: opts.labels },
        rules,
      },
      opts.cluster ?? false,
      kubeCtx,
    );
  const bootstrap = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };

  it('fails a role granting every verb or every resource', () => {
    const verbs = judge(rule, role([{ apiGroups: [''], resources: ['pods'], verbs: ['*'] }]));
    expect(verbs).toMatchObject({
      verdict: 'fail',
      detail: 'shop/role/ops grants every verb through "*" in 1 rule(s).',
      evidence: {
        scope: 'namespace',
        bootstrap: false,
        wildcardRules: [{ apiGroups: [''], resources: ['pods'], verbs: ['*'] }],
      },
    });
    const resources = judge(rule, role([{ apiGroups: ['apps'], resources: ['*'], verbs: ['get'] }], { cluster: true }));
    expect(resources).toMatchObject({
      verdict: 'fail',
      detail: 'clusterrole/ops grants every resource through "*" in 1 rule(s).',
    });
  });

  it('passes a role naming its verbs and resources, and Kubernetes’ own default roles', () => {
    const narrow = judge(rule, role([{ apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list'] }]));
    expect(narrow).toEqual({ verdict: 'pass', evidence: { scope: 'namespace', bootstrap: false, wildcardRules: [] } });
    const clusterAdmin = role([{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }], {
      cluster: true,
      name: 'cluster-admin',
      labels: bootstrap,
    });
    expect(judge(rule, clusterAdmin)).toMatchObject({ verdict: 'pass', evidence: { bootstrap: true } });
  });

  const binding = (
    name: string,
    roleName: string,
    subjects: V1ClusterRoleBinding['subjects'],
    labels?: Record<string, string>,
  ) =>
    normalizeRoleBinding(
      {
        metadata: { name, labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
        subjects,
      },
      true,
      kubeCtx,
    );

  it('fails a binding of cluster-admin to anyone but the default break-glass group', () => {
    const r = judge(
      rule,
      binding('deployer-admin', 'cluster-admin', [{ kind: 'ServiceAccount', name: 'deployer', namespace: 'ci' }]),
    );
    expect(r).toEqual({
      verdict: 'fail',
      evidence: {
        scope: 'cluster',
        roleRef: { kind: 'ClusterRole', name: 'cluster-admin' },
        subjects: [{ kind: 'ServiceAccount', name: 'deployer', namespace: 'ci' }],
        grantsClusterAdmin: true,
        bootstrap: false,
      },
      detail:
        'clusterrolebinding/deployer-admin grants cluster-admin over the whole cluster to ServiceAccount ci/deployer.',
    });
    const namespaced = normalizeRoleBinding(
      {
        metadata: { name: 'shop-admin', namespace: 'shop' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
        subjects: [{ kind: 'User', name: 'ada' }],
      },
      false,
      kubeCtx,
    );
    expect(judge(rule, namespaced).detail).toBe(
      'shop/rolebinding/shop-admin grants cluster-admin within namespace shop to User ada.',
    );
  });

  it('passes the default cluster-admin binding and bindings of other roles', () => {
    const masters = binding('cluster-admin', 'cluster-admin', [{ kind: 'Group', name: 'system:masters' }], bootstrap);
    expect(judge(rule, masters)).toMatchObject({
      verdict: 'pass',
      evidence: { grantsClusterAdmin: true, bootstrap: true },
    });
    expect(judge(rule, binding('viewers', 'view', [{ kind: 'Group', name: 'devs' }])).verdict).toBe('pass');
  });
});
