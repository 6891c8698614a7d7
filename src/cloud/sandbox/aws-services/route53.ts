import { createHash } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';
import type { SandboxHealthCheck, SandboxHostedZone, SandboxRecordSet } from './model.ts';
import { answerOf, checkerReport, defaultPort } from './route53-health.ts';
import { applyChanges, fqdn, recordOrder } from './route53-records.ts';
import type { ChangeAction, RecordChange } from './route53-records.ts';
import { beginSettle, countDescribe, dueStatus } from './settle.ts';
import { ServiceError, defined, intParam, iso, xmlList } from './wire.ts';
import type { ServiceCall, XmlNode } from './wire.ts';

/**
 * Route 53 over REST-XML (`/2013-04-01/…`, one global endpoint): ListHostedZones, GetHostedZone,
 * ListResourceRecordSets, ChangeResourceRecordSets (./route53-records.ts; a batch is PENDING, then
 * INSYNC by the sandbox's clock or after GetChange reads), GetChange, CreateHealthCheck (idempotent
 * by CallerReference), GetHealthCheck, GetHealthCheckStatus (the checkers' reports,
 * ./route53-health.ts), UpdateHealthCheck (HealthCheckVersion checked), DeleteHealthCheck (refused
 * while a record uses it), ListHealthChecks, and TestDNSAnswer (what Route 53 answers now, failover
 * applied). Ids go in paths with or without their `/hostedzone/`, `/change/` prefix.
 */

export const route53Namespace = 'https://route53.amazonaws.com/doc/2013-04-01/';

export interface Route53Request {
  method: string;
  path: string;
  query: URLSearchParams;
  body: string;
}

export interface Route53Answer {
  status: number;
  root: string;
  body: XmlNode;
  headers?: Record<string, string>;
}

type Handler = (call: ServiceCall, req: Route53Request, id: string) => Route53Answer;

const ok = (root: string, body: XmlNode, status = 200, headers?: Record<string, string>): Route53Answer => ({
  status,
  root,
  body,
  ...(headers ? { headers } : {}),
});

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  isArray: (name) => ['Change', 'ResourceRecord', 'Region', 'ChildHealthCheck', 'ResettableElementName'].includes(name),
});

const parseBody = (body: string, root: string): Record<string, unknown> => {
  let doc: Record<string, unknown>;
  try {
    doc = parser.parse(body) as Record<string, unknown>;
  } catch {
    throw new ServiceError('InvalidInput', 'The XML document is not well formed.');
  }
  const top = doc[root];
  if (!top || typeof top !== 'object') throw new ServiceError('InvalidInput', `The request body must be a ${root}.`);
  return top as Record<string, unknown>;
};

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown, name: string): number | undefined =>
  intParam(text(v), () => new ServiceError('InvalidInput', `Invalid value for ${name}: ${String(v)}`));
const bool = (v: unknown): boolean | undefined => (v === undefined ? undefined : text(v) === 'true');

