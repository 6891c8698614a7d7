import { MAX_FACTS, noticeLine, oneLine, type IncidentNotice } from './notice.ts';

/**
 * Incident emails, pure: a subject, a plain-text body and the same as simple HTML (no images, no
 * scripts, every value escaped). One notice, or the notices held during quiet hours as one email.
 */
export interface EmailContent {
  subject: string;
  text: string;
  html: string;
}

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const sections = (n: IncidentNotice): { text: string[]; html: string[] } => {
  const { incident, facts } = n.event;
  const text = [
    `Status: ${incident.status} · urgency ${incident.urgency} · service ${oneLine(incident.service)}`,
    `Event: ${n.event.kind} at ${n.occurredAt.toISOString()}`,
  ];
  const html = [
    `<p>Status: <b>${escapeHtml(incident.status)}</b> · urgency ${escapeHtml(incident.urgency)} · service ${escapeHtml(incident.service)}<br>` +
      `Event: ${escapeHtml(n.event.kind)} at ${escapeHtml(n.occurredAt.toISOString())}</p>`,
  ];
  if (n.repeats > 0) {
    const line = `Repeated ${n.repeats} more time${n.repeats === 1 ? '' : 's'} since the last message.`;
    text.push(line);
    html.push(`<p>${escapeHtml(line)}</p>`);
  }
  const links: [string, string | undefined][] = [
    ['Incident', incident.htmlUrl],
    ['Thread', incident.threadUrl],
  ];
  for (const [label, url] of links) {
    if (!url) continue;
    text.push(`${label}: ${url}`);
    html.push(`<p>${label}: <a href="${escapeHtml(url)}">${escapeHtml(url)}</a></p>`);
  }
  const top = (facts ?? []).slice(0, MAX_FACTS);
  if (top.length > 0) {
    text.push('', 'What diagnosis found:', ...top.map((f) => `- ${oneLine(f)}`));
    html.push(`<p>What diagnosis found:</p><ul>${top.map((f) => `<li>${escapeHtml(f)}</li>`).join('')}</ul>`);
  }
  return { text, html };
};

const page = (title: string, body: string): string =>
  `<!doctype html><html><body style="font-family:sans-serif"><h2>${escapeHtml(title)}</h2>${body}` +
  `<p style="color:#666;font-size:12px">Sent by DevOps Agent incident routing.</p></body></html>`;

/** `[TRIGGERED] #42 checkout-api: High error rate`, with the status, links and top facts. */
export const incidentEmail = (n: IncidentNotice): EmailContent => {
  const subject = noticeLine(n);
  const { text, html } = sections(n);
  return { subject, text: [subject, '', ...text, ''].join('\n'), html: page(subject, html.join('')) };
};

/** The notices held for a target during quiet hours, oldest first, as one email. */
export const heldEmail = (notices: readonly IncidentNotice[]): EmailContent => {
  const subject = `[HELD] ${notices.length} incident update${notices.length === 1 ? '' : 's'} during quiet hours`;
  const text: string[] = [subject, ''];
  const html: string[] = [];
  for (const n of notices) {
    const s = sections(n);
    text.push(noticeLine(n), ...s.text, '');
    html.push(`<h3>${escapeHtml(noticeLine(n))}</h3>${s.html.join('')}`);
  }
  return { subject, text: text.join('\n'), html: page(subject, html.join('<hr>')) };
};
