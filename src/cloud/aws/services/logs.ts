import { CloudWatchLogsClient, paginateDescribeLogGroups } from '@aws-sdk/client-cloudwatch-logs';
import { monthlyCents } from '../../pricing/index.ts';
import type { Resource } from '../../resource.ts';
import { instrumentAwsClient } from '../clients.ts';
import { clampPage, listing, row, settingsFor } from './common.ts';
import type { AwsServiceLister } from './types.ts';

/**
 * CloudWatch Logs log groups (`log_group`) of one region, id `log-group/<region>/<name>` (names
 * repeat across regions). `retentionInDays: null` means the group never expires. The monthly cost is
 * its stored bytes at the `log_storage`/`stored` price (GB-month); unpriced until the table has it.
 */

const bytesPerGb = 1024 ** 3;

export const logsLister: AwsServiceLister = {
  service: 'logs',
  scope: 'regional',
  list: (ctx) =>
    listing(`listing CloudWatch log groups in ${ctx.region}`, async () => {
      const client = instrumentAwsClient(new CloudWatchLogsClient(settingsFor(ctx)), ctx.metrics);
      try {
        const rows: Resource[] = [];
        const pages = paginateDescribeLogGroups(
          { client, pageSize: clampPage(ctx, 1, 50) },
          {},
          { abortSignal: ctx.signal },
        );
        for await (const page of pages)
          for (const g of page.logGroups ?? []) {
            const name = g.logGroupName ?? 'unknown';
            const storedBytes = g.storedBytes ?? 0;
            rows.push(
              row(ctx, {
                type: 'log_group',
                id: `log-group/${ctx.region}/${name}`,
                name,
                state: 'active',
                monthlyCostCents: monthlyCents('aws', 'log_storage', 'stored', ctx.region, storedBytes / bytesPerGb),
                attributes: {
                  arn: g.logGroupArn ?? g.arn ?? null,
                  retentionInDays: g.retentionInDays ?? null,
                  storedBytes,
                  kmsKeyId: g.kmsKeyId ?? null,
                  logGroupClass: g.logGroupClass ?? null,
                  creationTime: g.creationTime !== undefined ? new Date(g.creationTime).toISOString() : null,
                },
              }),
            );
          }
        return rows;
      } finally {
        client.destroy();
      }
    }),
};
