import { str } from './json.ts';
import type { JsonService } from './json.ts';
import { ServiceError, defined, intParam, pageOf } from './wire.ts';

/** CloudWatch Logs over awsJson1_1 (`Logs_20140328.<Op>`): DescribeLogGroups (limit 1–50, nextToken). */

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
  },
};
