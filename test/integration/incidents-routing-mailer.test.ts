import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { AppError } from '../../src/errors.ts';
import { createLogger, isSecretName } from '../../src/observability/logger.ts';
import { heldEmail, incidentEmail } from '../../src/incidents/routing/email.ts';
import { createMailer, type Mailer } from '../../src/incidents/routing/mailer.ts';
import type { IncidentNotice } from '../../src/incidents/routing/notice.ts';
import { startFakeSmtp, type FakeSmtp } from '../fakes/smtp.ts';

// nodemailer over real SMTP to a loopback smtp-server: what the message says, AUTH, and what a
// refusal becomes (the reply code, never the password).

const user = 'agent@example.com';
const pass = 'p4ss-w0rd-never-shown';
let smtp: FakeSmtp;
let mailer: Mailer;

const notice = (over: Partial<IncidentNotice> = {}): IncidentNotice => ({
  event: {
    workspaceId: 'T1',
    incidentId: 7,
    kind: 'triggered',
    incident: {
      number: 42,
      title: 'High error rate',
      service: 'checkout-api',
      urgency: 'high',
      status: 'triggered',
      htmlUrl: 'https://acme.pagerduty.com/incidents/Q1ABC',
      threadUrl: 'https://acme.slack.com/archives/C0CHECKOUT/p1700000000000100',
    },
    facts: ['api-prod-1 was resized 30 min ago (CR-12), approved by Ana', 'error rate <b>5%</b> on checkout-api'],
  },
  occurredAt: new Date('2026-12-03T10:00:00Z'),
  repeats: 0,
  ...over,
});

const refusal = async (p: Promise<unknown>): Promise<AppError> => {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return e as AppError;
  }
  throw new AppError('internal', 'expected the send to fail');
};

beforeAll(async () => {
  smtp = await startFakeSmtp({ user, pass });
  mailer = createMailer({ smtpUrl: smtp.url(), from: 'DevOps Agent <agent@example.com>', timeoutMs: 5_000 });
});
afterAll(async () => {
  mailer.close();
  await smtp.close();
});
beforeEach(() => {
  smtp.setMode('accept');
  smtp.messages.length = 0;
  smtp.logins.length = 0;
});

