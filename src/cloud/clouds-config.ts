import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { createRequire } from 'node:module';
import { zodIssueLines } from '../errors.ts';

/**
 * Which accounts, subscriptions, projects and clusters the inventory covers, beyond the single
 * AWS account the AWS_* variables describe: a YAML or JSON file named by CLOUDS_FILE. Secrets
 * never go in it: each SDK reads its own credentials (AWS's default chain and roles assumed
 * through STS, AZURE_CLIENT_SECRET or a managed identity, GOOGLE_APPLICATION_CREDENTIALS, the
 * kubeconfig's users).
 */

const region = z
  .string()
  .trim()
  .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region name like eu-west-1');

export const AwsAccountConfig = z
  .object({
    /** What people call it (`prod`, `shared-services`); the source keys use it. */
    name: z
      .string()
      .trim()
      .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/, 'letters, digits, _ . - (up to 63)'),
    /** Assumed through STS for this account; absent: the default credentials' own account. */
    roleArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, 'must be an IAM role ARN')
      .optional(),
    externalId: z.string().min(2).max(1224).optional(),
    regions: z.array(region).min(1),
  })
  .strict();

export const CloudsFile = z
  .object({
    aws: z
      .object({ accounts: z.array(AwsAccountConfig).min(1) })
      .strict()
      .optional(),
    azure: z
      .object({
        subscriptions: z.array(z.object({ id: z.uuid(), name: z.string().min(1).max(64).optional() }).strict()).min(1),
        /** With clientId (and AZURE_CLIENT_SECRET in the environment): a service principal; else DefaultAzureCredential. */
        tenantId: z.string().min(1).optional(),
        clientId: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    gcp: z
      .object({
        projects: z
          .array(
            z
              .object({
                id: z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'must be a GCP project id'),
                name: z.string().min(1).max(64).optional(),
              })
              .strict(),
          )
          .min(1),
        /** A service-account key file; absent: Application Default Credentials. */
        keyFile: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    kubernetes: z
      .object({
        /** Path of the kubeconfig; absent: KUBECONFIG, else ~/.kube/config. */
        kubeconfig: z.string().min(1).optional(),
        /** Contexts to inventory; absent: every context in the file. */
        contexts: z.array(z.string().min(1)).min(1).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type CloudsFile = z.infer<typeof CloudsFile>;

/** Reads and checks CLOUDS_FILE; each problem becomes one line naming it. */
export const readCloudsFile = (file: string, problems: string[]): CloudsFile | undefined => {
  let doc: unknown;
  try {
    const text = readFileSync(file, 'utf8');
    // The YAML parser loads only for a YAML file: start-up does not pay for it otherwise.
    doc = /\.json$/i.test(file)
      ? JSON.parse(text)
      : (createRequire(import.meta.url)('yaml') as typeof import('yaml')).parse(text);
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    problems.push(`CLOUDS_FILE: cannot read ${file}: ${why}`);
    return undefined;
  }
  const parsed = CloudsFile.safeParse(doc ?? {});
  if (!parsed.success) {
    problems.push(...zodIssueLines(parsed.error, '(root)').map((l) => `CLOUDS_FILE ${file}: ${l}`));
    return undefined;
  }
  return parsed.data;
};
