import type { View, ViewName, Viewer } from './ports.ts';
import { esc, renderNav, renderView, viewLabels } from './page/render.js';

/** A notice carried over a redirect (a decision taken without script): its text and whether it went through. */
export interface Notice {
  text: string;
  ok: boolean;
}

export interface PageInput {
  view: View;
  query: Record<string, string>;
  viewer: Viewer;
  csrf: string;
  /** A bad filter's message, shown beside the filters. */
  error?: string;
  notice?: Notice;
  /** How often the page re-reads the view when live updates fail (ms). */
  pollMs: number;
  /** Whether the page should open the live stream at all. */
  live: boolean;
}

/** The page's `<script type="application/json">`: data, not code (CSP does not run it); `<` escaped so it cannot close the tag. */
const jsonBlock = (value: unknown): string =>
  JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

const shell = (title: string, current: ViewName | null, header: string, main: string, tail = ''): string =>
  [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)} · Dashboard · DevOps Agent</title>`,
    '<link rel="stylesheet" href="/dashboard/assets/dashboard.css">',
    '</head>',
    '<body>',
    '<a class="skip-link" href="#main">Skip to content</a>',
    '<header class="site-header">',
    '<p class="brand"><a href="/dashboard">DevOps Agent</a> <span>Dashboard</span></p>',
    '<button type="button" class="nav-toggle" aria-expanded="false" aria-controls="views-nav">Views</button>',
    `<nav id="views-nav" class="views-nav" aria-label="Dashboard views">${current ? renderNav(current) : renderNav('overview').replace(' aria-current="page"', '')}</nav>`,
    header,
    '</header>',
    `<main id="main" tabindex="-1">${main}</main>`,
    '<div id="live-status" class="visually-hidden" role="status" aria-live="polite"></div>',
    tail,
    '</body>',
    '</html>',
  ].join('\n');

const who = (viewer: Viewer, csrf: string): string =>
  `<div class="who"><span>Signed in as <strong>${esc(viewer.actor.displayName)}</strong> (${esc(viewer.role)})</span>` +
  `<form method="post" action="/auth/sign-out"><input type="hidden" name="csrf" value="${esc(csrf)}">` +
  '<button type="submit" class="btn btn-quiet">Sign out</button></form></div>';

/** The whole page of a view: readable and usable before (and without) any script. */
export const renderPage = (p: PageInput): string => {
  const notice = p.notice
    ? `<p class="notice ${p.notice.ok ? 'notice-ok' : 'notice-bad'}">${p.notice.ok ? '' : '<span aria-hidden="true">⚠</span> '}${esc(p.notice.text)}</p>`
    : '';
  const main =
    `<div id="notice" role="status" aria-live="polite">${notice}</div>` +
    `<div id="view" data-view="${esc(p.view.name)}">${renderView(p.view, { query: p.query, csrf: p.csrf, ...(p.error ? { error: p.error } : {}) })}</div>`;
  const data = {
    view: p.view,
    query: p.query,
    csrf: p.csrf,
    error: p.error ?? null,
    pollMs: p.pollMs,
    live: p.live,
  };
  const tail = [
    '<footer class="site-footer"><p>Every figure links to what is behind it. Charts have their numbers in a table under them.</p></footer>',
    `<script type="application/json" id="dashboard-data">${jsonBlock(data)}</script>`,
    '<script src="/dashboard/assets/chart.umd.js" defer></script>',
    '<script type="module" src="/dashboard/assets/dashboard.js"></script>',
  ].join('\n');
  return shell(p.view.title, p.view.name, who(p.viewer, p.csrf), main, tail);
};

/** A page that only says something (an unknown view, a decision refused without script), with the way back. */
export const renderMessagePage = (title: string, message: string, back: string): string =>
  shell(
    title,
    null,
    '',
    `<h1>${esc(title)}</h1><p class="notice notice-bad"><span aria-hidden="true">⚠</span> ${esc(message)}</p>` +
      `<p><a href="${esc(back)}">Back to the dashboard</a></p>`,
  );

/** The label of a view, for titles. */
export const viewLabel = (name: ViewName): string => viewLabels[name];