describe('incident email over SMTP', () => {
  it('authenticates and sends text and HTML: subject, status, links, top facts', async () => {
    const sent = await mailer.send(['oncall-checkout@example.com'], incidentEmail(notice()));
    expect(sent.messageId).toMatch(/^<.+@.+>$/);
    expect(smtp.logins).toEqual([{ user, ok: true }]);
    expect(smtp.messages).toHaveLength(1);
    const m = smtp.messages[0]!;
    expect(m.user).toBe(user);
    expect(m.from).toBe('agent@example.com');
    expect(m.to).toEqual(['oncall-checkout@example.com']);
    expect(m.subject).toBe('[TRIGGERED] #42 checkout-api: High error rate');
    expect(m.headers.get('auto-submitted')).toBe('auto-generated');
    expect(m.text).toContain('Status: triggered · urgency high · service checkout-api');
    expect(m.text).toContain('Incident: https://acme.pagerduty.com/incidents/Q1ABC');
    expect(m.text).toContain('Thread: https://acme.slack.com/archives/C0CHECKOUT/p1700000000000100');
    expect(m.text).toContain('- api-prod-1 was resized 30 min ago (CR-12), approved by Ana');
    expect(m.html).toContain('<a href="https://acme.pagerduty.com/incidents/Q1ABC">');
    // Values are escaped in the HTML part.
    expect(m.html).toContain('error rate &lt;b&gt;5%&lt;/b&gt; on checkout-api');
    expect(m.html).not.toContain('<b>5%</b>');
  });

  it('says the repeats, leaves out what it was not given, and keeps a title on one header line', async () => {
    const n = notice({ repeats: 3 });
    n.event.incident = {
      title: 'Disk full\r\nBcc: victim@example.com',
      service: 'db',
      urgency: 'low',
      status: 'acknowledged',
    };
    n.event.kind = 'acknowledged';
    delete n.event.facts;
    await mailer.send(['a@example.com'], incidentEmail(n));
    const m = smtp.messages[0]!;
    expect(m.subject).toBe('[ACKNOWLEDGED] db: Disk full Bcc: victim@example.com (+3 repeats)');
    expect(m.headers.has('bcc')).toBe(false);
    expect(m.to).toEqual(['a@example.com']);
    expect(m.text).toContain('Repeated 3 more times since the last message.');
    expect(m.text).not.toContain('Incident:');
    expect(m.text).not.toContain('Thread:');
    expect(m.text).not.toContain('What diagnosis found');
  });

  it('sends what quiet hours held as one email', async () => {
    const second = notice();
    second.event = {
      ...second.event,
      incidentId: 8,
      kind: 'resolved',
      incident: { ...second.event.incident, number: 43, status: 'resolved' },
    };
    await mailer.send(['a@example.com'], heldEmail([notice({ repeats: 1 }), second]));
    expect(smtp.messages).toHaveLength(1);
    const m = smtp.messages[0]!;
    expect(m.subject).toBe('[HELD] 2 incident updates during quiet hours');
    expect(m.text).toContain('[TRIGGERED] #42 checkout-api: High error rate (+1 repeat)');
    expect(m.text).toContain('[RESOLVED] #43 checkout-api: High error rate');
  });

  it('a 550 from the server is an unavailable error with the reply code', async () => {
    smtp.setMode('reject550');
    const e = await refusal(mailer.send(['gone@example.com'], incidentEmail(notice())));
    expect(e.code).toBe('unavailable');
    expect(e.userMessage).toContain('the SMTP server answered 550');
    expect(e.userMessage).toContain('Mailbox unavailable');
    expect(e.userMessage).not.toContain(pass);
    expect(smtp.messages).toHaveLength(0);
  });

  it('a 421 (try later) too', async () => {
    smtp.setMode('busy421');
    const e = await refusal(mailer.send(['a@example.com'], incidentEmail(notice())));
    expect(e.code).toBe('unavailable');
    expect(e.userMessage).toContain('421');
  });

  it('a wrong password is refused with 535, and the password is in no part of the error', async () => {
    const wrong = 'wr0ng-s3cret-value';
    const bad = createMailer({ smtpUrl: smtp.url({ user, pass: wrong }), from: 'agent@example.com', timeoutMs: 5_000 });
    try {
      const e = await refusal(bad.send(['a@example.com'], incidentEmail(notice())));
      expect(e.code).toBe('unavailable');
      expect(e.userMessage).toContain('535');
      expect(e.userMessage).toContain('EAUTH');
      expect(e.cause).toBeUndefined();
      expect(JSON.stringify({ ...e, message: e.message, stack: e.stack })).not.toContain(wrong);
      expect(smtp.logins).toEqual([{ user, ok: false }]);
    } finally {
      bad.close();
    }
  });

  it('an unreachable server is unavailable, naming no credentials', async () => {
    const closed = await startFakeSmtp({ user, pass });
    const url = closed.url();
    await closed.close();
    const gone = createMailer({ smtpUrl: url, from: 'agent@example.com', timeoutMs: 2_000 });
    try {
      const e = await refusal(gone.send(['a@example.com'], incidentEmail(notice())));
      expect(e.code).toBe('unavailable');
      expect(e.userMessage).toMatch(/could not be reached or failed \((ECONNECTION|ESOCKET)\)/);
      expect(e.userMessage).not.toContain(pass);
    } finally {
      gone.close();
    }
  });

  it('refuses an SMTP_URL that is not smtp:// or smtps://', () => {
    expect(() => createMailer({ smtpUrl: 'http://mail.example.com', from: 'a@b.co' })).toThrow(
      /smtp:\/\/ or smtps:\/\//,
    );
    expect(() => createMailer({ smtpUrl: 'mail.example.com:25', from: 'a@b.co' })).toThrow(AppError);
  });

  it('SMTP_URL (which holds the password) is redacted in logs and in the config summary', () => {
    const lines: string[] = [];
    const logger = createLogger('info', { write: (l: string) => lines.push(l) } as unknown as NodeJS.WritableStream);
    logger.info({ smtpUrl: smtp.url(), SMTP_URL: smtp.url() }, 'mailer');
    expect(lines.join('')).not.toContain(pass);
    expect(isSecretName('SMTP_URL')).toBe(true);
  });
});
