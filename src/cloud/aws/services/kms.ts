import {
  DescribeKeyCommand,
  GetKeyRotationStatusCommand,
  KMSClient,
  paginateListAliases,
  paginateListKeys,
  paginateListResourceTags,
} from '@aws-sdk/client-kms';
import type { KeyListEntry, KeyMetadata } from '@aws-sdk/client-kms';
import { instrumentAwsClient } from '../clients.ts';
import { clampPage, isoOrNull, listing, mapLimit, row, settingsFor } from './common.ts';
import type { AwsServiceLister } from './types.ts';

/**
 * KMS keys (`kms_key`) of one region, id the key id, named by their first alias. Rotation is read
 * only where a customer can turn it on (customer-managed symmetric keys in KMS, not pending
 * deletion); AWS rotates its own managed keys and refuses the call for them (`rotationEnabled: null`).
 * Keys cost money ($1 a month each) but the price table has no kind for them yet: `priced: false`.
 */

const rotatable = (m: { KeyManager?: string; KeySpec?: string; Origin?: string; KeyState?: string }) =>
  m.KeyManager === 'CUSTOMER' &&
  (m.KeySpec ?? 'SYMMETRIC_DEFAULT') === 'SYMMETRIC_DEFAULT' &&
  (m.Origin ?? 'AWS_KMS') === 'AWS_KMS' &&
  m.KeyState !== 'PendingDeletion' &&
  m.KeyState !== 'PendingImport';

export const kmsLister: AwsServiceLister = {
  service: 'kms',
  scope: 'regional',
  list: (ctx) =>
    listing(`listing KMS keys in ${ctx.region}`, async () => {
      const client = instrumentAwsClient(new KMSClient(settingsFor(ctx)), ctx.metrics);
      const opts = { abortSignal: ctx.signal };
      const pageSize = clampPage(ctx, 1, 1000);
      try {
        const keys: KeyListEntry[] = [];
        for await (const page of paginateListKeys({ client, pageSize }, {}, opts)) keys.push(...(page.Keys ?? []));
        const aliases = new Map<string, string[]>();
        for await (const page of paginateListAliases({ client, pageSize }, {}, opts))
          for (const a of page.Aliases ?? [])
            if (a.TargetKeyId && a.AliasName)
              aliases.set(a.TargetKeyId, [...(aliases.get(a.TargetKeyId) ?? []), a.AliasName]);
        return await mapLimit(keys, 4, async (k) => {
          const out = await client.send(new DescribeKeyCommand({ KeyId: k.KeyId }), opts);
          const m: Partial<KeyMetadata> = out.KeyMetadata ?? {};
          const rotation = rotatable(m)
            ? await client.send(new GetKeyRotationStatusCommand({ KeyId: k.KeyId }), opts)
            : undefined;
          const tags: Record<string, string> = {};
          // AWS-managed keys carry no tags of the customer's.
          if (m.KeyManager === 'CUSTOMER')
            for await (const page of paginateListResourceTags(
              { client, pageSize: Math.min(pageSize, 50) },
              { KeyId: k.KeyId },
              opts,
            ))
              for (const t of page.Tags ?? []) if (t.TagKey) tags[t.TagKey] = t.TagValue ?? '';
          const id = m.KeyId ?? k.KeyId ?? 'unknown';
          const names = aliases.get(id) ?? [];
          return row(ctx, {
            type: 'kms_key',
            id,
            name: names[0] ?? id,
            tags,
            state: (m.KeyState ?? 'unknown').replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase(),
            monthlyCostCents: undefined,
            attributes: {
              arn: m.Arn ?? k.KeyArn ?? null,
              aliases: names,
              keyManager: m.KeyManager ?? null,
              keyState: m.KeyState ?? null,
              keySpec: m.KeySpec ?? null,
              keyUsage: m.KeyUsage ?? null,
              origin: m.Origin ?? null,
              description: m.Description ?? '',
              rotationEnabled: rotation ? (rotation.KeyRotationEnabled ?? false) : null,
              rotationPeriodInDays: rotation?.RotationPeriodInDays ?? null,
              creationDate: isoOrNull(m.CreationDate),
              multiRegion: m.MultiRegion ?? false,
            },
          });
        });
      } finally {
        client.destroy();
      }
    }),
};
