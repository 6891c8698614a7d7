import type { protos } from '@google-cloud/compute';
import { AppError, badRequest, conflict } from '../../errors.ts';
import type { ActionResult, ResourceAction } from '../provider.ts';
import { z } from 'zod';
import { translateGcpError } from './errors.ts';
import { ServiceAccountKey } from './normalize.ts';
import type { GcpClients } from './types.ts';

/**
 * The scanner's fixes on GCP (src/scans/rules/gcp.ts, cost.ts): delete a firewall rule that opens
 * SSH/RDP to the Internet, snapshot and delete an unattached disk, delete a snapshot, release a reserved address, enforce a bucket's public
 * access prevention. Compute deletes answer a global or region Operation, waited on like the
 * instance actions' zone Operations; each resource is read first, so one that vanished after the
 * plan fails with not_found before anything is sent, and what it was is recorded for rollback.
 */

type Operation = protos.google.cloud.compute.v1.IOperation;

export interface FixContext {
  maxWaits: number;
  /** Names the snapshot taken before a disk is deleted. */
  now: () => Date;
  progress: (step: string) => void;
}

const lro = (p: Promise<unknown>): Promise<Operation> =>
  p.then((r) => (r as [{ latestResponse: Operation }])[0].latestResponse);

/** Where an Operation lives: a zone, a region, or global (neither). */
interface OperationScope {
  zone?: string;
  region?: string;
}

/** Waits on a zone, region or global Operation until DONE; throws its error, if any. */
const waitDone = async (
  c: GcpClients,
  project: string,
  { zone, region }: OperationScope,
  op: Operation,
  ctx: FixContext,
): Promise<void> => {
  let current = op;
  for (let round = 1; current.status !== 'DONE'; round++) {
    if (round > ctx.maxWaits)
      throw new AppError(
        'cloud_error',
        `Google's ${current.operationType ?? ''} operation ${current.name ?? ''} was still ${current.status ?? 'running'} after ${ctx.maxWaits} waits; it may still finish, check the console.`,
      );
    ctx.progress(`waiting for Google to finish the ${current.operationType ?? ''} operation (check ${round})`);
    const operation = current.name ?? '';
    const [next] = zone
      ? await c.timed('zoneOperations.wait', () => c.zoneOperations.wait({ project, zone, operation }, c.readOptions))
      : region
        ? await c.timed('regionOperations.wait', () =>
            c.regionOperations.wait({ project, region, operation }, c.readOptions),
          )
        : await c.timed('globalOperations.wait', () => c.globalOperations.wait({ project, operation }, c.readOptions));
    current = next;
  }
  const failure = current.error?.errors?.[0];
  if (failure)
    throw new AppError(
      'cloud_error',
      `Google's ${current.operationType ?? ''} operation failed: ${failure.message ?? failure.code ?? 'unknown error'}`,
    );
};

/** A read that answers null for a resource that no longer exists. */
const readOrNull = async <T>(read: () => Promise<T>, doing: string, project: string): Promise<T | null> => {
  try {
    return await read();
  } catch (e) {
    const err = translateGcpError(e, doing, project);
    if (err.code === 'not_found') return null;
    throw err;
  }
};

const gone = (what: string): AppError =>
  new AppError(
    'not_found',
    `${what} no longer exists: it was deleted or renamed after the change was planned. Nothing was changed.`,
  );

const segment = (id: string, pattern: RegExp, expected: string): string[] => {
  const m = pattern.exec(id);
  if (!m) throw badRequest(`“${id}” is not a ${expected} id here.`);
  return m.slice(1);
};

