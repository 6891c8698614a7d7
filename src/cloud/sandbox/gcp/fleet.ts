import { createHash } from 'node:crypto';
import type {
  GceStatus,
  GcpAddress,
  GcpBucket,
  GcpDisk,
  GcpFirewall,
  GcpFleet,
  GcpInstance,
  GcpMachineType,
  GcpServiceAccount,
  GcpSnapshot,
} from './model.ts';

/**
 * The seeded GCP demo fleet: two projects (acme-prod, acme-dev) in us-central1-a/b and
 * europe-west1-b, with the waste and risk the scans should find: idle dev instances (sandbox CPU
 * label), a TERMINATED instance, an unattached disk, a 400-day-old snapshot, a RESERVED external
 * address, a firewall rule opening SSH and RDP to the world, a public bucket, a bucket without
 * uniform access or versioning and a 200-day-old user-managed service-account key. Ids are hashes
 * of names and times offsets from `now`: the same `now` always gives the same fleet.
 */

export const gcpSandboxProjects = ['acme-prod', 'acme-dev'];
export const gcpSandboxZones = ['us-central1-a', 'us-central1-b', 'europe-west1-b'];

const hash = (seed: string): string => createHash('sha256').update(seed).digest('hex');
/** A uint64-looking decimal id (GCE sends ids as strings), stable for a seed. */
export const gcpId = (seed: string): string => (BigInt(`0x${hash(seed).slice(0, 15)}`) + 1_000_000_000_000n).toString();
const keyId = (seed: string): string => hash(`key:${seed}`).slice(0, 40);

const day = 86_400_000;
const ago = (now: Date, days: number): Date => new Date(now.getTime() - Math.round(days * day));
const mib = 1024;

/** Machine types offered in every sandbox zone; c2-standard-4 only in us-central1 (a zone's list decides). */
const machineTypeRows: Array<[string, number, number]> = [
  ['e2-micro', 2, 1 * mib],
  ['e2-small', 2, 2 * mib],
  ['e2-medium', 2, 4 * mib],
  ['e2-standard-2', 2, 8 * mib],
  ['e2-standard-4', 4, 16 * mib],
  ['e2-standard-8', 8, 32 * mib],
  ['e2-standard-16', 16, 64 * mib],
  ['e2-highmem-2', 2, 16 * mib],
  ['e2-highmem-4', 4, 32 * mib],
  ['e2-highcpu-2', 2, 2 * mib],
  ['e2-highcpu-4', 4, 4 * mib],
  ['n1-standard-1', 1, 3840],
  ['n1-standard-2', 2, 7680],
  ['n1-standard-4', 4, 15360],
  ['n2-standard-2', 2, 8 * mib],
  ['n2-standard-4', 4, 16 * mib],
  ['n2-standard-8', 8, 32 * mib],
  ['n2-standard-16', 16, 64 * mib],
  ['n2-highmem-2', 2, 16 * mib],
  ['n2-highmem-4', 4, 32 * mib],
  ['n2-highcpu-2', 2, 2 * mib],
  ['n2-highcpu-4', 4, 4 * mib],
];

export const gcpSandboxMachineTypes = (): GcpMachineType[] =>
  gcpSandboxZones.flatMap((zone) => [
    ...machineTypeRows.map(([name, guestCpus, memoryMb]) => ({ zone, name, guestCpus, memoryMb })),
    ...(zone.startsWith('us-central1-') ? [{ zone, name: 'c2-standard-4', guestCpus: 4, memoryMb: 16 * mib }] : []),
  ]);

