// The dashboard's view as HTML, shared by the server (the first paint, no script needed) and the
// page (re-rendering in place after a live update). Plain functions over the `View` of ../ports.ts
// (types in render.d.ts); every value from data goes through `esc`, every URL through `viewHref`
// or `outsideHref`. No inline script or style attribute: the page's CSP allows neither.
/* global URLSearchParams */

/** The views in the nav's order, with their labels. */
export const viewLabels = {
  overview: 'Overview',
  inventory: 'Inventory',
  costs: 'Costs',
  findings: 'Findings',
  compliance: 'Compliance',
  drift: 'Drift',
  approvals: 'Approvals',
  changes: 'Changes',
  incidents: 'Incidents',
  analytics: 'Team analytics',
};

const entities = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text (or an attribute value) as HTML. */
export const esc = (value) => String(value ?? '').replace(/[&<>"']/g, (c) => entities[c]);

/** A query string (`?a=1&b=2`, or '' when empty) without empty values. */
const search = (query) => {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null && v !== '') params.set(k, v);
  const s = params.toString();
  return s ? `?${s}` : '';
};

/** Where a ViewLink leads: `/dashboard/<view>?<query>`. */
export const viewHref = (link) => `/dashboard/${encodeURIComponent(link.view)}${search(link.query)}`;

/** An outside link only when it is http(s); anything else (javascript:, data:) is dropped. */
export const outsideHref = (href) => (/^https?:\/\//i.test(String(href ?? '')) ? String(href) : null);

/** An id fragment from data: letters, digits and dashes only. */
const slug = (s) =>
  String(s)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '') || 'x';

const number = (n) =>
  n === null || n === undefined || Number.isNaN(n)
    ? '—'
    : Number(n).toLocaleString('en-US', { maximumFractionDigits: 2 });

const toneText = {
  good: ['✓', 'good'],
  bad: ['⚠', 'needs attention'],
};

const renderFigure = (f) => {
  const tone = f.tone && toneText[f.tone];
  const inner = [
    `<span class="figure-label">${esc(f.label)}</span>`,
    `<span class="figure-value">${esc(f.value)}</span>`,
    f.detail ? `<span class="figure-detail">${esc(f.detail)}</span>` : '',
    tone
      ? `<span class="tone tone-${esc(f.tone)}"><span aria-hidden="true">${tone[0]}</span> ${esc(tone[1])}</span>`
      : '',
  ].join('');
  const body = f.link
    ? `<a class="figure-link" id="fig-${slug(f.id)}" href="${esc(viewHref(f.link))}">${inner}</a>`
    : `<div class="figure-body">${inner}</div>`;
  return `<li class="figure" data-figure="${esc(f.id)}">${body}</li>`;
};

/** Series' names as shown: a forecast says so. */
export const seriesLabel = (s) => (s.style === 'forecast' ? `${s.name} (forecast)` : s.name);

const chartSummary = (c) => {
  const kinds = { bar: 'Bar chart', line: 'Line chart', pie: 'Pie chart' };
  const series = c.series.map(seriesLabel).join(', ');
  return `${kinds[c.kind] ?? 'Chart'} of ${c.title}${c.unit ? ` (${c.unit})` : ''}: ${series}, over ${c.categories.length} categories. The numbers are in the table below it.`;
};

const renderChart = (c) => {
  const id = `chart-${slug(c.id)}`;
  const head = [
    `<th scope="col">${esc(c.kind === 'pie' ? 'Share' : 'Category')}</th>`,
    ...c.series.map(
      (s) => `<th scope="col" class="num">${esc(seriesLabel(s))}${c.unit ? ` (${esc(c.unit)})` : ''}</th>`,
    ),
  ].join('');
  const rows = c.categories
    .map((cat, i) => {
      const link = c.links?.[i];
      const label = link ? `<a href="${esc(viewHref(link))}">${esc(cat)}</a>` : esc(cat);
      const cells = c.series.map((s) => `<td class="num">${number(s.values[i])}</td>`).join('');
      return `<tr><th scope="row">${label}</th>${cells}</tr>`;
    })
    .join('');
  return [
    `<figure class="chart chart-${esc(c.kind)}" id="${id}" data-chart="${esc(c.id)}">`,
    `<figcaption><h3 id="${id}-title">${esc(c.title)}</h3>${c.unit ? ` <span class="unit">${esc(c.unit)}</span>` : ''}</figcaption>`,
    `<div class="chart-canvas"><canvas role="img" aria-label="${esc(chartSummary(c))}"></canvas></div>`,
    `<details class="chart-numbers"><summary>The numbers of “${esc(c.title)}”</summary>`,
    `<div class="table-scroll" role="region" tabindex="0" aria-label="Numbers of ${esc(c.title)}">`,
    `<table><caption class="visually-hidden">${esc(c.title)}</caption><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table></div>`,
    `</details></figure>`,
  ].join('');
};

/** The table that the query's sort, dir, offset, limit and filters apply to. */
const isMain = (t) => Boolean(t.paging || t.sort || t.filters?.length);

const sortHeader = (t, col, ctx, tid) => {
  const active = t.sort?.key === col.key;
  const dir = active ? t.sort.dir : null;
  const ariaSort = dir === 'asc' ? 'ascending' : dir === 'desc' ? 'descending' : 'none';
  const cls = col.align === 'end' ? ' class="num"' : '';
  if (!col.sortable || !isMain(t)) return `<th scope="col"${cls}>${esc(col.label)}</th>`;
  const next = dir === 'asc' ? 'desc' : 'asc';
  const query = { ...ctx.query, sort: col.key, dir: next, offset: '' };
  const arrow = dir === 'asc' ? '▲' : dir === 'desc' ? '▼' : '↕';
  const how = next === 'asc' ? 'ascending' : 'descending';
  return (
    `<th scope="col" aria-sort="${ariaSort}"${cls}><a class="sort" id="sort-${tid}-${slug(col.key)}" ` +
    `href="${esc(viewHref({ view: ctx.view, query }))}">${esc(col.label)}` +
    `<span class="visually-hidden">, sort ${how}</span> <span aria-hidden="true">${arrow}</span></a></th>`
  );
};

const renderCell = (cell, col) => {
  const cls = col.align === 'end' ? ' class="num"' : '';
  if (!cell) return `<td${cls}></td>`;
  const out = outsideHref(cell.href);
  let body = esc(cell.text);
  if (cell.link) body = `<a href="${esc(viewHref(cell.link))}">${body}</a>`;
  else if (out)
    body = `<a href="${esc(out)}" target="_blank" rel="noopener noreferrer">${body}<span class="visually-hidden"> (opens in a new tab)</span></a>`;
  return `<td${cls}>${body}</td>`;
};

const renderActions = (row, ctx) => {
  const actions = row.actions ?? [];
  if (actions.length === 0) return '<td></td>';
  const changeId = actions[0].changeId;
  const rid = slug(changeId);
  const buttons = actions
    .map(
      (a) =>
        `<button type="submit" name="decision" value="${esc(a.kind)}" id="act-${rid}-${esc(a.kind)}" class="btn btn-${esc(a.kind)}">` +
        `${esc(a.label)}${a.label.includes(a.changeId) ? '' : `<span class="visually-hidden"> ${esc(a.changeId)}</span>`}</button>`,
    )
    .join(' ');
  const reason = actions.some((a) => a.kind === 'reject')
    ? `<label class="reason"><span class="visually-hidden">Reason for rejecting ${esc(changeId)} (optional)</span>` +
      `<input type="text" name="reason" maxlength="500" placeholder="Reason (optional)" id="reason-${rid}"></label>`
    : '';
  return (
    `<td class="actions"><form method="post" action="/dashboard/decide" class="decide" data-change="${esc(changeId)}">` +
    `<input type="hidden" name="csrf" value="${esc(ctx.csrf)}"><input type="hidden" name="changeId" value="${esc(changeId)}">` +
    `<input type="hidden" name="next" value="${esc(viewHref({ view: ctx.view, query: ctx.query }))}">` +
    `${reason}${buttons}</form></td>`
  );
};

const renderFilters = (t, ctx, tid, error) => {
  const fields = (t.filters ?? [])
    .map((f) => {
      const id = `f-${tid}-${slug(f.name)}`;
      const label = `<label for="${id}">${esc(f.label)}</label>`;
      if (f.kind === 'select') {
        const known = (f.options ?? []).some((o) => o.value === f.value);
        const options = [
          `<option value=""${f.value === '' ? ' selected' : ''}>Any</option>`,
          ...(f.options ?? []).map(
            (o) => `<option value="${esc(o.value)}"${o.value === f.value ? ' selected' : ''}>${esc(o.label)}</option>`,
          ),
          // A value the page was asked for but the view does not offer (kept, so nothing typed is lost).
          !known && f.value !== '' ? `<option value="${esc(f.value)}" selected>${esc(f.value)}</option>` : '',
        ].join('');
        return `<div class="field">${label}<select id="${id}" name="${esc(f.name)}">${options}</select></div>`;
      }
      return `<div class="field">${label}<input type="search" id="${id}" name="${esc(f.name)}" value="${esc(f.value)}" maxlength="200"></div>`;
    })
    .join('');
  const keep = ['sort', 'dir', 'limit']
    .filter((k) => ctx.query[k])
    .map((k) => `<input type="hidden" name="${k}" value="${esc(ctx.query[k])}">`)
    .join('');
  const err = error
    ? `<p class="form-error" role="alert" id="filter-error-${tid}"><span aria-hidden="true">⚠</span> ${esc(error)}</p>`
    : '';
  return (
    `<form class="filters" method="get" action="/dashboard/${esc(ctx.view)}" role="search" aria-label="Filter ${esc(t.title)}"` +
    `${error ? ` aria-describedby="filter-error-${tid}"` : ''}>` +
    `${err}${fields}${keep}<div class="filter-buttons"><button type="submit" class="btn">Apply filters</button>` +
    ` <a href="/dashboard/${esc(ctx.view)}" class="clear">Clear</a></div></form>`
  );
};

const renderPager = (t, ctx) => {
  const { offset, limit, total } = t.paging;
  const first = total === 0 ? 0 : offset + 1;
  const last = Math.min(offset + limit, total);
  const link = (o, rel, text) =>
    `<a rel="${rel}" href="${esc(viewHref({ view: ctx.view, query: { ...ctx.query, offset: o > 0 ? String(o) : '' } }))}">${text}</a>`;
  const prev = offset > 0 ? link(Math.max(0, offset - limit), 'prev', '← Previous') : '';
  const next = offset + limit < total ? link(offset + limit, 'next', 'Next →') : '';
  return (
    `<nav class="pager" aria-label="Pages of ${esc(t.title)}"><p>Showing ${number(first)}–${number(last)} of ${number(total)}</p>` +
    `${prev}${next ? ` ${next}` : ''}</nav>`
  );
};

const renderTable = (t, ctx, error) => {
  const tid = slug(t.id);
  const withActions = t.rows.some((r) => (r.actions ?? []).length > 0);
  const head =
    t.columns.map((c) => sortHeader(t, c, ctx, tid)).join('') + (withActions ? '<th scope="col">Decide</th>' : '');
  const body = t.rows
    .map(
      (r) =>
        `<tr data-row="${esc(r.id)}">${t.columns.map((c) => renderCell(r.cells[c.key], c)).join('')}${withActions ? renderActions(r, ctx) : ''}</tr>`,
    )
    .join('');
  const filters = t.filters?.length || error ? renderFilters(t, ctx, tid, error) : '';
  const table =
    t.rows.length === 0
      ? `<p class="empty">${esc(t.empty)}</p>`
      : `<div class="table-scroll" role="region" tabindex="0" aria-labelledby="t-${tid}-title">` +
        `<table id="t-${tid}"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
  const more = t.more ? `<p class="more"><a href="${esc(viewHref(t.more))}">See all: ${esc(t.title)}</a></p>` : '';
  const pager = t.paging ? renderPager(t, ctx) : '';
  return (
    `<section class="table-section" aria-labelledby="t-${tid}-title" data-table="${esc(t.id)}">` +
    `<h2 id="t-${tid}-title">${esc(t.title)}</h2>${filters}${table}${pager}${more}</section>`
  );
};

/**
 * The view as the inside of the page's `<div id="view">`. `ctx`: `view` (its name), `query` (the
 * page's query), `csrf` (the session's token, for the decide forms), `error` (a bad filter's
 * message, shown beside the main table's filters).
 */
export const renderView = (view, ctx) => {
  const c = { ...ctx, view: view.name, query: ctx.query ?? {} };
  const mainIndex = view.tables.findIndex(isMain);
  const stray = ctx.error && mainIndex < 0 ? `<p class="form-error" role="alert">${esc(ctx.error)}</p>` : '';
  const generated = new Date(view.generatedAt);
  const when = Number.isNaN(generated.getTime())
    ? ''
    : `<p class="as-of">Figures as of <time datetime="${esc(view.generatedAt)}">${esc(generated.toISOString().slice(0, 16).replace('T', ' '))} UTC</time></p>`;
  return [
    `<h1 id="view-title">${esc(view.title)}</h1>`,
    when,
    view.notes.length ? `<ul class="notes">${view.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : '',
    stray,
    view.figures.length
      ? `<section aria-labelledby="figures-title"><h2 id="figures-title" class="visually-hidden">Key figures</h2><ul class="figures">${view.figures.map(renderFigure).join('')}</ul></section>`
      : '',
    view.charts.length
      ? `<section aria-labelledby="charts-title" class="charts"><h2 id="charts-title" class="visually-hidden">Charts</h2>${view.charts.map(renderChart).join('')}</section>`
      : '',
    view.tables.map((t, i) => renderTable(t, c, i === mainIndex ? ctx.error : undefined)).join(''),
  ].join('');
};

/** The nav's list of views; the current one is marked for assistive technology too. */
export const renderNav = (current) =>
  `<ul>${Object.entries(viewLabels)
    .map(
      ([name, label]) =>
        `<li><a href="/dashboard/${name}"${name === current ? ' aria-current="page"' : ''}>${esc(label)}</a></li>`,
    )
    .join('')}</ul>`;
