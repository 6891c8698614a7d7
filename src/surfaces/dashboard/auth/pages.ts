import { createHash } from 'node:crypto';
import type { HttpResponse } from '../../../http/route.ts';

/**
 * The sign-in pages: server-rendered, no script at all, one small stylesheet inline and allowed by
 * its hash, so the policy can forbid everything else. Every value is escaped; the layout is one
 * column that fits a phone.
 */
const style = `
body{font:16px/1.5 system-ui,sans-serif;margin:0;padding:1rem;color:#1b1f24;background:#f6f8fa}
main{max-width:26rem;margin:2rem auto;background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:1.5rem}
h1{font-size:1.4rem;margin:0 0 1rem}
h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
a.button,button{display:block;box-sizing:border-box;width:100%;padding:.75rem;margin:.5rem 0;border-radius:6px;border:1px solid #1b1f24;background:#1b1f24;color:#fff;font:inherit;text-align:center;text-decoration:none;cursor:pointer}
a.button:focus,button:focus,input:focus,select:focus{outline:3px solid #0969da;outline-offset:2px}
label{display:block;margin:.75rem 0 .25rem;font-weight:600}
input,select{box-sizing:border-box;width:100%;padding:.6rem;font:inherit;border:1px solid #57606a;border-radius:6px}
.error{border-left:4px solid #cf222e;background:#ffebe9;padding:.5rem .75rem;margin:0 0 1rem}
.note{color:#57606a}
`.trim();

const styleHash = createHash('sha256').update(style, 'utf8').digest('base64');

/** The pages' headers: nothing loads from anywhere, forms post only to us, no framing. */
export const pageHeaders = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': `default-src 'none'; style-src 'sha256-${styleHash}'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`,
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

export const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const layout = (title: string, body: string): string =>
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · DevOps Agent</title>
<style>${style}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;

export interface SignInPage {
  next: string;
  /** Links to start each configured OpenID sign-in. */
  providers: { label: string; href: string }[];
  /** The console form, when the console method is offered here. */
  console?: {
    tokenRequired: boolean;
    users: { userId: string; displayName: string }[];
    csrf: string;
    /** Kept after a refused attempt, so nothing typed is lost but the token. */
    selected?: string;
  };
  /** Why the console method is not offered on this request (a non-loopback Host without CONSOLE_TOKEN). */
  consoleRefusal?: string;
  error?: string;
}

export const renderSignIn = (p: SignInPage): string => {
  const parts: string[] = ['<h1>Sign in to DevOps Agent</h1>'];
  if (p.error) parts.push(`<p class="error" role="alert">${escapeHtml(p.error)}</p>`);
  for (const pr of p.providers)
    parts.push(`<a class="button" href="${escapeHtml(pr.href)}">Sign in with ${escapeHtml(pr.label)}</a>`);
  if (p.console) {
    const c = p.console;
    const options = c.users
      .map(
        (u) =>
          `<option value="${escapeHtml(u.userId)}"${u.userId === c.selected ? ' selected' : ''}>${escapeHtml(u.displayName)} (${escapeHtml(u.userId)})</option>`,
      )
      .join('');
    parts.push(
      `<h2>${p.providers.length > 0 ? 'Or with the console' : 'Console sign-in'}</h2>`,
      '<form method="post" action="/auth/console">',
      `<input type="hidden" name="csrf" value="${escapeHtml(c.csrf)}">`,
      `<input type="hidden" name="next" value="${escapeHtml(p.next)}">`,
      `<label for="user">Console user</label><select id="user" name="user" required>${options}</select>`,
      c.tokenRequired
        ? '<label for="token">Console token</label><input id="token" name="token" type="password" autocomplete="current-password" required>'
        : '',
      '<button type="submit">Sign in</button>',
      '</form>',
    );
  }
  if (p.consoleRefusal) parts.push(`<p class="note">${escapeHtml(p.consoleRefusal)}</p>`);
  if (p.providers.length === 0 && !p.console && !p.consoleRefusal)
    parts.push(
      '<p>No sign-in method is configured: set up Slack or Microsoft Teams, or enable the console (see the README, “Dashboard sign-in”).</p>',
    );
  return layout('Sign in', parts.join('\n'));
};

/** A sign-in that failed: what went wrong and a way to try again (never a stack trace). */
export const renderProblem = (status: number, title: string, message: string, retryHref: string): HttpResponse => ({
  status,
  headers: pageHeaders,
  body: layout(
    title,
    [
      `<h1>${escapeHtml(title)}</h1>`,
      `<p class="error" role="alert">${escapeHtml(message)}</p>`,
      `<a class="button" href="${escapeHtml(retryHref)}">Try again</a>`,
    ].join('\n'),
  ),
});
