import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';

/**
 * A loopback SMTP server (smtp-server, the library nodemailer's author wrote for this) for the
 * incident mailer: nodemailer really speaks SMTP to it. It keeps every accepted message (envelope,
 * raw MIME, and the decoded subject, text and HTML), checks AUTH PLAIN/LOGIN against one
 * user/password, and can be told to refuse: `reject550` answers RCPT TO with 550 (mailbox
 * unavailable), `busy421` answers MAIL FROM with 421 (service not available). Plain TCP, no
 * STARTTLS: the test URL is smtp://user:pass@127.0.0.1:<port>.
 */
export interface CapturedMail {
  from: string;
  to: string[];
  /** The user that authenticated, if any. */
  user: string | undefined;
  raw: string;
  headers: Map<string, string>;
  subject: string;
  text: string;
  html: string;
}

export type SmtpMode = 'accept' | 'reject550' | 'busy421';

export interface FakeSmtp {
  port: number;
  /** `smtp://user:pass@127.0.0.1:<port>` with the given (or the server's) credentials. */
  url(credentials?: { user: string; pass: string }): string;
  messages: CapturedMail[];
  /** Every AUTH attempt, with whether it was accepted. */
  logins: { user: string; ok: boolean }[];
  setMode(mode: SmtpMode): void;
  close(): Promise<void>;
}

const smtpError = (responseCode: number, message: string): Error => Object.assign(new Error(message), { responseCode });

const address = (a: SMTPServerAddress | false): string => (a ? a.address : '');

export const startFakeSmtp = async (opts: { user: string; pass: string }): Promise<FakeSmtp> => {
  let mode: SmtpMode = 'accept';
  const messages: CapturedMail[] = [];
  const logins: FakeSmtp['logins'] = [];
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    // No reverse DNS of 127.0.0.1 (about 100 ms a connection).
    disableReverseLookup: true,
    onAuth: (auth, _session, cb) => {
      const ok = auth.username === opts.user && auth.password === opts.pass;
      logins.push({ user: auth.username ?? '', ok });
      if (!ok) return cb(smtpError(535, '5.7.8 Authentication credentials invalid'));
      cb(null, { user: auth.username });
    },
    onMailFrom: (_from, _session, cb) =>
      mode === 'busy421' ? cb(smtpError(421, '4.3.2 Service not available, try again later')) : cb(),
    onRcptTo: (_to, _session, cb) => (mode === 'reject550' ? cb(smtpError(550, '5.1.1 Mailbox unavailable')) : cb()),
    onData: (stream, session, cb) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        messages.push({
          from: address(session.envelope.mailFrom),
          to: session.envelope.rcptTo.map((r) => r.address),
          user: typeof session.user === 'string' ? session.user : undefined,
          raw,
          ...parseMime(raw),
        });
        cb();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    url: (c = opts) => `smtp://${encodeURIComponent(c.user)}:${encodeURIComponent(c.pass)}@127.0.0.1:${port}`,
    messages,
    logins,
    setMode: (m) => {
      mode = m;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};

/** Headers (unfolded, lower-case names) and body of one MIME entity. */
const split = (entity: string): { headers: Map<string, string>; body: string } => {
  const at = entity.indexOf('\r\n\r\n');
  const head = at < 0 ? entity : entity.slice(0, at);
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body: at < 0 ? '' : entity.slice(at + 4) };
};

const decodeBody = (body: string, encoding: string | undefined): string => {
  if (encoding?.toLowerCase() === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding?.toLowerCase() === 'quoted-printable')
    return Buffer.from(
      body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16))),
      'latin1',
    ).toString('utf8');
  return body;
};

/** RFC 2047 encoded words (`=?UTF-8?Q?…?=`, `=?UTF-8?B?…?=`) in a header. */
const decodeWords = (value: string): string =>
  value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([QB])\?([^?]*)\?=/gi, (_m, _cs: string, enc: string, text: string) =>
      enc.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('utf8')
        : decodeBody(text.replace(/_/g, ' '), 'quoted-printable'),
    );

const parseMime = (raw: string): Pick<CapturedMail, 'headers' | 'subject' | 'text' | 'html'> => {
  const { headers, body } = split(raw);
  const out = { headers, subject: decodeWords(headers.get('subject') ?? ''), text: '', html: '' };
  const visit = (h: Map<string, string>, b: string): void => {
    const type = h.get('content-type') ?? 'text/plain';
    const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
    if (type.startsWith('multipart/') && boundary) {
      for (const part of b.split(`--${boundary}`).slice(1)) {
        if (part.startsWith('--')) break;
        const p = split(part.replace(/^\r\n/, ''));
        visit(p.headers, p.body.replace(/\r\n$/, ''));
      }
      return;
    }
    const text = decodeBody(b, h.get('content-transfer-encoding'));
    if (type.startsWith('text/html')) out.html = text;
    else if (type.startsWith('text/plain')) out.text = text;
  };
  visit(headers, body);
  return out;
};
