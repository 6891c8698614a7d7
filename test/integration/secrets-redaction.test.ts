import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'drizzle-orm';
import { Writable } from 'node:stream';
import { verifyAudit } from '../../src/changes/audit.ts';
import { markEventProcessed } from '../../src/engine/conversations.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { click, startTestApp, turn, type TestApp } from '../helpers/app.ts';
import { createTestStore, testStoreTimeoutMs, type TestStore } from '../helpers/db.ts';

/**
 * A secret typed into chat used to be kept for ever: in the messages, the change's reason, the
 * decision and the hash-chained audit log (where removing it breaks `audit verify`). Now it is
 * replaced before anything is stored, the user is told, and the chain stays intact. A failed
 * query's log line names the statement without its values.
 */
// Public example values (AWS documentation) and made-up tokens: no live credential.
const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const AWS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
const SLACK_TOKEN = 'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx';
const GITHUB_TOKEN = 'ghp_1234567890abcdefghijklmnopqrstuvwxyZ';
const DB_PASSWORD = 'hunter2-very-secret';
const secrets = [AWS_SECRET, AWS_KEY_ID, SLACK_TOKEN, GITHUB_TOKEN, DB_PASSWORD];

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
}, 60_000);
afterAll(async () => {
  await app?.stop();
});

/** Every row of the tables that keep what people said or decided, as text. */
const everything = async (): Promise<string> => {
  const dump: string[] = [];
  for (const table of ['messages', 'change_requests', 'approvals', 'audit_events']) {
    const rows = await app.store.db.execute(sql.raw(`select * from ${table}`));
    dump.push(JSON.stringify(rows.rows));
  }
  return dump.join('\n');
};

describe('secrets typed into chat', () => {
  it('a turn: the secret is not stored, and the user is told what was removed', async () => {
    const replies = await turn(app, 'dave', `list instances aws_secret_access_key=${AWS_SECRET}`);
    expect(replies[0]?.text).toBe('I removed what looked like an AWS secret key from your message; it was not stored.');
    expect(replies[0]?.ephemeral).toBe(true);
    const all = await everything();
    expect(all).not.toContain(AWS_SECRET);
    expect(all).toContain('aws_secret_access_key=[redacted:aws-secret-key]');
  });

  it('a typed rejection reason and a form reason: nothing reaches the tables or the audit chain', async () => {
    const [first] = await turn(app, 'alice', 'stop web-prod-1');
    const [second] = await turn(app, 'alice', 'stop web-prod-2');
    const typed = await turn(
      app,
      'bob',
      `reject ${first!.changeId} creds leaked: ${AWS_KEY_ID} ${AWS_SECRET} and postgres://app:${DB_PASSWORD}@db/prod`,
    );
    expect(typed[0]?.text).toBe(
      'I removed what looked like an AWS access key id, an AWS secret key and a password in a URL from your message; they were not stored.',
    );
    expect((await app.changes.get(first!.changeId!))?.reason).toBe(
      'creds leaked: [redacted:aws-access-key-id] [redacted:aws-secret-key] and postgres://app:[redacted:password]@db/prod',
    );

    const clicked = await click(app, 'bob', 'change.reject', second!.changeId!, {
      reason: `use ${SLACK_TOKEN} or ${GITHUB_TOKEN} instead`,
    });
    expect(clicked.map((r) => r.text)).toContain(
      'I removed what looked like a Slack token and a GitHub token from your message; they were not stored.',
    );
    expect((await app.changes.get(second!.changeId!))?.reason).toBe(
      'use [redacted:slack-token] or [redacted:github-token] instead',
    );

    const all = await everything();
    for (const s of secrets) expect(all).not.toContain(s);
    const verdict = await verifyAudit(app.store.db);
    expect(verdict.ok).toBe(true);
    const [check] = await turn(app, 'dave', 'audit verify');
    expect(check?.text).toMatch(/Audit log OK/);
  });
});

describe('a failed query in the log', () => {
  let store: TestStore;
  const lines: string[] = [];
  beforeAll(async () => {
    store = await createTestStore();
  }, testStoreTimeoutMs);
  afterAll(async () => {
    await store?.dispose();
  });

  it('names the statement but not the values it ran with', async () => {
    const log = createLogger(
      'info',
      new Writable({
        write(chunk: Buffer, _enc, done) {
          lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
          done();
        },
      }),
    );
    const value = 'param-value-that-must-not-be-logged';
    await markEventProcessed(store.db, value);
    // A duplicate key through raw SQL (markEventProcessed ignores conflicts): PostgreSQL's detail repeats the value.
    const failed = await store.db.execute(sql`insert into processed_events (id) values (${value})`).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failed).toBeInstanceOf(Error);
    log.error({ err: failed, ref: 'r1' }, 'turn failed');
    const line = lines.at(-1)!;
    expect(line).toContain('insert into processed_events');
    expect(line).toContain('duplicate key');
    expect(line).not.toContain(value);
  });
});
