import type { SandboxKmsKey } from './model.ts';
import { str } from './json.ts';
import type { JsonService } from './json.ts';
import { ServiceError, epochSeconds, intParam, pageOf } from './wire.ts';
import type { ServiceCall } from './wire.ts';

/**
 * KMS over awsJson1_1 (`TrentService.<Op>`): ListKeys, ListAliases and ListResourceTags (Limit/Marker, Truncated/NextMarker),
 * DescribeKey, GetKeyRotationStatus (refused for AWS-managed keys, as KMS does), and Enable/DisableKeyRotation,
 * which KMS refuses for AWS-managed keys and for keys that are not enabled.
 */

const keyArn = (call: ServiceCall, k: SandboxKmsKey) => `arn:aws:kms:${k.region}:${call.account.accountId}:key/${k.id}`;

const keyOf = (call: ServiceCall, id: string | undefined): SandboxKmsKey => {
  const k = call.account.kmsKeys.find((x) => x.region === call.region && (x.id === id || keyArn(call, x) === id));
  if (!k) throw new ServiceError('NotFoundException', `Key '${id ?? ''}' does not exist`);
  return k;
};

/** A key whose rotation the caller may change: customer-managed and enabled. */
const rotatableKey = (call: ServiceCall, id: string | undefined, op: string): SandboxKmsKey => {
  const k = keyOf(call, id);
  if (k.manager === 'AWS')
    throw new ServiceError(
      'AccessDeniedException',
      `User is not authorized to perform kms:${op} on AWS managed key ${keyArn(call, k)}`,
    );
  if (k.state !== 'Enabled') throw new ServiceError('KMSInvalidStateException', `${keyArn(call, k)} is ${k.state}.`);
  return k;
};

const limit = (input: Record<string, unknown>) => {
  const bad = () => new ServiceError('ValidationException', 'Limit must be between 1 and 1000');
  const n = intParam(input.Limit, bad);
  if (n !== undefined && (n < 1 || n > 1000)) throw bad();
  return n;
};
const badMarker = () => new ServiceError('InvalidMarkerException', 'Invalid marker');

const truncated = <T>(page: { items: T[]; next?: string }) =>
  page.next ? { NextMarker: page.next, Truncated: true } : { Truncated: false };

export const kmsService: JsonService = {
  targetPrefix: 'TrentService',
  handlers: {
    ListKeys: (call, input) => {
      const keys = call.account.kmsKeys.filter((k) => k.region === call.region);
      const page = pageOf(keys, str(input.Marker), limit(input), call, badMarker());
      return { Keys: page.items.map((k) => ({ KeyId: k.id, KeyArn: keyArn(call, k) })), ...truncated(page) };
    },
    ListAliases: (call, input) => {
      const aliases = call.account.kmsKeys
        .filter((k) => k.region === call.region)
        .flatMap((k) =>
          k.aliases.map((a) => ({
            AliasName: a,
            AliasArn: `arn:aws:kms:${k.region}:${call.account.accountId}:${a}`,
            TargetKeyId: k.id,
          })),
        );
      const page = pageOf(aliases, str(input.Marker), limit(input), call, badMarker());
      return { Aliases: page.items, ...truncated(page) };
    },
    DescribeKey: (call, input) => {
      const k = keyOf(call, str(input.KeyId));
      return {
        KeyMetadata: {
          AWSAccountId: call.account.accountId,
          KeyId: k.id,
          Arn: keyArn(call, k),
          CreationDate: epochSeconds(k.createDate),
          Enabled: k.state === 'Enabled',
          Description: k.description,
          KeyUsage: 'ENCRYPT_DECRYPT',
          KeyState: k.state,
          Origin: 'AWS_KMS',
          KeyManager: k.manager,
          CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT',
          KeySpec: 'SYMMETRIC_DEFAULT',
          EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
          MultiRegion: false,
        },
      };
    },
    ListResourceTags: (call, input) => {
      const k = keyOf(call, str(input.KeyId));
      const tags = Object.entries(k.tags).map(([TagKey, TagValue]) => ({ TagKey, TagValue }));
      const page = pageOf(tags, str(input.Marker), limit(input), call, badMarker());
      return { Tags: page.items, ...truncated(page) };
    },
    GetKeyRotationStatus: (call, input) => {
      const k = keyOf(call, str(input.KeyId));
      if (k.manager === 'AWS')
        throw new ServiceError(
          'AccessDeniedException',
          `User is not authorized to perform kms:GetKeyRotationStatus on AWS managed key ${keyArn(call, k)}`,
        );
      return {
        KeyRotationEnabled: k.rotation,
        KeyId: keyArn(call, k),
        ...(k.rotation ? { RotationPeriodInDays: 365 } : {}),
      };
    },
    EnableKeyRotation: (call, input) => {
      rotatableKey(call, str(input.KeyId), 'EnableKeyRotation').rotation = true;
      return {};
    },
    DisableKeyRotation: (call, input) => {
      rotatableKey(call, str(input.KeyId), 'DisableKeyRotation').rotation = false;
      return {};
    },
  },
};
