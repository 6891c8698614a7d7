import { balancerDnsName } from '../elbv2.ts';
import type { SandboxHealthCheck, SandboxHostedZone, SandboxRecordSet } from './model.ts';
import type { ServiceCall } from './wire.ts';

/**
 * What Route 53's health checkers would see, derived from the sandbox's own fleet so it is
 * deterministic: an endpoint named by a load balancer's DNS name is healthy when the balancer is
 * internet-facing (checkers probe from the internet), has a listener on the checked port, and that
 * listener's target group has a target whose instance runs and is not failing ELB's own checks;
 * an IP address is healthy when a running instance has it as its public IP. Anything else fails.
 * Then Route 53's own rules: a disabled check is considered healthy, an inverted one the reverse of
 * what the checkers see; failover answers the primary while it is healthy, else a healthy (or
 * unchecked) secondary, else the primary again (all unhealthy: Route 53 answers as if all were healthy).
 */

const httpTypes = new Set(['HTTP', 'HTTPS', 'HTTP_STR_MATCH', 'HTTPS_STR_MATCH']);

export const defaultPort = (type: string): number => (type.startsWith('HTTPS') ? 443 : 80);

/** The checkers' report on an endpoint: `Success: …` or `Failure: …`, as GetHealthCheckStatus words it. */
export const checkerReport = (call: ServiceCall, hc: SandboxHealthCheck): { ok: boolean; status: string } => {
  const http = httpTypes.has(hc.type);
  const port = hc.port ?? defaultPort(hc.type);
  const timedOut = {
    ok: false,
    status:
      'Failure: Connection timed out. The endpoint or the internet connection is down, or requests are being blocked by your firewall.',
  };
  const up = { ok: true, status: http ? 'Success: HTTP Status Code 200, OK' : 'Success: TCP connection established.' };
  const fleet = call.fleet;
  const running = (id: string) => fleet?.instances.some((i) => i.id === id && i.state === 'running') ?? false;
  if (hc.ipAddress) {
    const instance = fleet?.instances.find((i) => i.publicIp === hc.ipAddress);
    return instance && instance.state === 'running' ? up : timedOut;
  }
  const fqdn = (hc.fqdn ?? '').toLowerCase().replace(/\.$/, '');
  const lb = fleet?.loadBalancers.find((b) => balancerDnsName(b).toLowerCase() === fqdn);
  if (!lb) return { ok: false, status: `Failure: DNS resolution failed: ${fqdn} does not resolve.` };
  if (lb.scheme === 'internal') return timedOut;
  const listener = lb.listeners.find((l) => l.port === port);
  if (!listener) return { ok: false, status: 'Failure: Connection refused. The endpoint refused the connection.' };
  const group = fleet?.targetGroups.find((g) => g.arn === listener.targetGroupArn);
  const serving = group?.targets.some((t) => running(t.id) && t.health !== 'unhealthy') ?? false;
  if (serving) return up;
  return http ? { ok: false, status: 'Failure: HTTP Status Code 503, Service Unavailable' } : timedOut;
};

/** Whether Route 53 considers the check healthy: disabled → healthy; inverted → the reverse of the checkers. */
export const consideredHealthy = (call: ServiceCall, hc: SandboxHealthCheck): boolean =>
  hc.disabled || checkerReport(call, hc).ok !== hc.inverted;

/** The record sets of a name and type that Route 53 answers with now (failover picks one). */
export const answerOf = (
  call: ServiceCall,
  zone: SandboxHostedZone,
  name: string,
  type: string,
): SandboxRecordSet[] => {
  const sets = zone.records.filter((r) => r.name === name && r.type === type);
  const primary = sets.find((r) => r.failover === 'PRIMARY');
  const secondary = sets.find((r) => r.failover === 'SECONDARY');
  if (!primary && !secondary) return sets;
  const healthy = (r: SandboxRecordSet) => {
    if (!r.healthCheckId) return true;
    const hc = call.account.route53.healthChecks.find((h) => h.id === r.healthCheckId);
    return !hc || consideredHealthy(call, hc);
  };
  if (primary && healthy(primary)) return [primary];
  if (secondary && healthy(secondary)) return [secondary];
  return [primary ?? secondary!];
};
