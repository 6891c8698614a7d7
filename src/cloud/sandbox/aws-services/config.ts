import type { SandboxRecorder } from './model.ts';
import type { JsonService } from './json.ts';
import { defined, epochSeconds } from './wire.ts';
import type { ServiceCall } from './wire.ts';

/**
 * AWS Config over awsJson1_1 (`StarlingDoveService.<Op>`): DescribeConfigurationRecorders and
 * DescribeConfigurationRecorderStatus. Neither is paged on AWS (a region has at most one recorder
 * of the account's own), so neither is here.
 */

const inRegion = (call: ServiceCall): SandboxRecorder[] =>
  call.account.recorders.filter((r) => r.region === call.region);

export const configService: JsonService = {
  targetPrefix: 'StarlingDoveService',
  handlers: {
    DescribeConfigurationRecorders: (call) => ({
      ConfigurationRecorders: inRegion(call).map((r) => ({
        name: r.name,
        roleARN: r.roleArn,
        recordingGroup: {
          allSupported: r.allSupported,
          includeGlobalResourceTypes: r.includeGlobalResourceTypes,
          resourceTypes: [],
        },
      })),
    }),
    DescribeConfigurationRecorderStatus: (call) => ({
      ConfigurationRecordersStatus: inRegion(call).map((r) =>
        defined({
          name: r.name,
          recording: r.recording,
          lastStatus: r.lastStatus,
          lastStartTime: r.lastStartTime ? epochSeconds(r.lastStartTime) : undefined,
          lastStatusChangeTime: r.lastStartTime ? epochSeconds(r.lastStartTime) : undefined,
        }),
      ),
    }),
  },
};
