import {
  instanceOf,
  instanceXml,
  instancesIn,
  seen,
  settleDue,
  snapshotOf,
  snapshotXml,
  snapshotsIn,
} from './rds-common.ts';
import type { QueryHandler } from './rds-common.ts';
import { rdsChangeHandlers } from './rds-changes.ts';
import { ServiceError, defined, intParam, pageOf, xmlList } from './wire.ts';
import type { Params } from './wire.ts';

/**
 * RDS over its Query API (form POST, version 2014-10-31, XML with named list members: `DBInstance`,
 * `DBSnapshot`, `Tag`): DescribeDBInstances, DescribeDBSnapshots, DescribeDBSnapshotAttributes, and
 * DeleteDBSnapshot (manual snapshots only, as RDS allows); the changes a disaster-recovery run makes
 * are in ./rds-changes.ts. Statuses that take time (creating, modifying, deleting) settle by the
 * sandbox's clock or after describes that saw them (./settle.ts).
 */

export type { QueryHandler };
export const rdsVersion = '2014-10-31';
export const rdsNamespace = 'http://rds.amazonaws.com/doc/2014-10-31/';

/** RDS refuses MaxRecords outside 20–100 (the SDK's paginator sends pageSize as MaxRecords). */
const maxRecords = (params: Params): number | undefined => {
  const bad = () =>
    new ServiceError(
      'InvalidParameterValue',
      `Invalid value ${params.MaxRecords} for MaxRecords. Must be between 20 and 100`,
    );
  const n = intParam(params.MaxRecords, bad);
  if (n !== undefined && (n < 20 || n > 100)) throw bad();
  return n;
};
const badMarker = () => new ServiceError('InvalidParameterValue', 'The marker is not valid.');

export const rdsHandlers: Record<string, QueryHandler> = {
  DescribeDBInstances: (call, params) => {
    settleDue(call);
    const all = params.DBInstanceIdentifier ? [instanceOf(call, params.DBInstanceIdentifier)] : instancesIn(call);
    const page = pageOf(all, params.Marker, maxRecords(params), call, badMarker());
    const answer = defined({
      DBInstances: xmlList(
        'DBInstance',
        page.items.map((i) => instanceXml(call, i)),
      ),
      Marker: page.next,
    });
    seen(page.items);
    return answer;
  },
  DescribeDBSnapshots: (call, params) => {
    settleDue(call);
    const all = params.DBSnapshotIdentifier
      ? [snapshotOf(call, params.DBSnapshotIdentifier)]
      : snapshotsIn(call).filter(
          (s) =>
            (!params.SnapshotType || s.type === params.SnapshotType) &&
            (!params.DBInstanceIdentifier || s.instanceId === params.DBInstanceIdentifier),
        );
    const page = pageOf(all, params.Marker, maxRecords(params), call, badMarker());
    const answer = defined({
      DBSnapshots: xmlList(
        'DBSnapshot',
        page.items.map((s) => snapshotXml(call, s)),
      ),
      Marker: page.next,
    });
    seen(page.items);
    return answer;
  },
  DeleteDBSnapshot: (call, params) => {
    settleDue(call);
    const s = snapshotOf(call, params.DBSnapshotIdentifier);
    // RDS deletes automated snapshots itself, with their retention period or their instance.
    if (s.type !== 'manual') throw new ServiceError('InvalidDBSnapshotState', 'Only manual snapshots may be deleted.');
    if (s.status === 'creating')
      throw new ServiceError('InvalidDBSnapshotState', `DBSnapshot ${s.id} is still being created.`);
    call.account.dbSnapshots.splice(call.account.dbSnapshots.indexOf(s), 1);
    return { DBSnapshot: { ...snapshotXml(call, s), Status: 'deleted' } };
  },
  DescribeDBSnapshotAttributes: (call, params) => {
    const s = snapshotOf(call, params.DBSnapshotIdentifier);
    return {
      DBSnapshotAttributesResult: {
        DBSnapshotIdentifier: s.id,
        DBSnapshotAttributes: {
          DBSnapshotAttribute: [{ AttributeName: 'restore', AttributeValues: xmlList('AttributeValue', s.restore) }],
        },
      },
    };
  },
  ...rdsChangeHandlers,
};