// project, zone, name, machine type, status, env, service, owner, cpu avg 7d (%), boot disk type, boot GB, days old
type InstanceRow = [string, string, string, string, GceStatus, string, string, string, number, string, number, number];
const instanceRows: InstanceRow[] = [
  [
    'acme-prod',
    'us-central1-a',
    'web-prod-1',
    'n2-standard-4',
    'RUNNING',
    'prod',
    'web',
    'web-team',
    41,
    'pd-balanced',
    20,
    60,
  ],
  [
    'acme-prod',
    'us-central1-a',
    'web-prod-2',
    'n2-standard-4',
    'RUNNING',
    'prod',
    'web',
    'web-team',
    39,
    'pd-balanced',
    20,
    60,
  ],
  [
    'acme-prod',
    'us-central1-a',
    'api-prod-1',
    'n2-standard-8',
    'RUNNING',
    'prod',
    'api',
    'platform',
    57,
    'pd-balanced',
    50,
    90,
  ],
  ['acme-prod', 'us-central1-b', 'db-prod-1', 'n2-highmem-4', 'RUNNING', 'prod', 'db', 'data', 33, 'pd-ssd', 50, 220],
  [
    'acme-prod',
    'us-central1-b',
    'worker-prod-1',
    'e2-standard-8',
    'RUNNING',
    'prod',
    'worker',
    'data',
    64,
    'pd-balanced',
    50,
    30,
  ],
  [
    'acme-prod',
    'us-central1-b',
    'batch-prod-1',
    'e2-standard-4',
    'TERMINATED',
    'prod',
    'batch',
    'data',
    0,
    'pd-standard',
    100,
    150,
  ],
  [
    'acme-prod',
    'europe-west1-b',
    'web-prod-eu-1',
    'n2-standard-4',
    'RUNNING',
    'prod',
    'web',
    'web-team',
    45,
    'pd-balanced',
    20,
    45,
  ],
  [
    'acme-prod',
    'europe-west1-b',
    'bastion-prod',
    'e2-micro',
    'RUNNING',
    'prod',
    'bastion',
    'platform',
    4,
    'pd-standard',
    10,
    300,
  ],
  [
    'acme-dev',
    'us-central1-a',
    'web-dev-1',
    'e2-standard-4',
    'RUNNING',
    'dev',
    'web',
    'web-team',
    1.1,
    'pd-balanced',
    20,
    80,
  ],
  [
    'acme-dev',
    'us-central1-a',
    'api-dev-1',
    'e2-standard-8',
    'RUNNING',
    'dev',
    'api',
    'platform',
    0.7,
    'pd-balanced',
    20,
    80,
  ],
  ['acme-dev', 'us-central1-b', 'db-dev-1', 'e2-medium', 'RUNNING', 'dev', 'db', 'data', 12, 'pd-balanced', 30, 120],
  [
    'acme-dev',
    'us-central1-b',
    'worker-dev-1',
    'e2-small',
    'TERMINATED',
    'dev',
    'worker',
    'data',
    0,
    'pd-standard',
    20,
    120,
  ],
  ['acme-dev', 'europe-west1-b', 'ml-dev-1', 'n2-standard-16', 'RUNNING', 'dev', 'ml', 'data', 2, 'pd-ssd', 100, 55],
];

const ip = (seed: string, prefix: string): string => {
  const h = hash(seed);
  return `${prefix}.${Number.parseInt(h.slice(0, 2), 16)}.${(Number.parseInt(h.slice(2, 4), 16) % 250) + 2}`;
};

const bindingsPrivate = (project: string) => [
  { role: 'roles/storage.legacyBucketOwner', members: [`projectOwner:${project}`, `projectEditor:${project}`] },
  { role: 'roles/storage.legacyBucketReader', members: [`projectViewer:${project}`] },
];

