import { z } from 'zod';
import { subjectLabel as label, type ActionCatalog, type Inverse } from '../actions.ts';

/**
 * Route 53 actions for multi-region failover, as data (executed by ./route53.ts): a health check
 * for a load balancer, PRIMARY and SECONDARY failover records in a hosted zone, and inverting a
 * health check (the failover drill: Route 53 then treats a healthy endpoint as unhealthy). A record
 * change records the record set it replaced (or that there was none), so its inverse puts that
 * back or deletes what it made; a health check it made is deleted again, and only one that checks
 * that same load balancer.
 */

const HealthCheckId = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'a Route 53 health check id');
const RecordName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^(\*\.)?([A-Za-z0-9_-]+\.)*[A-Za-z0-9_-]+\.?$/, 'a DNS name (app, or app.example.com)');
const RecordType = z.enum(['CNAME', 'A', 'AAAA']);
const SetIdentifier = z.string().min(1).max(128);
const Role = z.enum(['PRIMARY', 'SECONDARY']);
const Ttl = z
  .string()
  .regex(/^\d{1,6}$/, 'seconds')
  .refine((t) => Number(t) <= 172_800, 'at most 172800 seconds');

const FailoverRecord = z.object({
  name: RecordName,
  role: Role,
  value: z.string().min(1).max(4000),
  health_check: HealthCheckId.optional(),
  type: RecordType.optional(),
  ttl: Ttl.optional(),
  set_identifier: SetIdentifier.optional(),
});

/** A failover record's set identifier when none is given: its role, in lower case. */
export const setIdentifierOf = (p: Record<string, string>): string => p.set_identifier ?? p.role!.toLowerCase();

/** What a record change replaced (`existed: false`: nothing) → the change that puts it back. */
const recordInverse = ({ previous }: { previous?: Record<string, string> }): Inverse => {
  if (!previous?.existed) return { why: 'the record set it replaces is read when it runs' };
  const keep = (keys: string[]) =>
    Object.fromEntries(keys.map((k) => [k, previous[k]]).filter((e): e is [string, string] => Boolean(e[1])));
  if (previous.existed === 'false')
    return {
      action: 'delete_failover_record',
      params: keep(['name', 'type', 'set_identifier']),
    };
  return {
    action: 'upsert_failover_record',
    params: keep(['name', 'type', 'role', 'value', 'health_check', 'ttl', 'set_identifier']),
  };
};

export const route53Actions: ActionCatalog = {
  load_balancer: [
    {
      name: 'create_health_check',
      title: 'Create health check for',
      doing: 'creating a Route 53 health check for',
      description:
        'Create a Route 53 health check of a load balancer (its DNS name, on its listener port); its id is the output `health_check`',
      params: z.object({
        path: z
          .string()
          .regex(/^\/[\x21-\x7e]{0,254}$/, 'a path starting with /')
          .optional(),
        port: z
          .string()
          .regex(/^\d{1,5}$/, 'a port number')
          .refine((p) => Number(p) >= 1 && Number(p) <= 65_535, 'a port from 1 to 65535')
          .optional(),
      }),
      detail: (_s, p) => (p.path ? `on ${p.path}` : ''),
      blastRadius: (s, p) =>
        `Route 53's checkers request ${String(s.attributes.dnsName ?? label(s))}${p.path ?? ''} every 30 s from several regions${s.attributes.scheme === 'internal' ? ' (an internal balancer cannot be reached from the internet: it will report unhealthy)' : ''}; nothing routes on it until a record uses it. A health check is billed monthly.`,
      inverse: ({ params, previous }) =>
        previous?.health_check
          ? { action: 'delete_health_check', params: { health_check: previous.health_check } }
          : params.health_check
            ? { action: 'delete_health_check', params: { health_check: params.health_check } }
            : { why: 'the health check is made when it runs; its inverse deletes it then' },
    },
    {
      name: 'delete_health_check',
      title: 'Delete health check of',
      doing: 'deleting a Route 53 health check of',
      description: 'Delete a Route 53 health check of this load balancer (refused while a record uses it)',
      params: z.object({ health_check: HealthCheckId }),
      detail: (_s, p) => p.health_check!,
      blastRadius: (s, p) =>
        `Health check ${p.health_check} of ${label(s)} is deleted; Route 53 refuses while a record still uses it.`,
      inverse: () => ({ why: 'a deleted health check cannot come back; create a new one' }),
    },
  ],
  hosted_zone: [
    {
      name: 'upsert_failover_record',
      title: 'Set failover record in',
      doing: 'setting a failover record in',
      description:
        'Create or replace a PRIMARY or SECONDARY failover record (CNAME by default, TTL 60) with its health check; the record is the output `record`',
      params: FailoverRecord,
      detail: (_s, p) => `${p.name} ${p.role} → ${p.value}`,
      blastRadius: (s, p) =>
        `DNS answers for ${p.name} in ${label(s)} change within a minute: Route 53 answers the ${p.role === 'PRIMARY' ? 'primary while its health check is healthy' : 'secondary when the primary is unhealthy'}${p.health_check ? '' : ' (no health check: always considered healthy)'}; resolvers may keep the old answer for its TTL.`,
      inverse: recordInverse,
    },
    {
      name: 'delete_failover_record',
      title: 'Delete failover record in',
      doing: 'deleting a failover record in',
      description: 'Delete one failover record set (refused for a simple record)',
      params: z.object({ name: RecordName, type: RecordType.optional(), set_identifier: SetIdentifier }),
      detail: (_s, p) => `${p.name} (${p.set_identifier})`,
      blastRadius: (s, p) =>
        `Route 53 stops answering with the ${p.set_identifier} record of ${p.name} in ${label(s)}; if it was the only one left, the name no longer resolves.`,
      inverse: recordInverse,
    },
  ],
  health_check: [
    {
      name: 'set_inverted',
      aliases: ['invert_health_check'],
      title: 'Invert health check',
      doing: 'setting the inversion of',
      description:
        'Invert a Route 53 health check (true: Route 53 treats a healthy endpoint as unhealthy, the failover drill) or put it back (false)',
      params: z.object({ inverted: z.enum(['true', 'false']) }),
      detail: (_s, p) => (p.inverted === 'true' ? '(report healthy as unhealthy)' : '(back to normal)'),
      blastRadius: (s, p) =>
        p.inverted === 'true'
          ? `Route 53 treats ${label(s)} as unhealthy while its endpoint is healthy: failover records that use it switch to their secondary within a minute or two.`
          : `Route 53 reads ${label(s)} as its checkers see it again: failover records that use it switch back to their primary if it is healthy.`,
      inverse: ({ subject, previous }) => {
        const before = previous?.inverted ?? (subject ? String(subject.attributes.inverted ?? '') : '');
        return before === 'true' || before === 'false'
          ? { action: 'set_inverted', params: { inverted: before } }
          : { why: 'its previous inversion was not recorded' };
      },
    },
  ],
};
