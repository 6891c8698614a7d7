import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { AwsProvider } from '../../src/cloud/aws/provider.ts';
import type { AwsProviderOptions } from '../../src/cloud/aws/provider.ts';
import { awsServiceListers } from '../../src/cloud/aws/services/index.ts';
import type { AwsServiceContext, AwsServiceLister } from '../../src/cloud/aws/services/types.ts';
import type { SyncSource } from '../../src/cloud/provider.ts';
import { Resource } from '../../src/cloud/resource.ts';
import { sandboxAwsProviderOptions, sandboxStartMessage } from '../../src/cloud/sandbox/app-wiring.ts';
import { sandboxSecondAccount, sandboxSecondRoleArn } from '../../src/cloud/sandbox/fleet.ts';
import { startSandbox } from '../../src/cloud/sandbox/server.ts';
import type { Sandbox } from '../../src/cloud/sandbox/server.ts';
import { AppError } from '../../src/errors.ts';
import { rejectedAppError } from '../helpers/cloud.ts';

/**
 * Many AWS accounts through the real SDKs against the sandbox: the main account with the
 * process's own key (its id from STS GetCallerIdentity), the second through STS AssumeRole, one
 * refused role failing only its own sources.
 */

let now = new Date('2026-11-01T12:00:00Z');
let sandbox: Sandbox;
const providers: AwsProvider[] = [];

const provider = (opts: Partial<AwsProviderOptions> = {}): AwsProvider => {
  // What the app passes in sandbox mode (src/cloud/sandbox/app-wiring.ts).
  const p = new AwsProvider({
    ...sandboxAwsProviderOptions(sandbox),
    now: () => now,
    maxAttempts: 1,
    ...opts,
  } as AwsProviderOptions);
  providers.push(p);
  return p;
};

const source = (p: AwsProvider, key: string): SyncSource => {
  const s = p.sources().find((x) => x.key === key);
  if (!s) throw new Error(`no source ${key}`);
  return s;
};

beforeEach(async () => {
  now = new Date('2026-11-01T12:00:00Z');
  sandbox = await startSandbox({ now: () => now });
});
afterEach(async () => {
  for (const p of providers.splice(0)) p.destroy();
  await sandbox.stop();
});