const revokeIngress = async (c: GcpClients, action: ResourceAction, ctx: FixContext): Promise<ActionResult> => {
  const project = action.target.account;
  const [name] = segment(action.target.id, /^global\/firewalls\/([a-z][-a-z0-9]{0,62})$/, 'firewall rule');
  const named = (action.params.rules ?? '').split(',').map((r) => r.trim());
  if (!named.includes(name!))
    throw badRequest(`revoke_ingress names rules ${action.params.rules}, not the firewall rule ${name} it acts on.`);
  const label = `Firewall rule ${name} (project ${project})`;
  const [before] =
    (await readOrNull(
      () => c.timed('firewalls.get', () => c.firewalls.get({ project, firewall: name }, c.readOptions)),
      `reading firewall rule ${name}`,
      project,
    )) ?? [];
  if (!before) throw gone(label);
  ctx.progress(`deleting firewall rule ${name}`);
  const op = await c.timed('firewalls.delete', () =>
    lro(c.firewalls.delete({ project, firewall: name }, c.writeOptions)),
  );
  await waitDone(c, project, {}, op, ctx);
  const allowed = (before.allowed ?? [])
    .map((a) => `${a.IPProtocol ?? 'all'}${a.ports?.length ? `:${a.ports.join(',')}` : ''}`)
    .join(' ');
  return {
    summary: `${label} deleted: it allowed ${allowed || 'nothing'} from ${(before.sourceRanges ?? []).join(', ') || 'no range'}`,
    newState: 'deleted',
    previous: {
      firewall: name!,
      network: before.network?.split('/').pop() ?? '',
      direction: before.direction ?? 'INGRESS',
      priority: String(before.priority ?? 1000),
      sourceRanges: (before.sourceRanges ?? []).join(','),
      allowed,
      targetTags: (before.targetTags ?? []).join(','),
    },
  };
};

