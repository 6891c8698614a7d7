import type { ChartSeries, View, ViewLink, ViewName } from '../ports.ts';

/** Types of render.js (plain JavaScript, so that the page can load it as it is). */

/** What a render needs beside the view. */
export interface RenderContext {
  /** The page's query (filters, sort, dir, offset, limit), one value per name. */
  query: Record<string, string>;
  /** The session's CSRF token, put in every decide form. */
  csrf: string;
  /** A bad filter's message, shown beside the main table's filters. */
  error?: string;
}

export const viewLabels: Record<ViewName, string>;
export function esc(value: unknown): string;
export function viewHref(link: ViewLink): string;
export function outsideHref(href: string | undefined): string | null;
export function seriesLabel(s: ChartSeries): string;
export function renderView(view: View, ctx: RenderContext): string;
export function renderNav(current: ViewName): string;
