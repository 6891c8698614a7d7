import type { SandboxHostedZone, SandboxRecordSet } from './model.ts';
import { ServiceError } from './wire.ts';
import type { ServiceCall } from './wire.ts';

/**
 * Route 53's record-set rules for ChangeResourceRecordSets: names in the zone (stored lower case
 * with their trailing dot), CREATE of an existing set and DELETE of a missing or different one
 * refused, UPSERT replacing, a CNAME alone at its name, simple and failover sets not mixed at one
 * name and type, one PRIMARY and one SECONDARY, health checks that exist. A batch is all or nothing:
 * every problem is reported in one InvalidChangeBatch.
 */

export type ChangeAction = 'CREATE' | 'DELETE' | 'UPSERT';
export interface RecordChange {
  action: ChangeAction;
  set: SandboxRecordSet;
}

/** `App.Example.com` → `app.example.com.` */
export const fqdn = (name: string): string => {
  const lower = name.trim().toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
};

const describe = (r: SandboxRecordSet) =>
  `[name='${r.name}', type='${r.type}'${r.setIdentifier ? `, set-identifier='${r.setIdentifier}'` : ''}]`;

const sameKey = (a: SandboxRecordSet, b: SandboxRecordSet) =>
  a.name === b.name && a.type === b.type && (a.setIdentifier ?? '') === (b.setIdentifier ?? '');

const sameValues = (a: SandboxRecordSet, b: SandboxRecordSet) =>
  a.ttl === b.ttl &&
  (a.failover ?? '') === (b.failover ?? '') &&
  (a.healthCheckId ?? '') === (b.healthCheckId ?? '') &&
  JSON.stringify([...a.values].sort()) === JSON.stringify([...b.values].sort()) &&
  JSON.stringify(a.alias ?? null) === JSON.stringify(b.alias ?? null);

/** Checks one set on its own: its name in the zone, the values its type and policy need. */
const checkSet = (call: ServiceCall, zone: SandboxHostedZone, r: SandboxRecordSet, problems: string[]) => {
  if (r.name !== zone.name && !r.name.endsWith(`.${zone.name}`))
    problems.push(`RRSet with DNS name ${r.name} is not permitted in zone ${zone.name}`);
  if (r.failover && !r.setIdentifier) problems.push(`Failover RRSet ${describe(r)} needs a SetIdentifier.`);
  if (!r.failover && r.setIdentifier)
    problems.push(
      `RRSet ${describe(r)} has a SetIdentifier but no routing policy (the sandbox emulates failover only).`,
    );
  if (!r.alias) {
    if (r.ttl === undefined) problems.push(`RRSet ${describe(r)} needs a TTL.`);
    if (r.values.length === 0) problems.push(`RRSet ${describe(r)} needs at least one ResourceRecord.`);
    if (r.type === 'CNAME' && r.values.length > 1)
      problems.push(`RRSet of type CNAME ${describe(r)} has more than one value.`);
  }
  if (r.healthCheckId && !call.account.route53.healthChecks.some((h) => h.id === r.healthCheckId))
    throw new ServiceError('NoSuchHealthCheck', `A health check with id ${r.healthCheckId} does not exist.`, 404);
};

/** The zone's record sets after the batch, or InvalidChangeBatch with every problem. */
export const applyChanges = (
  call: ServiceCall,
  zone: SandboxHostedZone,
  changes: RecordChange[],
): SandboxRecordSet[] => {
  const problems: string[] = [];
  let records = [...zone.records];
  for (const { action, set } of changes) {
    checkSet(call, zone, set, problems);
    const current = records.find((r) => sameKey(r, set));
    if (action === 'CREATE') {
      if (current) problems.push(`Tried to create resource record set ${describe(set)} but it already exists`);
      else records.push(set);
    } else if (action === 'DELETE') {
      if (!current) problems.push(`Tried to delete resource record set ${describe(set)} but it was not found`);
      else if (!sameValues(current, set))
        problems.push(
          `Tried to delete resource record set ${describe(set)} but the values provided do not match the current values`,
        );
      else if (set.name === zone.name && (set.type === 'SOA' || set.type === 'NS'))
        problems.push(`A HostedZone must contain at least one NS record and one SOA record for the zone apex.`);
      else records = records.filter((r) => r !== current);
    } else records = [...records.filter((r) => r !== current), set];
  }
  for (const name of new Set(records.map((r) => r.name))) {
    const here = records.filter((r) => r.name === name);
    if (here.some((r) => r.type === 'CNAME') && here.some((r) => r.type !== 'CNAME'))
      problems.push(
        `RRSet of type CNAME with DNS name ${name} is not permitted as it conflicts with other records with the same DNS name in zone ${zone.name}`,
      );
    for (const type of new Set(here.map((r) => r.type))) {
      const sets = here.filter((r) => r.type === type);
      if (sets.some((r) => r.failover) && sets.some((r) => !r.failover))
        problems.push(
          `RRSet with DNS name ${name}, type ${type} cannot mix a simple record set with failover record sets.`,
        );
      for (const role of ['PRIMARY', 'SECONDARY'])
        if (sets.filter((r) => r.failover === role).length > 1)
          problems.push(`RRSet with DNS name ${name}, type ${type} may have only one ${role} failover record set.`);
    }
  }
  if (problems.length > 0) throw new ServiceError('InvalidChangeBatch', [...new Set(problems)].join('; '));
  return records;
};

/** Route 53's listing order: names by their labels reversed (`com.example.www`), then type, then set identifier. */
export const recordOrder = (a: SandboxRecordSet, b: SandboxRecordSet): number => {
  const key = (r: SandboxRecordSet) => [r.name.split('.').reverse().join('.'), r.type, r.setIdentifier ?? ''];
  const [ka, kb] = [key(a), key(b)];
  for (let i = 0; i < 3; i++) if (ka[i] !== kb[i]) return ka[i]! < kb[i]! ? -1 : 1;
  return 0;
};