const deleteSnapshot = async (c: GcpClients, action: ResourceAction, ctx: FixContext): Promise<ActionResult> => {
  const project = action.target.account;
  const [name] = segment(action.target.id, /^global\/snapshots\/([a-z][-a-z0-9]{0,62})$/, 'snapshot');
  const label = `Snapshot ${name} (project ${project})`;
  const [before] =
    (await readOrNull(
      () => c.timed('snapshots.get', () => c.snapshots.get({ project, snapshot: name }, c.readOptions)),
      `reading snapshot ${name}`,
      project,
    )) ?? [];
  if (!before) throw gone(label);
  ctx.progress(`deleting snapshot ${name}`);
  const op = await c.timed('snapshots.delete', () =>
    lro(c.snapshots.delete({ project, snapshot: name }, c.writeOptions)),
  );
  await waitDone(c, project, {}, op, ctx);
  const source = before.sourceDisk?.replace(/^.*\/zones\//, 'zones/') ?? '';
  return {
    summary: `${label} deleted${source ? ` (it was taken of ${source})` : ''}`,
    newState: 'deleted',
    previous: { snapshot: name!, sourceDisk: source },
  };
};

const releaseAddress = async (c: GcpClients, action: ResourceAction, ctx: FixContext): Promise<ActionResult> => {
  const project = action.target.account;
  const [region, name] = segment(
    action.target.id,
    /^regions\/([a-z]+-[a-z]+\d+)\/addresses\/([a-z][-a-z0-9]{0,62})$/,
    'regional address',
  );
  const label = `Address ${name} (${region}, project ${project})`;
  const [before] =
    (await readOrNull(
      () => c.timed('addresses.get', () => c.addresses.get({ project, region, address: name }, c.readOptions)),
      `reading address ${name} in ${region}`,
      project,
    )) ?? [];
  if (!before) throw gone(label);
  if (before.users?.length)
    throw conflict(
      `${label} is in use by ${before.users.map((u) => u.replace(/^.*\/zones\//, 'zones/')).join(', ')}; nothing was released.`,
    );
  ctx.progress(`releasing address ${name}`);
  const op = await c.timed('addresses.delete', () =>
    lro(c.addresses.delete({ project, region, address: name }, c.writeOptions)),
  );
  await waitDone(c, project, { region }, op, ctx);
  return {
    summary: `${label} released${before.address ? ` (${before.address} is gone for good)` : ''}`,
    newState: 'released',
    previous: { address: before.address ?? '', status: before.status ?? '' },
  };
};

/** GCS reports `unspecified` for buckets created before `inherited` existed; both mean "follow the org policy". */
const preventionOf = (value: unknown): string =>
  value === 'enforced' ? 'enforced' : value === 'inherited' || value === 'unspecified' ? 'inherited' : '';

const setPublicAccessPrevention = async (c: GcpClients, action: ResourceAction): Promise<ActionResult> => {
  const project = action.target.account;
  const [name] = segment(action.target.id, /^buckets\/([a-z0-9][-_.a-z0-9]{1,221})$/, 'Cloud Storage bucket');
  const label = `Bucket ${name}`;
  // block_public_access may come without its one possible value.
  const target = action.params.publicAccessPrevention ?? 'enforced';
  const bucket = c.storage(project).bucket(name!);
  const metadata = await readOrNull(
    () => c.timed('storage.buckets.get', () => bucket.getMetadata()).then(([m]) => m),
    `reading bucket ${name}`,
    project,
  );
  if (!metadata) throw gone(label);
  const was = preventionOf(metadata.iamConfiguration?.publicAccessPrevention);
  if (was === target)
    return { summary: `${label} already has public access prevention ${target}`, newState: 'active', previous: {} };
  const [after] = await c.timed('storage.buckets.patch', () =>
    bucket.setMetadata({ iamConfiguration: { publicAccessPrevention: target } }),
  );
  return {
    summary: `${label}: public access prevention now ${preventionOf(after.iamConfiguration?.publicAccessPrevention) || target} (was ${was || 'not reported'})`,
    newState: 'active',
    previous: was ? { publicAccessPrevention: was } : {},
  };
};

/** `<disk>-<yyyymmddhhmmss>`, within GCE's 63 characters. */
const snapshotName = (disk: string, at: Date): string =>
  `${disk.slice(0, 48)}-${at.toISOString().replace(/\D/g, '').slice(0, 14)}`;

/** Snapshot an unattached disk, wait for it, then delete the disk (the snapshot stays). */
const snapshotAndDelete = async (c: GcpClients, action: ResourceAction, ctx: FixContext): Promise<ActionResult> => {
  const project = action.target.account;
  const [zone, name] = segment(
    action.target.id,
    /^zones\/([a-z]+-[a-z]+\d+-[a-z])\/disks\/([a-z][-a-z0-9]{0,62})$/,
    'persistent disk',
  );
  const label = `Disk ${name} (${zone}, project ${project})`;
  const [before] =
    (await readOrNull(
      () => c.timed('disks.get', () => c.disks.get({ project, zone, disk: name }, c.readOptions)),
      `reading disk ${name} in ${zone}`,
      project,
    )) ?? [];
  if (!before) throw gone(label);
  if (before.users?.length)
    throw conflict(
      `${label} is attached to ${before.users.map((u) => u.replace(/^.*\/instances\//, '')).join(', ')}; detach it first. Nothing was changed.`,
    );
  const snapshot = snapshotName(name!, ctx.now());
  ctx.progress(`snapshotting disk ${name} as ${snapshot}`);
  const snap = await c.timed('disks.createSnapshot', () =>
    lro(c.disks.createSnapshot({ project, zone, disk: name, snapshotResource: { name: snapshot } }, c.writeOptions)),
  );
  await waitDone(c, project, { zone }, snap, ctx);
  ctx.progress(`deleting disk ${name}`);
  const del = await c.timed('disks.delete', () => lro(c.disks.delete({ project, zone, disk: name }, c.writeOptions)));
  await waitDone(c, project, { zone }, del, ctx);
  return {
    summary: `${label} deleted after snapshot ${snapshot} completed`,
    newState: 'deleted',
    previous: { snapshotId: snapshot, zone: zone!, sizeGb: String(before.sizeGb ?? '') },
  };
};

const KeyList = z.object({ keys: z.array(ServiceAccountKey).optional() });

/** disable_key / enable_key: IAM's keys.disable and keys.enable (POST …/keys/<id>:disable). */
const setKeyEnabled = async (c: GcpClients, action: ResourceAction, enable: boolean): Promise<ActionResult> => {
  const project = action.target.account;
  const [account, keyId] = segment(
    action.target.id,
    /^serviceAccounts\/([^/]+@[^/]+)\/keys\/([0-9a-f]{8,64})$/,
    'service-account key',
  );
  const { serviceAccount, keyId: asked } = action.params;
  if ((serviceAccount && serviceAccount !== account) || (asked && asked !== keyId))
    throw badRequest(
      `The parameters name key ${asked} of ${serviceAccount}, not key ${keyId} of ${account} it acts on.`,
    );
  const label = `Key ${keyId!.slice(0, 8)} of ${account}`;
  const base = `/v1/projects/${encodeURIComponent(project)}/serviceAccounts/${encodeURIComponent(account!)}/keys`;
  const listed = KeyList.parse(
    await c.timed('iam.serviceAccounts.keys.list', () => c.iamGet(base, { keyTypes: 'USER_MANAGED' })),
  );
  const key = listed.keys?.find((k) => k.name.endsWith(`/keys/${keyId}`));
  if (!key) throw gone(label);
  const wasDisabled = key.disabled === true;
  const state = (disabled: boolean) => (disabled ? 'inactive' : 'active');
  if (wasDisabled === !enable)
    return {
      summary: `${label} was already ${enable ? 'enabled' : 'disabled'}`,
      newState: state(wasDisabled),
      previous: {},
    };
  const verb = enable ? 'enable' : 'disable';
  await c.timed(`iam.serviceAccounts.keys.${verb}`, () => c.iamPost(`${base}/${keyId}:${verb}`, {}));
  return {
    summary: `${label} ${verb}d: ${enable ? 'it authenticates again' : 'it authenticates nothing until enabled again'}`,
    newState: state(!enable),
    previous: { state: state(wasDisabled) },
  };
};

const doingOf: Record<string, string> = {
  disable_key: 'disabling',
  enable_key: 'enabling',
  revoke_ingress: 'deleting firewall rule',
  snapshot_and_delete: 'snapshotting and deleting disk',
  delete_snapshot: 'deleting snapshot',
  release_address: 'releasing address',
  block_public_access: 'enforcing public access prevention of',
  set_public_access_prevention: 'setting public access prevention of',
};

/** `action.action` is the canonical spec name (the provider resolves aliases first). */
export const executeFixAction = async (
  c: GcpClients,
  action: ResourceAction,
  ctx: FixContext,
): Promise<ActionResult> => {
  const key = `${action.target.type}/${action.action}`;
  try {
    switch (key) {
      case 'security_group/revoke_ingress':
        return await revokeIngress(c, action, ctx);
      case 'volume/snapshot_and_delete':
        return await snapshotAndDelete(c, action, ctx);
      case 'snapshot/delete_snapshot':
        return await deleteSnapshot(c, action, ctx);
      case 'ip_address/release_address':
        return await releaseAddress(c, action, ctx);
      case 'bucket/block_public_access':
      case 'bucket/set_public_access_prevention':
        return await setPublicAccessPrevention(c, action);
      case 'access_key/disable_key':
        return await setKeyEnabled(c, action, false);
      case 'access_key/enable_key':
        return await setKeyEnabled(c, action, true);
      default:
        throw badRequest(`GCP ${action.target.type} resources have no action “${action.action}”.`);
    }
  } catch (e) {
    throw translateGcpError(
      e,
      `${doingOf[action.action] ?? action.action} ${action.target.id.split('/').pop()}`,
      action.target.account,
    );
  }
};
