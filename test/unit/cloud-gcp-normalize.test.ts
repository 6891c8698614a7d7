import { describe, expect, it } from '@jest/globals';
import { translateGcpError } from '../../src/cloud/gcp/errors.ts';
import {
  accessKeyResource,
  addressResource,
  bucketResource,
  diskResource,
  firewallIngress,
  firewallResource,
  instanceResource,
  instanceState,
  snapshotResource,
} from '../../src/cloud/gcp/normalize.ts';
import { Resource } from '../../src/cloud/resource.ts';
import { AppError } from '../../src/errors.ts';

const seenAt = new Date('2026-11-20T12:00:00Z');
const ctx = { project: 'acme-prod', seenAt, sandbox: false };
const base = 'https://www.googleapis.com/compute/v1/projects/acme-prod';

describe('GCE → Resource', () => {
  it('maps every GCE status onto the shared lifecycle words', () => {
    expect(
      ['RUNNING', 'PROVISIONING', 'STAGING', 'STOPPING', 'TERMINATED', 'STOPPED', 'SUSPENDED', null].map(instanceState),
    ).toEqual(['running', 'pending', 'pending', 'stopping', 'stopped', 'stopped', 'suspended', 'unknown']);
  });

  it('bills a running instance from the table, a TERMINATED one nothing, and marks unknown types unpriced', () => {
    const vm = {
      name: 'web-1',
      id: '123456789',
      zone: `${base}/zones/us-central1-a`,
      machineType: `${base}/zones/us-central1-a/machineTypes/e2-standard-4`,
      status: 'RUNNING',
      labels: { env: 'Prod', service: 'web' },
      networkInterfaces: [{ networkIP: '10.0.0.2', accessConfigs: [{ natIP: '34.1.2.3' }] }],
      disks: [{ source: `${base}/zones/us-central1-a/disks/web-1` }],
      creationTimestamp: '2026-01-01T10:00:00.000-08:00',
    };
    const running = instanceResource(vm, ctx);
    Resource.parse(running);
    expect(running).toMatchObject({
      provider: 'gcp',
      account: 'acme-prod',
      region: 'us-central1',
      id: 'zones/us-central1-a/instances/web-1',
      environment: 'prod',
      monthlyCostCents: 9783, // 0.134012 × 730
      attributes: {
        machineType: 'e2-standard-4',
        zone: 'us-central1-a',
        instanceId: '123456789',
        privateIp: '10.0.0.2',
        publicIp: '34.1.2.3',
        disks: ['web-1'],
        creationTimestamp: '2026-01-01T18:00:00.000Z',
      },
    });
    // CPU is a metric (Cloud Monitoring → resource_metrics), never an attribute, in the sandbox too.
    expect(Object.keys(instanceResource(vm, { ...ctx, sandbox: true }).attributes)).not.toContain('cpuAvg7d');
    expect(instanceResource({ ...vm, status: 'TERMINATED' }, ctx)).toMatchObject({
      state: 'stopped',
      monthlyCostCents: 0,
    });
    const odd = instanceResource({ ...vm, machineType: `${base}/zones/us-central1-a/machineTypes/m3-megamem-64` }, ctx);
    expect(odd).toMatchObject({ monthlyCostCents: 0, attributes: { priced: false } });
    // A region the table does not cover is unpriced, never borrowed from another region.
    const asia = instanceResource({ ...vm, zone: `${base}/zones/asia-east1-a` }, ctx);
    expect(asia).toMatchObject({ region: 'asia-east1', monthlyCostCents: 0, attributes: { priced: false } });
  });

  it('says which instance uses a disk, or null for an unattached one', () => {
    const disk = {
      name: 'data',
      zone: `${base}/zones/europe-west1-b`,
      sizeGb: '100',
      type: `${base}/zones/europe-west1-b/diskTypes/pd-ssd`,
      users: [`${base}/zones/europe-west1-b/instances/db-1`],
    };
    expect(diskResource(disk, ctx)).toMatchObject({
      id: 'zones/europe-west1-b/disks/data',
      region: 'europe-west1',
      state: 'in-use',
      monthlyCostCents: 1870, // 100 GB × 0.187
      attributes: {
        sizeGb: 100,
        volumeType: 'pd-ssd',
        attachedTo: 'zones/europe-west1-b/instances/db-1',
        encryption: 'google-managed',
      },
    });
    expect(diskResource({ ...disk, users: [] }, ctx)).toMatchObject({
      state: 'available',
      attributes: { attachedTo: null },
    });
  });

  it('prices snapshots on stored bytes in the source disk region', () => {
    const s = snapshotResource(
      {
        name: 'snap',
        status: 'READY',
        diskSizeGb: '200',
        storageBytes: String(50 * 1024 ** 3),
        sourceDisk: `${base}/zones/us-central1-b/disks/db`,
        creationTimestamp: '2025-10-16T12:00:00Z',
      },
      ctx,
    );
    expect(s).toMatchObject({
      region: 'global',
      state: 'completed',
      monthlyCostCents: 250,
      attributes: {
        sizeGb: 200,
        storageGb: 50,
        sourceDisk: 'zones/us-central1-b/disks/db',
        startTime: '2025-10-16T12:00:00.000Z',
      },
    });
  });

  it('bills a reserved external address as idle and names the instance using one in use', () => {
    const reserved = addressResource(
      {
        name: 'ip',
        region: `${base}/regions/us-central1`,
        status: 'RESERVED',
        address: '34.1.1.1',
        addressType: 'EXTERNAL',
      },
      ctx,
    );
    expect(reserved).toMatchObject({
      id: 'regions/us-central1/addresses/ip',
      state: 'reserved',
      monthlyCostCents: 730,
      attributes: { associatedTo: null },
    });
    const used = addressResource(
      {
        name: 'ip2',
        region: `${base}/regions/us-central1`,
        status: 'IN_USE',
        users: [`${base}/zones/us-central1-a/instances/web-1`],
      },
      ctx,
    );
    expect(used).toMatchObject({
      state: 'in-use',
      monthlyCostCents: 365,
      attributes: { associatedTo: 'zones/us-central1-a/instances/web-1' },
    });
    expect(
      addressResource(
        { name: 'int', region: `${base}/regions/us-central1`, status: 'RESERVED', addressType: 'INTERNAL' },
        ctx,
      ).monthlyCostCents,
    ).toBe(0);
  });

  it('turns firewall allow entries into the AWS ingress shape; deny, egress and disabled rules open nothing', () => {
    const rule = {
      name: 'mixed',
      direction: 'INGRESS',
      sourceRanges: ['0.0.0.0/0', '::/0'],
      allowed: [{ IPProtocol: 'tcp', ports: ['22', '8000-8080'] }, { IPProtocol: 'udp' }, { IPProtocol: 'all' }],
    };
    expect(firewallIngress(rule)).toEqual([
      { protocol: 'tcp', fromPort: 22, toPort: 22, cidrs: ['0.0.0.0/0', '::/0'] },
      { protocol: 'tcp', fromPort: 8000, toPort: 8080, cidrs: ['0.0.0.0/0', '::/0'] },
      { protocol: 'udp', fromPort: 0, toPort: 65535, cidrs: ['0.0.0.0/0', '::/0'] },
      { protocol: 'all', fromPort: 0, toPort: 65535, cidrs: ['0.0.0.0/0', '::/0'] },
    ]);
    expect(firewallIngress({ ...rule, disabled: true })).toEqual([]);
    expect(firewallIngress({ ...rule, direction: 'EGRESS' })).toEqual([]);
    const deny = firewallResource(
      {
        name: 'no-telnet',
        direction: 'INGRESS',
        denied: [{ IPProtocol: 'tcp', ports: ['23'] }],
        sourceRanges: ['0.0.0.0/0'],
      },
      ctx,
    );
    expect(deny).toMatchObject({
      type: 'security_group',
      region: 'global',
      attributes: { ingress: [], action: 'deny' },
    });
  });

  it('calls a bucket public when its policy grants allUsers or allAuthenticatedUsers, unless prevention is enforced', () => {
    const meta = {
      name: 'b',
      location: 'US-CENTRAL1',
      iamConfiguration: { uniformBucketLevelAccess: { enabled: true } },
    };
    const grant = [{ role: 'roles/storage.objectViewer', members: ['allAuthenticatedUsers', 'user:a@example.com'] }];
    expect(bucketResource(meta, grant, ctx)).toMatchObject({
      region: 'us-central1',
      attributes: {
        public: true,
        publicGrants: ['roles/storage.objectViewer: allAuthenticatedUsers'],
        publicAccessPrevention: 'inherited',
        uniformBucketLevelAccess: true,
        versioning: false,
        encryption: 'google-managed',
      },
    });
    const enforced = { ...meta, iamConfiguration: { ...meta.iamConfiguration, publicAccessPrevention: 'enforced' } };
    expect(bucketResource(enforced, grant, ctx).attributes.public).toBe(false);
    expect(
      bucketResource(meta, [{ role: 'roles/storage.admin', members: ['group:ops@example.com'] }], ctx).attributes
        .public,
    ).toBe(false);
    expect(bucketResource({ ...meta, encryption: { defaultKmsKeyName: 'k' } }, [], ctx).attributes.encryption).toBe(
      'customer-managed',
    );
  });

  it('reads a service-account key: type, creation time, and no expiry for year 9999', () => {
    const key = accessKeyResource(
      {
        name: 'projects/acme-prod/serviceAccounts/bot@acme-prod.iam.gserviceaccount.com/keys/abcdef0123456789',
        validAfterTime: '2026-05-04T12:00:00Z',
        validBeforeTime: '9999-12-31T23:59:59Z',
        keyType: 'USER_MANAGED',
      },
      'bot@acme-prod.iam.gserviceaccount.com',
      ctx,
    );
    Resource.parse(key);
    expect(key).toMatchObject({
      type: 'access_key',
      id: 'serviceAccounts/bot@acme-prod.iam.gserviceaccount.com/keys/abcdef0123456789',
      region: 'global',
      state: 'active',
      attributes: {
        keyType: 'USER_MANAGED',
        userManaged: true,
        createdAt: '2026-05-04T12:00:00.000Z',
        expiresAt: null,
      },
    });
  });
});

