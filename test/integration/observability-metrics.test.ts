import { afterEach, describe, expect, it } from '@jest/globals';
import { sql } from 'drizzle-orm';
import { startSandbox, type Sandbox } from '../../src/cloud/sandbox/server.ts';
import { OPS, startSlackHarness, type SlackHarness } from '../fixtures/slack-harness.ts';
import { startTestApp, turn, type TestApp } from '../helpers/app.ts';

/**
 * The metrics a team alerts on, scraped from /metrics of the real app after exercising each:
 * cloud call latency (the sandbox cloud; refused credentials), the open change requests counted in
 * the database, the last successful inventory sync, chat platform API errors and 429s (the Slack
 * fake), and the build.
 */
let app: TestApp | undefined;
let slack: SlackHarness | undefined;
let sandbox: Sandbox | undefined;
afterEach(async () => {
  await app?.stop();
  await slack?.stop();
  await sandbox?.stop();
  app = slack = sandbox = undefined;
});

const scrape = async (a: Pick<TestApp, 'url'>): Promise<string> => {
  const res = await fetch(`${a.url}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
};

/** The value of one series, by its exact name and labels as Prometheus shows them; undefined if absent. */
const value = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe('metrics of the app on the sandbox cloud', () => {
  it('shows the build, cloud call latency, the last inventory sync and the open change requests', async () => {
    const t0 = new Date('2026-11-02T09:00:00Z');
    let clock = t0.getTime();
    app = await startTestApp({ GIT_COMMIT: 'abc1234' }, { now: () => new Date(clock) });

    let text = await scrape(app);
    const version = (await import('../../package.json', { with: { type: 'json' } })).default.version;
    expect(
      value(text, `devops_agent_build_info{version="${version}",node="${process.version}",commit="abc1234"}`),
    ).toBe(1);
    // The start-up sync: one successful pass, stamped with the app's clock.
    expect(value(text, 'devops_agent_inventory_last_success_timestamp_seconds{provider="aws"}')).toBe(
      t0.getTime() / 1000,
    );
    const describes = value(
      text,
      'devops_agent_cloud_call_duration_seconds_count{provider="aws",operation="DescribeInstances",outcome="ok"}',
    );
    expect(describes).toBeGreaterThanOrEqual(1);
    const sum = value(
      text,
      'devops_agent_cloud_call_duration_seconds_sum{provider="aws",operation="DescribeInstances",outcome="ok"}',
    );
    expect(sum).toBeGreaterThan(0);
    expect(sum).toBeLessThan(30 * describes!);
    expect(value(text, 'devops_agent_changes_open{status="pending"}')).toBe(0);
    expect(value(text, 'devops_agent_changes_lease_age_seconds{status="executing"}')).toBe(0);

    // Two requests wait for approval; then one of them is left executing by an executor that
    // stopped renewing its lease at t0 + 60 s.
    const [first] = await turn(app, 'alice', 'stop web-prod-1');
    clock += 60_000;
    const [second] = await turn(app, 'alice', 'reboot web-prod-2');
    expect([first?.changeId, second?.changeId]).toEqual([expect.stringMatching(/^CR-/), expect.stringMatching(/^CR-/)]);
    await app.store.db.execute(
      sql`update change_requests set status = 'executing', started_at = ${new Date(clock)}, heartbeat_at = ${new Date(clock)}, updated_at = ${new Date(clock)} where id = ${second!.changeId!}`,
    );
    clock += 90_000;
    text = await scrape(app);
    expect(value(text, 'devops_agent_changes_open{status="pending"}')).toBe(1);
    expect(value(text, 'devops_agent_changes_open{status="approved"}')).toBe(0);
    expect(value(text, 'devops_agent_changes_open{status="executing"}')).toBe(1);
    expect(value(text, 'devops_agent_changes_oldest_seconds{status="pending"}')).toBe(150);
    expect(value(text, 'devops_agent_changes_oldest_seconds{status="executing"}')).toBe(90);
    expect(value(text, 'devops_agent_changes_lease_age_seconds{status="executing"}')).toBe(90);
    // A later sync moves the timestamp.
    await app.syncNow();
    text = await scrape(app);
    expect(value(text, 'devops_agent_inventory_last_success_timestamp_seconds{provider="aws"}')).toBe(clock / 1000);
  }, 30_000);

  it('times calls the cloud refuses by their outcome, says AWS refused the credentials, and shows no sync time yet', async () => {
    // This sandbox knows another access key than the one the app signs with: AWS's AuthFailure.
    sandbox = await startSandbox({ accessKeyIds: ['AKIDSOMEONEELSE'] });
    app = await startTestApp({}, { sandbox });
    const text = await scrape(app);
    expect(
      value(
        text,
        'devops_agent_cloud_call_duration_seconds_count{provider="aws",operation="DescribeInstances",outcome="auth_failed"}',
      ),
    ).toBeGreaterThanOrEqual(1);
    expect(text).not.toMatch(/devops_agent_cloud_call_duration_seconds_count\{[^}]*outcome="ok"/);
    // No successful sync yet: no timestamp (an alert on its age fires on its absence too).
    expect(text).not.toContain('devops_agent_inventory_last_success_timestamp_seconds{');
    const [outcome] = await app.syncNow();
    expect(outcome?.error).toMatch(
      // The first call of a source without a known account id asks STS who it is.
      /^AWS refused the credentials or permissions for .*AuthFailure/,
    );
    expect(sandbox.requests.at(-1)).toMatchObject({ status: 401, errorCode: 'AuthFailure' });
  }, 30_000);
});

describe('chat platform API metrics', () => {
  it('counts Slack Web API calls by method, HTTP status and Slack error, 429s and errors included', async () => {
    slack = await startSlackHarness({}, { slack: { retryConfig: { retries: 2, minTimeout: 10, maxTimeout: 50 } } });
    const { fake } = slack;
    fake.failNext('chat.postMessage', { status: 429, retryAfter: 0 });
    await slack.mention('U0DAVE0001', 'list instances env=prod');
    fake.failNext('chat.postMessage', { error: 'not_in_channel' });
    await slack.mention('U0DAVE0001', 'list instances env=dev', { channel: OPS });
    const text = await scrape(slack.app);
    const calls = (status: string, error: string) =>
      value(
        text,
        `devops_agent_chat_api_calls_total{surface="slack",method="chat.postMessage",status="${status}",error="${error}"}`,
      );
    expect(calls('429', 'ratelimited')).toBe(1);
    expect(calls('200', 'not_in_channel')).toBe(1);
    expect(calls('200', '')).toBeGreaterThanOrEqual(1);
    expect(
      value(text, 'devops_agent_chat_api_calls_total{surface="slack",method="auth.test",status="200",error=""}'),
    ).toBe(1);
    // What the fake saw is what was counted.
    expect(fake.callsTo('chat.postMessage').filter((c) => c.status === 429)).toHaveLength(1);
  }, 30_000);
});
