import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { click, startTestApp, turn, type TestApp } from '../helpers/app.ts';

/** POLICY_FILE replaces the default policy for the whole app: here prod changes need two approvers. */
let app: TestApp;
let dir: string;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'policy-app-'));
  const file = path.join(dir, 'policy.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      requesterRoles: ['operator', 'approver', 'admin'],
      rules: [
        {
          name: 'prod-two-people',
          match: { environment: ['prod'] },
          approvals: 2,
          approverRoles: ['approver', 'admin'],
        },
        { name: 'rest', approvals: 1, approverRoles: ['admin'] },
      ],
    }),
  );
  app = await startTestApp({ POLICY_FILE: file });
}, 60_000);
afterAll(async () => {
  await app?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const reboots = (name: string) => {
  const id = app.sandbox!.fleet.instances.find((i) => i.tags.Name === name)!.id;
  return app.sandbox!.requests.filter((r) => r.action === 'RebootInstances' && Object.values(r.params).includes(id));
};

it('a prod change waits for the second approver the file asks for; the file decides who may approve the rest', async () => {
  const [card] = await turn(app, 'alice', 'reboot web-prod-2');
  const id = card!.changeId!;
  expect((await app.changes.get(id))?.policy).toMatchObject({ rule: 'prod-two-people', approvals: 2 });

  await click(app, 'bob', 'change.approve', id);
  expect((await app.changes.get(id))?.status).toBe('pending');
  expect(reboots('web-prod-2')).toHaveLength(0);
  await click(app, 'carol', 'change.approve', id);
  expect((await app.changes.get(id))?.status).toBe('succeeded');
  expect(reboots('web-prod-2')).toHaveLength(1);

  // Outside prod only admins approve under this file: Bob (an approver) is refused.
  const [staging] = await turn(app, 'alice', 'reboot web-staging-1');
  const [refused] = await click(app, 'bob', 'change.approve', staging!.changeId!);
  expect(refused?.text).toMatch(/admin/);
  expect((await app.changes.get(staging!.changeId!))?.status).toBe('pending');
});