describe('translateGcpError', () => {
  const googleError = (code: number, httpStatusCode: number | undefined, message: string) =>
    Object.assign(new (class GoogleError extends Error {})(message), {
      code,
      ...(httpStatusCode ? { httpStatusCode } : {}),
    });

  it('maps gax, storage and gaxios errors onto AppError codes, keeping Google’s message and naming the project', () => {
    const cases: Array<[unknown, string]> = [
      [googleError(5, 404, "The resource 'projects/p/zones/z/instances/x' was not found"), 'not_found'],
      [googleError(7, 403, "Required 'compute.instances.list' permission for 'projects/acme-dev'"), 'auth_failed'],
      [googleError(16, undefined, 'Request had invalid authentication credentials.'), 'auth_failed'],
      [googleError(8, 429, 'Quota exceeded'), 'rate_limited'],
      [googleError(3, 400, "The resource 'projects/p/zones/z/instances/x' is not ready"), 'conflict'],
      [googleError(3, 400, "Invalid value for field 'resource.machineType'"), 'bad_request'],
      [Object.assign(new Error('x does not have storage.buckets.list access'), { code: 403 }), 'auth_failed'],
      [
        Object.assign(new Error('Request failed with status code 429'), {
          status: 429,
          response: { status: 429, data: { error: { message: 'Quota' } } },
        }),
        'rate_limited',
      ],
      [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }), 'cloud_error'],
      [googleError(13, 500, 'Internal error'), 'cloud_error'],
    ];
    for (const [e, code] of cases) expect([translateGcpError(e, 'listing', 'acme-dev').code, e]).toEqual([code, e]);
    const denied = translateGcpError(cases[1]![0], 'listing instances', 'acme-dev');
    expect(denied).toBeInstanceOf(AppError);
    expect(denied.userMessage).toBe(
      "Google Cloud refused the credentials or permissions for listing instances in project acme-dev (HTTP 403): Required 'compute.instances.list' permission for 'projects/acme-dev' Check the service account's roles in acme-dev.",
    );
    expect(translateGcpError(cases[8]![0], 'listing', 'p').userMessage).toBe(
      'Could not reach Google Cloud while listing in project p (ECONNREFUSED).',
    );
    expect(translateGcpError(cases[7]![0], 'listing', 'p').userMessage).toContain('Quota');
  });

  it('reads what gax retried until it gave up', () => {
    const e = googleError(
      4,
      undefined,
      "Exceeded maximum number of retries retrying error Error: Quota exceeded for 'Queries'. before any response was received : Previous errors : [{message: Quota exceeded, code: 8, details: , note: }]",
    );
    const err = translateGcpError(e, 'listing disks', 'acme-prod');
    expect(err.code).toBe('rate_limited');
    expect(err.userMessage).toContain("Quota exceeded for 'Queries'.");
    expect(err.userMessage).not.toContain('Previous errors');
  });
});