export const seedGcpFleet = (now: Date): GcpFleet => {
  const instances: GcpInstance[] = [];
  const disks: GcpDisk[] = [];
  for (const [
    project,
    zone,
    name,
    machineType,
    status,
    env,
    service,
    owner,
    cpu,
    diskType,
    diskGb,
    age,
  ] of instanceRows) {
    const created = ago(now, age);
    const running = status === 'RUNNING';
    instances.push({
      project,
      zone,
      name,
      id: gcpId(`${project}/${zone}/${name}`),
      machineType,
      status,
      labels: { env, service, owner },
      cpuPercent: cpu,
      created,
      lastStart: running ? ago(now, Math.min(age, 7)) : created,
      ...(running ? {} : { lastStop: ago(now, 21) }),
      disks: name === 'db-prod-1' ? [name, `${name}-data`] : [name],
      networkIp: ip(`${project}/${name}`, '10.128'),
    });
    disks.push({
      project,
      zone,
      name,
      id: gcpId(`disk:${project}/${zone}/${name}`),
      sizeGb: diskGb,
      type: diskType,
      users: [name],
      labels: { env, service },
      created,
    });
  }
  const find = (project: string, name: string) => instances.find((i) => i.project === project && i.name === name)!;
  find('acme-prod', 'web-prod-1').natIp = '34.120.10.21';
  find('acme-prod', 'bastion-prod').natIp = '35.205.44.3';
  disks.push(
    {
      project: 'acme-prod',
      zone: 'us-central1-b',
      name: 'db-prod-1-data',
      id: gcpId('disk:acme-prod/us-central1-b/db-prod-1-data'),
      sizeGb: 500,
      type: 'pd-ssd',
      users: ['db-prod-1'],
      labels: { env: 'prod', service: 'db' },
      created: ago(now, 220),
      kmsKeyName: 'projects/acme-prod/locations/us-central1/keyRings/prod/cryptoKeys/disks',
    },
    {
      project: 'acme-dev',
      zone: 'us-central1-a',
      name: 'old-migration-data',
      id: gcpId('disk:acme-dev/us-central1-a/old-migration-data'),
      sizeGb: 500,
      type: 'pd-standard',
      users: [],
      labels: { env: 'dev', service: 'migration', owner: 'data' },
      created: ago(now, 260),
    },
  );

  const snapshots: GcpSnapshot[] = [
    ['acme-prod', 'db-prod-1-data-daily', 500, 182, 'us-central1-b/db-prod-1-data', 1, { env: 'prod', service: 'db' }],
    ['acme-prod', 'legacy-db-backup', 200, 140, 'us-central1-b/legacy-db', 400, { env: 'prod', service: 'db' }],
    ['acme-dev', 'web-dev-1-before-upgrade', 20, 6, 'us-central1-a/web-dev-1', 30, { env: 'dev', service: 'web' }],
  ].map(([project, name, diskSizeGb, storedGb, sourceDisk, age, labels]) => ({
    project: project as string,
    name: name as string,
    id: gcpId(`snapshot:${project}/${name}`),
    diskSizeGb: diskSizeGb as number,
    storageBytes: (storedGb as number) * 1024 ** 3,
    sourceDisk: sourceDisk as string,
    labels: labels as Record<string, string>,
    created: ago(now, age as number),
  }));

  const address = (project: string, region: string, name: string, address: string, users: string[], age: number) => ({
    project,
    region,
    name,
    id: gcpId(`address:${project}/${region}/${name}`),
    address,
    users,
    labels: {},
    created: ago(now, age),
  });
  const addresses: GcpAddress[] = [
    address('acme-prod', 'us-central1', 'web-prod-ip', '34.120.10.21', ['us-central1-a/web-prod-1'], 60),
    address('acme-prod', 'europe-west1', 'bastion-prod-ip', '35.205.44.3', ['europe-west1-b/bastion-prod'], 300),
    address('acme-dev', 'us-central1', 'old-demo-ip', '34.70.200.9', [], 190),
  ];

  const firewall = (
    project: string,
    name: string,
    rule: Partial<GcpFirewall> & Pick<GcpFirewall, 'allowed' | 'sourceRanges'>,
  ): GcpFirewall => ({
    project,
    name,
    id: gcpId(`firewall:${project}/${name}`),
    network: 'default',
    direction: 'INGRESS',
    priority: 1000,
    denied: [],
    targetTags: [],
    disabled: false,
    description: '',
    created: ago(now, 300),
    ...rule,
  });
  const firewalls: GcpFirewall[] = gcpSandboxProjects.flatMap((p) => [
    firewall(p, 'default-allow-internal', {
      description: 'Allow internal traffic on the default network',
      priority: 65534,
      sourceRanges: ['10.128.0.0/9'],
      allowed: [
        { IPProtocol: 'tcp', ports: ['0-65535'] },
        { IPProtocol: 'udp', ports: ['0-65535'] },
        { IPProtocol: 'icmp' },
      ],
    }),
    firewall(p, 'allow-https', {
      description: 'Public HTTPS to the web tier',
      sourceRanges: ['0.0.0.0/0'],
      allowed: [{ IPProtocol: 'tcp', ports: ['443'] }],
      targetTags: ['web'],
    }),
  ]);
  firewalls.push(
    firewall('acme-prod', 'deny-telnet', {
      description: 'Block telnet',
      priority: 900,
      sourceRanges: ['0.0.0.0/0'],
      allowed: [],
      denied: [{ IPProtocol: 'tcp', ports: ['23'] }],
    }),
    firewall('acme-prod', 'egress-all', { direction: 'EGRESS', sourceRanges: [], allowed: [{ IPProtocol: 'all' }] }),
    firewall('acme-dev', 'dev-allow-ssh-rdp', {
      description: 'Temporary: SSH and RDP for the contractors',
      sourceRanges: ['0.0.0.0/0'],
      allowed: [{ IPProtocol: 'tcp', ports: ['22', '3389'] }],
      created: ago(now, 75),
    }),
  );

  const bucket = (project: string, name: string, b: Partial<GcpBucket>): GcpBucket => ({
    project,
    name,
    location: 'US-CENTRAL1',
    storageClass: 'STANDARD',
    uniformBucketLevelAccess: true,
    publicAccessPrevention: 'inherited',
    versioning: false,
    labels: {},
    bindings: bindingsPrivate(project),
    created: ago(now, 200),
    ...b,
  });
  const buckets: GcpBucket[] = [
    bucket('acme-prod', 'acme-prod-assets', {
      labels: { env: 'prod', service: 'web' },
      bindings: [...bindingsPrivate('acme-prod'), { role: 'roles/storage.objectViewer', members: ['allUsers'] }],
    }),
    bucket('acme-prod', 'acme-prod-backups', {
      labels: { env: 'prod', service: 'db' },
      publicAccessPrevention: 'enforced',
      versioning: true,
      defaultKmsKeyName: 'projects/acme-prod/locations/us-central1/keyRings/prod/cryptoKeys/backups',
    }),
    bucket('acme-prod', 'acme-prod-logs', {
      location: 'EU',
      labels: { env: 'prod', service: 'logging' },
      uniformBucketLevelAccess: false,
    }),
    bucket('acme-dev', 'acme-dev-scratch', { labels: { env: 'dev' }, created: ago(now, 40) }),
  ];

  const sa = (project: string, account: string, keys: Array<['USER_MANAGED' | 'SYSTEM_MANAGED', number]>) => {
    const email = `${account}@${project}.iam.gserviceaccount.com`;
    return {
      project,
      email,
      uniqueId: gcpId(`sa:${email}`).slice(0, 21),
      displayName: account,
      disabled: false,
      keys: keys.map(([keyType, age], n) => ({
        id: keyId(`${email}/${n}`),
        keyType,
        validAfter: ago(now, age),
        validBefore: keyType === 'USER_MANAGED' ? new Date('9999-12-31T23:59:59Z') : ago(now, age - 90),
        disabled: false,
      })),
    };
  };
  const serviceAccounts: GcpServiceAccount[] = [
    sa('acme-prod', 'deploy-bot', [
      ['USER_MANAGED', 200],
      ['SYSTEM_MANAGED', 3],
    ]),
    sa('acme-prod', 'web-runtime', [['SYSTEM_MANAGED', 10]]),
    sa('acme-dev', 'ci-runner', [['USER_MANAGED', 20]]),
  ];

  return {
    projects: gcpSandboxProjects.map((id) => ({ id, number: gcpId(`project:${id}`).slice(0, 12) })),
    machineTypes: gcpSandboxMachineTypes(),
    instances,
    disks,
    snapshots,
    addresses,
    firewalls,
    buckets,
    serviceAccounts,
    operations: [],
  };
};