describe('AwsProvider with many accounts', () => {
  it("lists the account services' rows of each account: the main account's, and the second account's own (none)", async () => {
    const p = provider();
    const main = await p.listSource(source(p, 'aws:sandbox:us-east-1'));
    const mainGlobal = await p.listSource(source(p, 'aws:sandbox:global'));
    expect(main.some((r) => r.type === 'database')).toBe(true);
    expect(mainGlobal.some((r) => r.type === 'iam_user')).toBe(true);
    const shared = await p.listSource(source(p, 'aws:sandbox-shared:us-east-1'));
    const sharedGlobal = await p.listSource(source(p, 'aws:sandbox-shared:global'));
    expect(shared.filter((r) => r.type === 'database')).toEqual([]);
    expect(sharedGlobal.filter((r) => r.type === 'iam_user' || r.type === 'bucket')).toEqual([]);
    expect([...shared, ...sharedGlobal].every((r) => r.account === sandboxSecondAccount)).toBe(true);
  });

  it('has a source per account × region plus one global source per account', () => {
    expect(sandboxStartMessage(sandbox)).toContain(`listening at ${sandbox.url}`);
    expect(provider().sources()).toEqual([
      {
        key: 'aws:sandbox:us-east-1',
        provider: 'aws',
        account: 'sandbox',
        region: 'us-east-1',
        label: 'AWS sandbox us-east-1',
      },
      {
        key: 'aws:sandbox:eu-west-1',
        provider: 'aws',
        account: 'sandbox',
        region: 'eu-west-1',
        label: 'AWS sandbox eu-west-1',
      },
      { key: 'aws:sandbox:global', provider: 'aws', account: 'sandbox', region: 'global', label: 'AWS sandbox global' },
      {
        key: 'aws:sandbox-shared:us-east-1',
        provider: 'aws',
        account: 'sandbox-shared',
        region: 'us-east-1',
        label: `AWS sandbox-shared (${sandboxSecondAccount}) us-east-1`,
      },
      {
        key: 'aws:sandbox-shared:eu-west-1',
        provider: 'aws',
        account: 'sandbox-shared',
        region: 'eu-west-1',
        label: `AWS sandbox-shared (${sandboxSecondAccount}) eu-west-1`,
      },
      {
        key: 'aws:sandbox-shared:global',
        provider: 'aws',
        account: 'sandbox-shared',
        region: 'global',
        label: `AWS sandbox-shared (${sandboxSecondAccount}) global`,
      },
    ]);
  });

  it("lists the second account's fleet through the assumed role, with its account id, assuming once", async () => {
    const p = provider();
    const shared = await p.listSource(source(p, 'aws:sandbox-shared:us-east-1'));
    for (const r of shared) Resource.parse(r);
    expect(new Set(shared.map((r) => r.account))).toEqual(new Set([sandboxSecondAccount]));
    expect(
      shared
        .filter((r) => r.type === 'instance')
        .map((r) => r.name)
        .sort(),
    ).toEqual(['ci-runner-1', 'ci-runner-2', 'grafana-1', 'sandbox-dev-1']);
    expect(shared.find((r) => r.name === 'ci-cache-old')).toMatchObject({
      type: 'volume',
      attributes: { attachedTo: null },
    });
    await p.listSource(source(p, 'aws:sandbox-shared:eu-west-1'));
    const assumed = sandbox.requests.filter((r) => r.action === 'AssumeRole');
    expect(assumed).toHaveLength(1);
    expect(assumed[0]?.params).toMatchObject({ RoleArn: sandboxSecondRoleArn, RoleSessionName: 'devops-agent' });
    // Every EC2 and ELB call of that account was signed with the session's key, so answered by its fleet.
    const acted = sandbox.requests.filter((r) => r.service !== 'sts');
    expect(new Set(acted.map((r) => r.account))).toEqual(new Set([sandboxSecondAccount]));

    const main = await p.listSource(source(p, 'aws:sandbox:us-east-1'));
    expect(new Set(main.map((r) => r.account))).toEqual(new Set(['123456789012']));
    expect(sandbox.requests.filter((r) => r.action === 'GetCallerIdentity')).toHaveLength(1);
  });

  it('assumes the role again shortly before its credentials expire', async () => {
    const p = provider();
    await p.listSource(source(p, 'aws:sandbox-shared:us-east-1'));
    now = new Date(now.getTime() + 50 * 60_000);
    await p.listSource(source(p, 'aws:sandbox-shared:us-east-1'));
    expect(sandbox.requests.filter((r) => r.action === 'AssumeRole')).toHaveLength(1);
    // 56 minutes in: within five minutes of the one-hour expiry.
    now = new Date(now.getTime() + 6 * 60_000);
    await p.listSource(source(p, 'aws:sandbox-shared:us-east-1'));
    expect(sandbox.requests.filter((r) => r.action === 'AssumeRole')).toHaveLength(2);
    expect(sandbox.requests.some((r) => r.errorCode === 'ExpiredToken')).toBe(false);
  });

  it('fails only the sources of an account whose role cannot be assumed, with STS’s own reason', async () => {
    const denied = 'arn:aws:iam::210987654321:role/NotTrusted';
    const p = provider({
      accounts: [
        { name: 'main', regions: ['us-east-1'] },
        { name: 'broken', roleArn: denied, regions: ['us-east-1', 'eu-west-1'] },
      ],
    });
    const results = await Promise.allSettled(p.sources().map((s) => p.listSource(s)));
    const byKey = Object.fromEntries(p.sources().map((s, i) => [s.key, results[i]!]));
    expect(byKey['aws:main:us-east-1']?.status).toBe('fulfilled');
    expect(byKey['aws:main:global']?.status).toBe('fulfilled');
    for (const key of ['aws:broken:us-east-1', 'aws:broken:eu-west-1']) {
      const r = byKey[key]!;
      expect(r.status).toBe('rejected');
      const err = (r as PromiseRejectedResult).reason as AppError;
      expect(err).toBeInstanceOf(AppError);
      expect(err.code).toBe('auth_failed');
      expect(err.userMessage).toContain(`assuming the role ${denied}`);
      expect(err.userMessage).toContain(`is not authorized to perform: sts:AssumeRole on resource: ${denied}`);
    }
    const main = (byKey['aws:main:us-east-1'] as PromiseFulfilledResult<Resource[]>).value;
    expect(main.filter((r) => r.type === 'instance')).toHaveLength(11);
    // Nothing was listed in the broken account: no EC2 call went out with its (missing) credentials.
    expect(sandbox.requests.filter((r) => r.service === 'ec2' && r.account !== '123456789012')).toEqual([]);
  });

  it('passes the ExternalId the role requires, and is refused without it', async () => {
    sandbox.roles.splice(0, sandbox.roles.length, { arn: sandboxSecondRoleArn, externalId: 'ext-42' });
    const without = provider({ accounts: [{ name: 'shared', roleArn: sandboxSecondRoleArn, regions: ['us-east-1'] }] });
    expect((await rejectedAppError(without.listSource(without.sources()[0]!))).code).toBe('auth_failed');
    const withId = provider({
      accounts: [{ name: 'shared', roleArn: sandboxSecondRoleArn, externalId: 'ext-42', regions: ['us-east-1'] }],
    });
    const listed = await withId.listSource(withId.sources()[0]!);
    expect(listed.filter((r) => r.type === 'instance')).toHaveLength(4);
    expect(sandbox.requests.filter((r) => r.action === 'AssumeRole').map((r) => r.params.ExternalId)).toEqual([
      undefined,
      'ext-42',
    ]);
  });

  it('runs the registered service listers per scope with the account, region and client settings', async () => {
    const seen: Array<{ service: string; ctx: AwsServiceContext }> = [];
    const lister = (service: string, scope: AwsServiceLister['scope']): AwsServiceLister => ({
      service,
      scope,
      list: async (ctx) => {
        seen.push({ service, ctx });
        // Acts in the account as a real lister would: its credentials reach the right fleet.
        const sts = await import('../../src/cloud/aws/sts.ts');
        const client = sts.createStsClient(ctx.client, undefined);
        try {
          expect(await sts.callerAccount(client)).toBe(ctx.account);
        } finally {
          client.destroy();
        }
        return [];
      },
    });
    // In place of the registered listers for this test only.
    const registered = awsServiceListers.splice(
      0,
      awsServiceListers.length,
      lister('rds', 'regional'),
      lister('iam', 'global'),
    );
    try {
      const p = provider({ endpoints: { rds: `${sandbox.url}/` } });
      await p.listSource(source(p, 'aws:sandbox-shared:eu-west-1'));
      await p.listSource(source(p, 'aws:sandbox-shared:global'));
    } finally {
      awsServiceListers.splice(0, awsServiceListers.length, ...registered);
    }
    expect(seen.map((s) => [s.service, s.ctx.account, s.ctx.region, s.ctx.client.endpoint])).toEqual([
      ['rds', sandboxSecondAccount, 'eu-west-1', `${sandbox.url}/`],
      ['iam', sandboxSecondAccount, 'us-east-1', sandbox.url],
    ]);
    expect(seen[0]?.ctx).toMatchObject({ sandbox: true, pageSize: 200, seenAt: now });
  });

  it("without endpoint options, every service follows the SDK's AWS_ENDPOINT_URL, and endpointInUse reports it", async () => {
    const saved = { all: process.env.AWS_ENDPOINT_URL, ec2: process.env.AWS_ENDPOINT_URL_EC2 };
    process.env.AWS_ENDPOINT_URL = sandbox.url;
    delete process.env.AWS_ENDPOINT_URL_EC2;
    try {
      const p = provider({ endpoint: undefined });
      expect(await p.endpointInUse()).toBe(sandbox.url);
      const shared = await p.listSource(source(p, 'aws:sandbox-shared:eu-west-1'));
      expect(shared.filter((r) => r.type === 'security_group')).toHaveLength(0);
      const main = await p.listSource(source(p, 'aws:sandbox:eu-west-1'));
      expect(main.filter((r) => r.type === 'load_balancer')).toHaveLength(1);
      const samples = await p.metrics(source(p, 'aws:sandbox:eu-west-1'), { days: 2, now });
      expect(samples.length).toBeGreaterThan(0);
      expect(new Set(sandbox.requests.map((r) => r.service))).toEqual(
        new Set(['sts', 'ec2', 'elasticloadbalancing', 'ecs', 'monitoring']),
      );
      process.env.AWS_ENDPOINT_URL_EC2 = 'http://127.0.0.1:9';
      expect(await provider({ endpoint: undefined }).endpointInUse()).toBe('http://127.0.0.1:9');
      expect(await provider({ endpoint: undefined, endpoints: { ec2: 'http://127.0.0.1:8' } }).endpointInUse()).toBe(
        'http://127.0.0.1:8',
      );
    } finally {
      if (saved.all === undefined) delete process.env.AWS_ENDPOINT_URL;
      else process.env.AWS_ENDPOINT_URL = saved.all;
      if (saved.ec2 === undefined) delete process.env.AWS_ENDPOINT_URL_EC2;
      else process.env.AWS_ENDPOINT_URL_EC2 = saved.ec2;
    }
  });

  it('refuses a bad account list with a clear error', () => {
    expect(() => provider({ accounts: [] })).toThrow(/at least one account/);
    expect(() => provider({ accounts: [{ name: 'x', roleArn: 'not-an-arn', regions: ['us-east-1'] }] })).toThrow(
      /an IAM role ARN/,
    );
    expect(() =>
      provider({
        accounts: [
          { name: 'x', regions: ['us-east-1'] },
          { name: 'x', regions: ['eu-west-1'] },
        ],
      }),
    ).toThrow(/named “x”/);
    expect(() => provider({ accounts: [{ name: 'x', regions: ['Mars'] }] })).toThrow(/an AWS region/);
  });

  it('acts on and describes an instance in the account its key names', async () => {
    const p = provider();
    const ci = sandbox.fleets.get(sandboxSecondAccount)!.instances.find((i) => i.tags.Name === 'sandbox-dev-1')!;
    const target = { provider: 'aws', account: sandboxSecondAccount, region: 'us-east-1', type: 'instance', id: ci.id };
    const result = await p.execute({ action: 'stop', target, params: {} });
    expect(result).toMatchObject({ newState: 'stopping', previous: { state: 'running' } });
    expect(await p.describe(target)).toMatchObject({ account: sandboxSecondAccount, name: 'sandbox-dev-1' });
    const elsewhere = { ...target, account: '999999999999' };
    expect((await rejectedAppError(p.execute({ action: 'stop', target: elsewhere, params: {} }))).code).toBe(
      'not_found',
    );
  });
});
