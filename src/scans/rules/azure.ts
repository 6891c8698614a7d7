import { fail, manual, pass, type Rule } from '../rule.ts';

/**
 * Azure security rules over what the inventory lists of a subscription (src/cloud/azure/README.md):
 * NSGs with their Allow and Deny inbound rules, storage accounts with their transport and
 * public-access settings. Entra ID users are not listed, so the MFA rule can only ask a person.
 */

/** An inbound NSG entry as `ingressOf` shapes it (both `ingress` and `denyIngress`). */
interface NsgEntry {
  protocol: string;
  fromPort: number;
  toPort: number;
  cidrs: string[];
  name: string | null;
  priority: number | null;
}

const adminPorts = [
  { port: 22, service: 'SSH' },
  { port: 3389, service: 'RDP' },
] as const;

const worldCidrs = new Set(['0.0.0.0/0', '::/0']);
const world = (cidrs: readonly string[]) => cidrs.some((c) => worldCidrs.has(c));
const covers = (e: NsgEntry, port: number) =>
  (e.protocol === 'tcp' || e.protocol === 'all') && e.fromPort <= port && port <= e.toPort;
const entriesOf = (value: unknown): NsgEntry[] => (Array.isArray(value) ? (value as NsgEntry[]) : []);
const ruleName = (e: NsgEntry) => e.name ?? `priority ${e.priority ?? '?'}`;

/**
 * Azure evaluates inbound rules by priority, lowest number first, and stops at the first match:
 * an Allow is dead when a Deny of a lower number covers the same port from the whole Internet.
 * A Deny of only some sources leaves the rest of the Internet allowed, so it does not count.
 */
const shadowingDeny = (allow: NsgEntry, port: number, denies: readonly NsgEntry[]): NsgEntry | undefined =>
  denies.find(
    (d) =>
      d.priority !== null &&
      allow.priority !== null &&
      d.priority < allow.priority &&
      world(d.cidrs) &&
      covers(d, port),
  );

const nsgAdminPorts: Rule = {
  id: 'az.nsg.admin_ports',
  title: 'Network security groups do not open SSH or RDP to the Internet',
  category: 'security',
  provider: 'azure',
  types: ['security_group'],
  severity: 'high',
  remediation:
    'Remove the inbound Allow rules that open port 22 or 3389 from Any/Internet, or narrow their source to known ranges; reach VMs through Azure Bastion, a VPN or just-in-time access instead.',
  fix: { action: 'revoke_ingress', title: 'Remove the Internet-wide SSH/RDP rules' },
  evaluate(resource) {
    const allows = entriesOf(resource.attributes.ingress);
    const denies = entriesOf(resource.attributes.denyIngress);
    const open: Array<{ port: number; service: string; rule: string; priority: number | null; cidrs: string[] }> = [];
    const shadowed: Array<{ port: number; rule: string; deniedBy: string }> = [];
    for (const { port, service } of adminPorts) {
      for (const allow of allows.filter((e) => world(e.cidrs) && covers(e, port))) {
        const deny = shadowingDeny(allow, port, denies);
        if (deny) shadowed.push({ port, rule: ruleName(allow), deniedBy: ruleName(deny) });
        else open.push({ port, service, rule: ruleName(allow), priority: allow.priority, cidrs: allow.cidrs });
      }
    }
    const evidence = { openAdminPorts: open, shadowedByDeny: shadowed };
    if (!open.length) return pass(evidence);
    const rules = [...new Set(open.map((o) => o.rule))];
    const ports = [...new Set(open.map((o) => o.port))];
    const cidrs = [...new Set(open.flatMap((o) => o.cidrs.filter((c) => worldCidrs.has(c))))];
    const services = [...new Set(open.map((o) => o.service))].join(' and ');
    const named = `${rules.length > 1 ? 'rules' : 'rule'} ${rules.join(', ')}`;
    return fail(evidence, `${resource.name} lets the whole Internet reach ${services} (${named}).`, {
      fixParams: { rules: rules.join(','), ports: ports.join(','), cidrs: cidrs.join(',') },
    });
  },
};

