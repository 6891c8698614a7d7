import {
  ConfigServiceClient,
  DescribeConfigurationRecorderStatusCommand,
  DescribeConfigurationRecordersCommand,
} from '@aws-sdk/client-config-service';
import { instrumentAwsClient } from '../clients.ts';
import { isoOrNull, listing, row, settingsFor } from './common.ts';
import type { AwsServiceLister } from './types.ts';

/**
 * AWS Config recorders (`config_recorder`) of one region, id `recorder/<region>/<name>`. A region
 * without any recorder still gets one row, id `recorder/<region>`, state `absent` (attributes
 * `absent: true`, `recording: false`), so a scan can say "Config is not recording in eu-west-1"
 * from the inventory alone instead of inferring it from a missing row. Neither call is paged on AWS.
 */
export const configLister: AwsServiceLister = {
  service: 'config',
  scope: 'regional',
  list: (ctx) =>
    listing(`listing AWS Config recorders in ${ctx.region}`, async () => {
      const client = instrumentAwsClient(new ConfigServiceClient(settingsFor(ctx)), ctx.metrics);
      const opts = { abortSignal: ctx.signal };
      try {
        const [{ ConfigurationRecorders: recorders = [] }, { ConfigurationRecordersStatus: statuses = [] }] =
          await Promise.all([
            client.send(new DescribeConfigurationRecordersCommand({}), opts),
            client.send(new DescribeConfigurationRecorderStatusCommand({}), opts),
          ]);
        if (recorders.length === 0)
          return [
            row(ctx, {
              type: 'config_recorder',
              id: `recorder/${ctx.region}`,
              name: 'none',
              state: 'absent',
              priceless: true,
              attributes: {
                absent: true,
                recording: false,
                allSupported: false,
                includeGlobalResourceTypes: false,
                lastStatus: null,
              },
            }),
          ];
        return recorders.map((r) => {
          const status = statuses.find((s) => s.name === r.name);
          const recording = status?.recording ?? false;
          return row(ctx, {
            type: 'config_recorder',
            id: `recorder/${ctx.region}/${r.name ?? 'default'}`,
            name: r.name ?? 'default',
            state: recording ? 'recording' : 'stopped',
            priceless: true,
            attributes: {
              absent: false,
              recording,
              allSupported: r.recordingGroup?.allSupported ?? false,
              includeGlobalResourceTypes: r.recordingGroup?.includeGlobalResourceTypes ?? false,
              resourceTypes: r.recordingGroup?.resourceTypes ?? [],
              roleArn: r.roleARN ?? null,
              lastStatus: status?.lastStatus ?? null,
              lastErrorCode: status?.lastErrorCode ?? null,
              lastStartTime: isoOrNull(status?.lastStartTime),
            },
          });
        });
      } finally {
        client.destroy();
      }
    }),
};
