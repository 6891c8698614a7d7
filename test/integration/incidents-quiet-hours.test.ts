import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { buildAlertmanagerPayload, postAlertmanager } from '../fakes/alertmanager/sender.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

// Quiet hours on a chat channel: a low-urgency incident's thread waits for them to end (then it is
// posted with its diagnosis and a line saying why it is late); a high-urgency one goes at once.
// The app's clock is fixed and moved by hand.
const TOKEN = 'quiet-hours-token';
let app: TestApp;
let dir: string;
let clock = new Date('2026-12-02T23:00:00Z'); // a Wednesday, 23:00 UTC: inside 22:00–07:00

const channel = async (): Promise<Array<{ text: string }>> => {
  const res = await fetch(`${app.url}/console/api/messages?user=alice&channel=ops`);
  return ((await res.json()) as { messages: Array<{ text: string }> }).messages;
};

const fire = async (name: string, severity: string) => {
  const payload = buildAlertmanagerPayload({ receiver: 'agent', groupLabels: { alertname: name } }, [
    {
      labels: { alertname: name, service: 'search', severity },
      annotations: { summary: `${name} on search` },
      startsAt: new Date(clock.getTime() - 60_000),
    },
  ]);
  expect((await postAlertmanager(`${app.url}/webhooks/alertmanager`, payload, { bearer: TOKEN })).status).toBe(202);
  await app.incidents.idle();
};

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'quiet-'));
  const routes = path.join(dir, 'routes.yaml');
  writeFileSync(
    routes,
    [
      'defaultChannel: console:console:ops',
      'quietHours:',
      '  - target: console:console:ops',
      '    from: "22:00"',
      '    to: "07:00"',
      '    timeZone: UTC',
      '    days: [mon, tue, wed, thu, fri, sat, sun]',
      '    allowUrgency: high',
      '',
    ].join('\n'),
  );
  app = await startTestApp({ INCIDENT_ROUTES_FILE: routes, ALERTMANAGER_TOKENS: TOKEN }, { now: () => clock });
}, 60_000);
afterAll(async () => {
  await app?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('quiet hours on the incident channel', () => {
  it('holds a low-urgency thread until they end, and posts a high-urgency one at once', async () => {
    await fire('SlowQueries', 'warning');
    expect((await channel()).some((m) => m.text.includes('SlowQueries on search'))).toBe(false);
    expect(await app.incidents.postDeferred()).toBe(0);

    await fire('SearchDown', 'critical');
    expect((await channel()).some((m) => /^🔴 INC-2 Triggered: search: SearchDown on search/.test(m.text))).toBe(true);

    clock = new Date('2026-12-03T07:05:00Z');
    expect(await app.incidents.postDeferred()).toBe(1);
    const msgs = await channel();
    expect(msgs.some((m) => /^🔴 INC-1 Triggered: search: SlowQueries on search/.test(m.text))).toBe(true);
    expect(
      msgs.some((m) =>
        m.text.startsWith("Posted after the channel's quiet hours: INC-1 opened at 2026-12-02 22:59 UTC"),
      ),
    ).toBe(true);
    expect(msgs.some((m) => m.text.includes('What the bot found for INC-1'))).toBe(true);
    expect(await app.incidents.postDeferred()).toBe(0);
  });
});
