import nodemailer from 'nodemailer';
import { AppError } from '../../errors.ts';
import type { EmailContent } from './email.ts';

/**
 * Incident email over SMTP (nodemailer; this folder is the only one that imports it). SMTP_URL is
 * `smtp://user:pass@host:587` (STARTTLS when the server offers it) or `smtps://…:465` (TLS from the
 * first byte). A failure is an `unavailable` AppError naming the SMTP reply code, and never the
 * credentials: the server's reply text is cleaned of them and the SDK's error is not attached.
 */
export interface MailerOptions {
  smtpUrl: string;
  /** The From header: `DevOps Agent <agent@example.com>` or an address. */
  from: string;
  /** Connection, greeting and socket timeout (default 15 s). */
  timeoutMs?: number;
}

export interface Mailer {
  /** Sends one email to `to` (one message, every address a recipient); resolves with its Message-ID. */
  send(to: readonly string[], content: EmailContent): Promise<{ messageId: string }>;
  close(): void;
}

interface SmtpFailure {
  code?: unknown;
  responseCode?: unknown;
  response?: unknown;
}

/** The reply text with the URL's user and password (raw and URL-decoded) replaced, one line, short. */
const scrub = (text: string, secrets: readonly string[]): string => {
  let out = text;
  for (const s of secrets) if (s.length > 0) out = out.split(s).join('***');
  return out.replace(/\s+/g, ' ').trim().slice(0, 200);
};

const failure = (err: unknown, secrets: readonly string[]): AppError => {
  const e = (typeof err === 'object' && err !== null ? err : {}) as SmtpFailure;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const reply = typeof e.responseCode === 'number' && e.responseCode > 0 ? e.responseCode : undefined;
  const text = typeof e.response === 'string' ? scrub(e.response, secrets) : '';
  const what =
    reply !== undefined
      ? `the SMTP server answered ${reply}${code ? ` (${code})` : ''}${text ? `: ${text}` : ''}`
      : `the SMTP server could not be reached or failed${code ? ` (${code})` : ''}`;
  return new AppError('unavailable', `Email could not be sent: ${what}`);
};

export const createMailer = (opts: MailerOptions): Mailer => {
  let url: URL;
  try {
    url = new URL(opts.smtpUrl);
  } catch {
    throw new AppError('config_invalid', 'SMTP_URL must be a URL like smtp://user:pass@host:587 or smtps://…:465');
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:')
    throw new AppError('config_invalid', `SMTP_URL must start with smtp:// or smtps://, not ${url.protocol}//`);
  const secrets = [url.password, decodeURIComponent(url.password), url.username, decodeURIComponent(url.username)]
    .filter((s) => s.length >= 3)
    .sort((a, b) => b.length - a.length);
  const timeout = opts.timeoutMs ?? 15_000;
  const transport = nodemailer.createTransport({
    url: opts.smtpUrl,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    logger: false,
    debug: false,
  });
  return {
    send: async (to, content) => {
      try {
        const info = await transport.sendMail({
          from: opts.from,
          to: [...to],
          subject: content.subject,
          text: content.text,
          html: content.html,
          headers: { 'Auto-Submitted': 'auto-generated' },
        });
        return { messageId: info.messageId };
      } catch (err) {
        throw failure(err, secrets);
      }
    },
    close: () => transport.close(),
  };
};