const bareId = (id: string) => decodeURIComponent(id).replace(/^\/?(hostedzone|change|healthcheck)\//, '');

const zoneOf = (call: ServiceCall, id: string): SandboxHostedZone => {
  const zone = call.account.route53.hostedZones.find((z) => z.id === bareId(id));
  if (!zone) throw new ServiceError('NoSuchHostedZone', `No hosted zone found with ID: ${bareId(id)}`, 404);
  return zone;
};

const healthCheckOf = (call: ServiceCall, id: string): SandboxHealthCheck => {
  const hc = call.account.route53.healthChecks.find((h) => h.id === bareId(id));
  if (!hc) throw new ServiceError('NoSuchHealthCheck', `A health check with id ${bareId(id)} does not exist.`, 404);
  return hc;
};

/** maxitems within Route 53's bounds; a page holds at most the sandbox's cap whatever was asked (Route 53 may return fewer too). */
const maxItems = (
  call: ServiceCall,
  req: Route53Request,
  fallback: number,
  max: number,
): { asked: number; size: number } => {
  const n = num(req.query.get('maxitems') ?? undefined, 'maxitems') ?? fallback;
  if (n < 1 || n > max) throw new ServiceError('InvalidInput', `maxitems must be between 1 and ${max}`);
  return { asked: n, size: Math.max(1, Math.min(n, call.pageCap)) };
};

const zoneXml = (z: SandboxHostedZone): XmlNode => ({
  Id: `/hostedzone/${z.id}`,
  Name: z.name,
  CallerReference: z.callerReference,
  Config: defined({ Comment: z.comment, PrivateZone: z.private }),
  ResourceRecordSetCount: z.records.length,
});

const recordXml = (r: SandboxRecordSet): XmlNode =>
  defined({
    Name: r.name,
    Type: r.type,
    SetIdentifier: r.setIdentifier,
    Failover: r.failover,
    TTL: r.ttl,
    ResourceRecords: r.alias
      ? undefined
      : xmlList(
          'ResourceRecord',
          r.values.map((Value) => ({ Value })),
        ),
    AliasTarget: r.alias
      ? {
          HostedZoneId: r.alias.hostedZoneId,
          DNSName: r.alias.dnsName,
          EvaluateTargetHealth: r.alias.evaluateTargetHealth,
        }
      : undefined,
    HealthCheckId: r.healthCheckId,
  });

const healthCheckXml = (hc: SandboxHealthCheck): XmlNode => ({
  Id: hc.id,
  CallerReference: hc.callerReference,
  HealthCheckConfig: defined({
    IPAddress: hc.ipAddress,
    Port: hc.port,
    Type: hc.type,
    ResourcePath: hc.resourcePath,
    FullyQualifiedDomainName: hc.fqdn,
    RequestInterval: hc.requestInterval,
    FailureThreshold: hc.failureThreshold,
    MeasureLatency: false,
    Inverted: hc.inverted,
    Disabled: hc.disabled,
  }),
  HealthCheckVersion: hc.version,
});

const changeInfo = (call: ServiceCall, id: string): XmlNode => {
  const c = call.account.route53.changes.find((x) => x.id === bareId(id));
  if (!c)
    throw new ServiceError('NoSuchChange', `A change with the specified change ID does not exist: ${bareId(id)}`, 404);
  return defined({ Id: `/change/${c.id}`, Status: c.status, SubmittedAt: iso(c.submittedAt), Comment: c.comment });
};

/** A check's settings as a request body would give them (strings), to check or compare again. */
const configOf = (hc: SandboxHealthCheck): Record<string, unknown> =>
  defined({
    IPAddress: hc.ipAddress,
    FullyQualifiedDomainName: hc.fqdn,
    ResourcePath: hc.resourcePath,
    Port: hc.port === undefined ? undefined : String(hc.port),
    RequestInterval: String(hc.requestInterval),
    FailureThreshold: String(hc.failureThreshold),
  });

const endpointTypes = ['HTTP', 'HTTPS', 'HTTP_STR_MATCH', 'HTTPS_STR_MATCH', 'TCP'];

/** A private (RFC 1918, loopback, link-local) IPv4 address, which Route 53's checkers cannot reach. */
const privateIp = (ip: string) => /^(10\.|127\.|169\.254\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(ip);

const healthCheckSettings = (config: Record<string, unknown>, type: string) => {
  const ipAddress = text(config.IPAddress);
  const fqdnName = text(config.FullyQualifiedDomainName);
  const resourcePath = text(config.ResourcePath);
  const port = num(config.Port, 'Port');
  const requestInterval = num(config.RequestInterval, 'RequestInterval') ?? 30;
  const failureThreshold = num(config.FailureThreshold, 'FailureThreshold') ?? 3;
  if (!endpointTypes.includes(type))
    throw new ServiceError(
      'InvalidInput',
      `Invalid health check type ${type}: the sandbox emulates endpoint checks (${endpointTypes.join(', ')}).`,
    );
  if (!ipAddress && !fqdnName)
    throw new ServiceError(
      'InvalidInput',
      'An endpoint health check needs an IPAddress or a FullyQualifiedDomainName.',
    );
  if (ipAddress && (!/^\d{1,3}(\.\d{1,3}){3}$/.test(ipAddress) || privateIp(ipAddress)))
    throw new ServiceError('InvalidInput', `The IP address ${ipAddress} is not a public IPv4 address.`);
  if (port !== undefined && (port < 1 || port > 65535)) throw new ServiceError('InvalidInput', `Invalid Port ${port}.`);
  if (requestInterval !== 10 && requestInterval !== 30)
    throw new ServiceError('InvalidInput', 'RequestInterval must be 10 or 30 seconds.');
  if (failureThreshold < 1 || failureThreshold > 10)
    throw new ServiceError('InvalidInput', 'FailureThreshold must be between 1 and 10.');
  if (resourcePath !== undefined && (type === 'TCP' || !resourcePath.startsWith('/') || resourcePath.length > 255))
    throw new ServiceError('InvalidInput', `Invalid ResourcePath ${resourcePath} for a ${type} health check.`);
  return defined({
    type,
    ipAddress,
    fqdn: fqdnName,
    resourcePath,
    port: port ?? defaultPort(type),
    requestInterval,
    failureThreshold,
  });
};

/** A UUID from a seed, so the same CallerReference always names the same health check id. */
const uuidOf = (seed: string): string => {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

const recordSetOf = (raw: Record<string, unknown>): SandboxRecordSet => {
  const name = text(raw.Name);
  const type = text(raw.Type);
  if (!name || !type) throw new ServiceError('InvalidInput', 'A ResourceRecordSet needs a Name and a Type.');
  for (const unsupported of ['Weight', 'Region', 'GeoLocation', 'MultiValueAnswer', 'CidrRoutingConfig'])
    if (raw[unsupported] !== undefined)
      throw new ServiceError(
        'InvalidInput',
        `${unsupported} records are not emulated: the sandbox has simple and failover ones.`,
      );
  const failover = text(raw.Failover);
  if (failover !== undefined && failover !== 'PRIMARY' && failover !== 'SECONDARY')
    throw new ServiceError('InvalidInput', `Invalid Failover ${failover}: PRIMARY or SECONDARY.`);
  const records = (raw.ResourceRecords as { ResourceRecord?: Array<{ Value?: unknown }> } | undefined)?.ResourceRecord;
  const alias = raw.AliasTarget as Record<string, unknown> | undefined;
  return defined({
    name: fqdn(name),
    type,
    ttl: num(raw.TTL, 'TTL'),
    values: (records ?? []).map((r) => text(r.Value) ?? ''),
    setIdentifier: text(raw.SetIdentifier),
    failover: failover as SandboxRecordSet['failover'],
    healthCheckId: text(raw.HealthCheckId),
    alias: alias
      ? {
          hostedZoneId: text(alias.HostedZoneId) ?? '',
          dnsName: fqdn(text(alias.DNSName) ?? ''),
          evaluateTargetHealth: bool(alias.EvaluateTargetHealth) ?? false,
        }
      : undefined,
  });
};

const page = <T>(items: T[], start: number, size: number) => ({
  items: items.slice(start, start + size),
  truncated: start + size < items.length,
  next: items[start + size],
});

const handlers: Record<string, Handler> = {
  ListHostedZones: (call, req) => {
    const zones = call.account.route53.hostedZones;
    const marker = req.query.get('marker') ?? undefined;
    const start = marker ? zones.findIndex((z) => z.id === bareId(marker)) : 0;
    if (start < 0) throw new ServiceError('InvalidInput', `Invalid marker ${marker}`);
    const { asked, size } = maxItems(call, req, 100, 100);
    const p = page(zones, start, size);
    return ok(
      'ListHostedZonesResponse',
      defined({
        HostedZones: xmlList('HostedZone', p.items.map(zoneXml)),
        Marker: marker ?? '',
        IsTruncated: p.truncated,
        NextMarker: p.truncated ? p.next!.id : undefined,
        MaxItems: asked,
      }),
    );
  },
  GetHostedZone: (call, _req, id) => {
    const z = zoneOf(call, id);
    return ok(
      'GetHostedZoneResponse',
      defined({
        HostedZone: zoneXml(z),
        DelegationSet: z.private
          ? undefined
          : {
              NameServers: xmlList(
                'NameServer',
                z.records.find((r) => r.type === 'NS' && r.name === z.name)?.values ?? [],
              ),
            },
      }),
    );
  },
  ListResourceRecordSets: (call, req, id) => {
    const z = zoneOf(call, id);
    const sorted = [...z.records].sort(recordOrder);
    const name = req.query.get('name');
    const type = req.query.get('type');
    const identifier = req.query.get('identifier');
    if (type && !name) throw new ServiceError('InvalidInput', 'The type parameter needs the name parameter.');
    if (identifier && !type)
      throw new ServiceError('InvalidInput', 'The identifier parameter needs the type parameter.');
    const from: SandboxRecordSet = {
      name: fqdn(name ?? z.name),
      type: type ?? '',
      values: [],
      ...(identifier ? { setIdentifier: identifier } : {}),
    };
    const start = name ? sorted.findIndex((r) => recordOrder(r, from) >= 0) : 0;
    const { asked, size } = maxItems(call, req, 300, 300);
    const p = page(sorted, start < 0 ? sorted.length : start, size);
    return ok(
      'ListResourceRecordSetsResponse',
      defined({
        ResourceRecordSets: xmlList('ResourceRecordSet', p.items.map(recordXml)),
        IsTruncated: p.truncated,
        NextRecordName: p.truncated ? p.next!.name : undefined,
        NextRecordType: p.truncated ? p.next!.type : undefined,
        NextRecordIdentifier: p.truncated ? p.next!.setIdentifier : undefined,
        MaxItems: asked,
      }),
    );
  },
  ChangeResourceRecordSets: (call, req, id) => {
    const z = zoneOf(call, id);
    const batch = parseBody(req.body, 'ChangeResourceRecordSetsRequest').ChangeBatch as
      { Changes?: { Change?: Array<Record<string, unknown>> }; Comment?: unknown } | undefined;
    const raw = batch?.Changes?.Change ?? [];
    if (raw.length === 0) throw new ServiceError('InvalidInput', 'A ChangeBatch needs at least one Change.');
    const changes: RecordChange[] = raw.map((c) => {
      const action = text(c.Action);
      if (action !== 'CREATE' && action !== 'DELETE' && action !== 'UPSERT')
        throw new ServiceError('InvalidInput', `Invalid Action ${String(action)}: CREATE, DELETE or UPSERT.`);
      return {
        action: action as ChangeAction,
        set: recordSetOf((c.ResourceRecordSet ?? {}) as Record<string, unknown>),
      };
    });
    z.records = applyChanges(call, z, changes);
    const { changes: log } = call.account.route53;
    const change = defined({
      id: `C${(log.length + 1).toString(36).toUpperCase().padStart(13, '0')}`,
      submittedAt: call.now(),
      comment: text(batch?.Comment),
      status: 'PENDING' as const,
      settle: beginSettle(call, 'INSYNC'),
    });
    log.push(change);
    return ok('ChangeResourceRecordSetsResponse', { ChangeInfo: changeInfo(call, change.id) });
  },
  GetChange: (call, _req, id) => {
    const c = call.account.route53.changes.find((x) => x.id === bareId(id));
    if (c && dueStatus(call, c) !== undefined) {
      c.status = 'INSYNC';
      delete c.settle;
    }
    const answer = ok('GetChangeResponse', { ChangeInfo: changeInfo(call, id) });
    if (c) countDescribe([c]);
    return answer;
  },
  CreateHealthCheck: (call, req) => {
    const body = parseBody(req.body, 'CreateHealthCheckRequest');
    const callerReference = text(body.CallerReference);
    if (!callerReference || callerReference.length > 64)
      throw new ServiceError('InvalidInput', 'CallerReference must be 1 to 64 characters.');
    const config = (body.HealthCheckConfig ?? {}) as Record<string, unknown>;
    const settings = healthCheckSettings(config, text(config.Type) ?? '');
    const inverted = bool(config.Inverted) ?? false;
    const disabled = bool(config.Disabled) ?? false;
    const existing = call.account.route53.healthChecks.find((h) => h.callerReference === callerReference);
    const location = (id: string) => ({ location: `https://route53.amazonaws.com/2013-04-01/healthcheck/${id}` });
    if (existing) {
      const same =
        JSON.stringify(healthCheckSettings(configOf(existing), existing.type)) === JSON.stringify(settings) &&
        existing.inverted === inverted &&
        existing.disabled === disabled;
      if (!same)
        throw new ServiceError(
          'HealthCheckAlreadyExists',
          `A health check with CallerReference ${callerReference} already exists with other settings.`,
          409,
        );
      return ok('CreateHealthCheckResponse', { HealthCheck: healthCheckXml(existing) }, 201, location(existing.id));
    }
    const hc: SandboxHealthCheck = {
      id: uuidOf(`${call.account.accountId}:healthcheck:${callerReference}`),
      callerReference,
      ...settings,
      inverted,
      disabled,
      version: 1,
      createTime: call.now(),
    };
    call.account.route53.healthChecks.push(hc);
    return ok('CreateHealthCheckResponse', { HealthCheck: healthCheckXml(hc) }, 201, location(hc.id));
  },
  GetHealthCheck: (call, _req, id) =>
    ok('GetHealthCheckResponse', { HealthCheck: healthCheckXml(healthCheckOf(call, id)) }),
  GetHealthCheckStatus: (call, _req, id) => {
    const hc = healthCheckOf(call, id);
    const report = checkerReport(call, hc);
    const checkers = [
      ['us-east-1', '15.177.2.10'],
      ['eu-west-1', '15.177.62.10'],
      ['ap-southeast-1', '15.177.82.10'],
    ];
    return ok('GetHealthCheckStatusResponse', {
      HealthCheckObservations: xmlList(
        'HealthCheckObservation',
        checkers.map(([Region, IPAddress]) => ({
          Region,
          IPAddress,
          StatusReport: { Status: report.status, CheckedTime: iso(call.now()) },
        })),
      ),
    });
  },
  UpdateHealthCheck: (call, req, id) => {
    const hc = healthCheckOf(call, id);
    const body = parseBody(req.body, 'UpdateHealthCheckRequest');
    const version = num(body.HealthCheckVersion, 'HealthCheckVersion');
    if (version !== undefined && version !== hc.version)
      throw new ServiceError(
        'HealthCheckVersionMismatch',
        "The value of HealthCheckVersion in the request doesn't match the value of HealthCheckVersion in the health check.",
        409,
      );
    const config = configOf(hc);
    for (const k of ['IPAddress', 'Port', 'ResourcePath', 'FullyQualifiedDomainName', 'FailureThreshold'])
      if (body[k] !== undefined) config[k] = body[k];
    Object.assign(hc, healthCheckSettings(config, hc.type));
    hc.inverted = bool(body.Inverted) ?? hc.inverted;
    hc.disabled = bool(body.Disabled) ?? hc.disabled;
    hc.version += 1;
    return ok('UpdateHealthCheckResponse', { HealthCheck: healthCheckXml(hc) });
  },
  DeleteHealthCheck: (call, _req, id) => {
    const hc = healthCheckOf(call, id);
    const user = call.account.route53.hostedZones.flatMap((z) => z.records).find((r) => r.healthCheckId === hc.id);
    if (user)
      throw new ServiceError(
        'HealthCheckInUse',
        `The health check with id ${hc.id} is still referenced from parameter HealthCheckId of the resource record set ${user.name} ${user.type}.`,
      );
    const checks = call.account.route53.healthChecks;
    checks.splice(checks.indexOf(hc), 1);
    return ok('DeleteHealthCheckResponse', {});
  },
  ListHealthChecks: (call, req) => {
    const checks = call.account.route53.healthChecks;
    const marker = req.query.get('marker') ?? undefined;
    const start = marker ? checks.findIndex((h) => h.id === marker) : 0;
    if (start < 0) throw new ServiceError('InvalidInput', `Invalid marker ${marker}`);
    const { asked, size } = maxItems(call, req, 100, 1000);
    const p = page(checks, start, size);
    return ok(
      'ListHealthChecksResponse',
      defined({
        HealthChecks: xmlList('HealthCheck', p.items.map(healthCheckXml)),
        Marker: marker ?? '',
        IsTruncated: p.truncated,
        NextMarker: p.truncated ? p.next!.id : undefined,
        MaxItems: asked,
      }),
    );
  },
  TestDNSAnswer: (call, req) => {
    const zoneId = req.query.get('hostedzoneid');
    const name = req.query.get('recordname');
    const type = req.query.get('recordtype');
    if (!zoneId || !name || !type)
      throw new ServiceError('InvalidInput', 'TestDNSAnswer needs hostedzoneid, recordname and recordtype.');
    const z = zoneOf(call, zoneId);
    const recordName = fqdn(name);
    const answer = answerOf(call, z, recordName, type);
    const exists = z.records.some((r) => r.name === recordName);
    return ok('TestDNSAnswerResponse', {
      Nameserver: z.records.find((r) => r.type === 'NS' && r.name === z.name)?.values[0] ?? 'ns-1.awsdns-00.com.',
      RecordName: recordName,
      RecordType: type,
      RecordData: xmlList(
        'RecordDataEntry',
        answer.flatMap((r) => (r.alias ? [r.alias.dnsName] : r.values)),
      ),
      ResponseCode: exists ? 'NOERROR' : 'NXDOMAIN',
      Protocol: 'UDP',
    });
  },
};

const routes: Array<[RegExp, Record<string, string>]> = [
  [/^\/2013-04-01\/hostedzone$/, { GET: 'ListHostedZones' }],
  [/^\/2013-04-01\/hostedzone\/([^/]+)$/, { GET: 'GetHostedZone' }],
  [
    /^\/2013-04-01\/hostedzone\/([^/]+)\/rrset\/?$/,
    { GET: 'ListResourceRecordSets', POST: 'ChangeResourceRecordSets' },
  ],
  [/^\/2013-04-01\/change\/([^/]+)$/, { GET: 'GetChange' }],
  [/^\/2013-04-01\/healthcheck$/, { GET: 'ListHealthChecks', POST: 'CreateHealthCheck' }],
  [
    /^\/2013-04-01\/healthcheck\/([^/]+)$/,
    { GET: 'GetHealthCheck', POST: 'UpdateHealthCheck', DELETE: 'DeleteHealthCheck' },
  ],
  [/^\/2013-04-01\/healthcheck\/([^/]+)\/status$/, { GET: 'GetHealthCheckStatus' }],
  [/^\/2013-04-01\/testdnsanswer$/, { GET: 'TestDNSAnswer' }],
];

/** The operation a request names (for faults and the request log), and how to run it. */
export const routeRoute53 = (req: Route53Request): { action: string; run: (call: ServiceCall) => Route53Answer } => {
  for (const [pattern, methods] of routes) {
    const m = pattern.exec(req.path);
    const action = m ? methods[req.method] : undefined;
    if (m && action) return { action, run: (call) => handlers[action]!(call, req, m[1] ?? '') };
  }
  return {
    action: '',
    run: () => {
      throw new ServiceError('InvalidAction', `The sandbox does not emulate ${req.method} ${req.path} of Route 53.`);
    },
  };
};