/** `TLS1_2` → 1.2; undefined for anything else. */
const tlsVersionOf = (value: unknown): number | undefined => {
  const m = typeof value === 'string' ? /^TLS(\d)_(\d)$/i.exec(value) : null;
  return m ? Number(`${m[1]}.${m[2]}`) : undefined;
};
/** 1.2 → `TLS1_2`, the value ARM takes. */
const tlsSetting = (version: number) => `TLS${version.toFixed(1).replace('.', '_')}`;

const storageSecure: Rule = {
  id: 'az.storage.secure',
  title: 'Storage accounts require HTTPS and a current TLS version, and block anonymous blob access',
  category: 'security',
  provider: 'azure',
  types: ['storage_account'],
  // Anonymous blob access is the worst of the three (Prowler ranks it high, the transport settings medium).
  severity: 'high',
  remediation:
    'On the storage account, turn on "Secure transfer required", set the minimum TLS version to 1.2, and disallow anonymous (public) blob access unless a container must serve the public.',
  thresholds: {
    minTls: {
      env: 'SCAN_AZURE_STORAGE_MIN_TLS',
      default: 1.2,
      unit: 'version',
      description: 'Lowest TLS version an Azure storage account may accept (1.2 means TLS1_2)',
      min: 1.0,
      max: 1.3,
    },
  },
  fix: { action: 'secure_storage_account', title: 'Require HTTPS and the minimum TLS version, block anonymous access' },
  evaluate(resource, ctx) {
    const { httpsOnly, minimumTlsVersion, allowBlobPublicAccess } = resource.attributes;
    const minTls = ctx.threshold('minTls');
    const evidence = { httpsOnly, minimumTlsVersion, allowBlobPublicAccess, requiredMinTls: minTls };
    const problems: string[] = [];
    const unknown: string[] = [];
    const fixParams: Record<string, string> = {};

    if (httpsOnly === false) {
      problems.push('accepts plain HTTP');
      fixParams.httpsOnly = 'true';
    } else if (httpsOnly !== true) unknown.push('whether secure transfer is required');

    // Accounts created by the CLI or PowerShell before TLS 1.2 became the default report no
    // minimum, and Azure then accepts TLS 1.0 (CIS Azure's default value for this control).
    const tls = minimumTlsVersion === null || minimumTlsVersion === undefined ? 1.0 : tlsVersionOf(minimumTlsVersion);
    if (tls === undefined) unknown.push(`what minimum TLS version "${String(minimumTlsVersion)}" means`);
    else if (Math.round(tls * 10) < Math.round(minTls * 10)) {
      problems.push(`accepts TLS ${tls.toFixed(1)} (${minimumTlsVersion ?? 'no minimum set'})`);
      fixParams.minimumTlsVersion = tlsSetting(minTls);
    }

    if (allowBlobPublicAccess === true) {
      problems.push('allows anonymous blob access');
      fixParams.allowBlobPublicAccess = 'false';
    } else if (allowBlobPublicAccess !== false) unknown.push('whether anonymous blob access is allowed');

    if (problems.length) return fail(evidence, `${resource.name} ${problems.join(', ')}.`, { fixParams });
    if (unknown.length)
      return manual(
        evidence,
        `Azure did not report ${unknown.join(' or ')} for ${resource.name}; check its Configuration page.`,
      );
    return pass(evidence);
  },
};

const entraMfa: Rule = {
  id: 'az.entra.mfa',
  title: 'Entra ID users have multi-factor authentication',
  category: 'security',
  provider: 'azure',
  types: ['iam_user'],
  severity: 'high',
  remediation:
    'Require MFA for every user through Conditional Access (or security defaults), privileged roles first, and have each user register a method.',
  evaluate(resource) {
    return manual(
      { user: resource.name, mfaRegistration: null },
      'The inventory does not collect Entra ID users or their MFA registration (Microsoft Graph userRegistrationDetails); check the Authentication methods report in the Entra admin center.',
    );
  },
};

export const azureRules: readonly Rule[] = [entraMfa, nsgAdminPorts, storageSecure];