/**
 * Adds `count` running e2-small instances named `bulk-00001`… to one project and zone (pagination
 * tests and benches). Same arguments, same instances.
 */
export const addBulkInstances = (fleet: GcpFleet, project: string, zone: string, count: number, now: Date): void => {
  for (let n = 1; n <= count; n++) {
    const name = `bulk-${String(n).padStart(5, '0')}`;
    fleet.instances.push({
      project,
      zone,
      name,
      id: gcpId(`${project}/${zone}/${name}`),
      machineType: 'e2-small',
      status: 'RUNNING',
      labels: { env: n % 2 ? 'prod' : 'dev', service: 'bulk' },
      created: now,
      disks: [],
      networkIp: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`,
    });
  }
};

/** Adds `count` unattached 10 GB pd-balanced disks named `bulk-disk-00001`… (benches). */
export const addBulkDisks = (fleet: GcpFleet, project: string, zone: string, count: number, now: Date): void => {
  for (let n = 1; n <= count; n++) {
    const name = `bulk-disk-${String(n).padStart(5, '0')}`;
    fleet.disks.push({
      project,
      zone,
      name,
      id: gcpId(`disk:${project}/${zone}/${name}`),
      sizeGb: 10,
      type: 'pd-balanced',
      users: [],
      labels: { env: n % 2 ? 'prod' : 'dev', service: 'bulk' },
      created: now,
    });
  }
};
