import { str } from './json.ts';
import type { JsonService } from './json.ts';
import { ServiceError, defined, intParam, pageOf } from './wire.ts';
import type { ServiceCall } from './wire.ts';
import type { SandboxLogGroup } from './model.ts';

/**
 * CloudWatch Logs over awsJson1_1 (`Logs_20140328.<Op>`): DescribeLogGroups (limit 1–50, nextToken),
 * and PutRetentionPolicy / DeleteRetentionPolicy, which change the group's `retentionInDays`.
 */

/** The periods PutRetentionPolicy accepts; any other is refused. */
const retentionValues = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

const groupOf = (call: ServiceCall, name: unknown): SandboxLogGroup => {
  const wanted = str(name);
  if (!wanted)
    throw new ServiceError(
      'InvalidParameterException',
      "1 validation error detected: Value null at 'logGroupName' failed to satisfy constraint: Member must not be null",
    );
  const g = call.account.logGroups.find((x) => x.region === call.region && x.name === wanted);
  if (!g) throw new ServiceError('ResourceNotFoundException', 'The specified log group does not exist.');
  return g;
};

export const logsService: JsonService = {
  targetPrefix: 'Logs_20140328',
  handlers: {
    DescribeLogGroups: (call, input) => {
      const bad = () =>
        new ServiceError(
          'InvalidParameterException',
          "1 validation error detected: Value at 'limit' failed to satisfy constraint: Member must have value less than or equal to 50",
        );
      const asked = intParam(input.limit, bad);
      if (asked !== undefined && (asked < 1 || asked > 50)) throw bad();
      const prefix = str(input.logGroupNamePrefix) ?? '';
      const groups = call.account.logGroups
        .filter((g) => g.region === call.region && g.name.startsWith(prefix))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const page = pageOf(
        groups,
        str(input.nextToken),
        asked ?? 50,
        call,
        new ServiceError('InvalidParameterException', 'The specified nextToken is invalid.'),
      );
      return defined({
        logGroups: page.items.map((g) =>
          defined({
            logGroupName: g.name,
            creationTime: g.createTime.getTime(),
            retentionInDays: g.retentionInDays,
            metricFilterCount: 0,
            arn: `arn:aws:logs:${g.region}:${call.account.accountId}:log-group:${g.name}:*`,
            logGroupArn: `arn:aws:logs:${g.region}:${call.account.accountId}:log-group:${g.name}`,
            storedBytes: g.storedBytes,
            kmsKeyId: g.kmsKeyId,
            logGroupClass: 'STANDARD',
          }),
        ),
        nextToken: page.next,
      });
    },
    PutRetentionPolicy: (call, input) => {
      const days = input.retentionInDays;
      if (typeof days !== 'number' || !retentionValues.includes(days))
        throw new ServiceError(
          'InvalidParameterException',
          `1 validation error detected: Value '${String(days)}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [${retentionValues.join(', ')}]`,
        );
      groupOf(call, input.logGroupName).retentionInDays = days;
      return {};
    },
    DeleteRetentionPolicy: (call, input) => {
      delete groupOf(call, input.logGroupName).retentionInDays;
      return {};
    },
  },
};
