// The dashboard page's script. The server already rendered the view (the page is whole without
// this): here the charts are drawn (Chart.js, served by our server), the view is re-read and
// re-rendered in place when a live notice concerns it (or every `pollMs` when live notices are not
// available), decisions are posted without leaving the page, and the nav collapses on a phone.
/* global EventSource, location, CSS */
import { renderView, seriesLabel, viewHref } from './render.js';

const $ = (id) => document.getElementById(id);
const state = JSON.parse($('dashboard-data').textContent);
const viewEl = $('view');
const noticeEl = $('notice');
const liveEl = $('live-status');
document.documentElement.classList.add('js');

// ---- the nav: a button opens and closes it on narrow screens (CSS shows the button there only)
const toggle = document.querySelector('.nav-toggle');
const nav = $('views-nav');
toggle.addEventListener('click', () => {
  const open = toggle.getAttribute('aria-expanded') !== 'true';
  toggle.setAttribute('aria-expanded', String(open));
  nav.classList.toggle('open', open);
});

// ---- charts: told apart by shape, dash and hatching as well as colour (Okabe–Ito palette)
const palette = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#8C6D00', '#000000'];
const pointStyles = ['circle', 'rect', 'triangle', 'rectRot', 'star', 'crossRot'];
const dashes = [[], [10, 4], [2, 3], [12, 4, 2, 4], [5, 5], [1, 3]];
const forecastDash = [6, 4];

/** A repeating fill: the colour with one of six hatchings drawn over it. */
const hatch = (color, i) => {
  const size = 10;
  const c = document.createElement('canvas');
  c.width = size;
  c.height = size;
  const g = c.getContext('2d');
  g.fillStyle = color;
  g.fillRect(0, 0, size, size);
  g.strokeStyle = 'rgba(255,255,255,0.9)';
  g.fillStyle = 'rgba(255,255,255,0.9)';
  g.lineWidth = 2;
  const line = (x1, y1, x2, y2) => {
    g.beginPath();
    g.moveTo(x1, y1);
    g.lineTo(x2, y2);
    g.stroke();
  };
  switch (i % 6) {
    case 1:
      line(0, size, size, 0);
      break;
    case 2:
      g.beginPath();
      g.arc(size / 2, size / 2, 1.8, 0, Math.PI * 2);
      g.fill();
      break;
    case 3:
      line(0, size / 2, size, size / 2);
      break;
    case 4:
      line(size / 2, 0, size / 2, size);
      break;
    case 5:
      line(0, 0, size, size);
      line(0, size, size, 0);
      break;
    default:
      break;
  }
  return g.createPattern(c, 'repeat');
};

const charts = [];

const datasetsOf = (chart) => {
  if (chart.kind === 'pie') {
    return chart.series.map((s) => ({
      label: seriesLabel(s),
      data: s.values,
      backgroundColor: chart.categories.map((_c, i) => hatch(palette[i % palette.length], i)),
      borderColor: '#ffffff',
      borderWidth: 2,
    }));
  }
  return chart.series.map((s, i) => {
    const color = palette[i % palette.length];
    const forecast = s.style === 'forecast';
    const common = { label: seriesLabel(s), data: s.values, borderColor: color, pointStyle: pointStyles[i % 6] };
    if (chart.kind === 'line')
      return {
        ...common,
        backgroundColor: color,
        borderDash: forecast ? forecastDash : dashes[i % dashes.length],
        borderWidth: 2,
        pointRadius: 4,
        spanGaps: false,
      };
    // Bars: a forecast is hatched diagonally and outlined, whatever its place.
    return { ...common, backgroundColor: hatch(color, forecast ? 5 : i), borderWidth: forecast ? 2 : 0 };
  });
};

const drawCharts = () => {
  const Chart = window.Chart;
  if (!Chart) return; // the numbers are in the tables
  Chart.defaults.color = '#1b1f24';
  Chart.defaults.font.size = 13;
  for (const c of state.view.charts) {
    const canvas = viewEl.querySelector(`figure[data-chart="${CSS.escape(c.id)}"] canvas`);
    if (!canvas) continue;
    const clickable = (c.links ?? []).some(Boolean);
    charts.push(
      new Chart(canvas, {
        type: c.kind,
        data: { labels: c.categories, datasets: datasetsOf(c) },
        options: {
          animation: false,
          responsive: true,
          maintainAspectRatio: false,
          plugins: {
            legend: { position: 'bottom', labels: { usePointStyle: c.kind === 'line', boxWidth: 18, boxHeight: 12 } },
            tooltip: {
              callbacks: {
                label: (item) =>
                  `${item.dataset.label}: ${Number(item.raw).toLocaleString('en-US')}${c.unit ? ` ${c.unit}` : ''}`,
              },
            },
          },
          ...(c.kind === 'pie'
            ? {}
            : { scales: { y: { beginAtZero: true, title: { display: Boolean(c.unit), text: c.unit ?? '' } } } }),
          onHover: (event, elements) => {
            if (clickable && event.native) event.native.target.style.cursor = elements.length ? 'pointer' : 'default';
          },
          onClick: (_event, elements) => {
            const link = elements[0] && c.links?.[elements[0].index];
            if (link) location.assign(viewHref(link));
          },
        },
      }),
    );
  }
};

// ---- re-rendering in place, keeping focus and what was being typed
const render = () => {
  const focused = document.activeElement?.id || null;
  const typed = [...viewEl.querySelectorAll('form.filters input, form.decide input[name="reason"]')]
    .filter((i) => i.id && i.value !== i.defaultValue)
    .map((i) => [i.id, i.value]);
  for (const c of charts.splice(0)) c.destroy();
  viewEl.innerHTML = renderView(state.view, {
    query: state.query,
    csrf: state.csrf,
    ...(state.error ? { error: state.error } : {}),
  });
  for (const [id, value] of typed) {
    const input = $(id);
    if (input) input.value = value;
  }
  drawCharts();
  if (focused) $(focused)?.focus();
};

const say = (node, text, ok) => {
  node.replaceChildren();
  const p = document.createElement('p');
  p.className = `notice ${ok ? 'notice-ok' : 'notice-bad'}`;
  p.tabIndex = -1;
  p.textContent = text;
  node.append(p);
  return p;
};

let reading = false;
let again = false;
const refresh = async () => {
  if (reading) {
    again = true;
    return;
  }
  reading = true;
  try {
    const res = await fetch(`/dashboard/api/view/${encodeURIComponent(state.view.name)}${location.search}`, {
      headers: { accept: 'application/json' },
      credentials: 'same-origin',
    });
    const body = await res.json();
    if (res.status === 401 && body.signIn) {
      location.assign(body.signIn);
      return;
    }
    if (!res.ok) return; // a bad filter: the page already shows the message
    state.view = body;
    render();
    liveEl.textContent = `Updated at ${new Date().toLocaleTimeString('en-GB')}`;
  } catch {
    // offline for a moment: the next notice or poll tries again
  } finally {
    reading = false;
    if (again) {
      again = false;
      void refresh();
    }
  }
};

let debounce = 0;
const soon = () => {
  clearTimeout(debounce);
  debounce = setTimeout(() => void refresh(), 300);
};

// ---- live notices: which kinds of event can change which view
const kindsFor = {
  overview: ['change', 'workflow', 'scan', 'incident', 'inventory'],
  inventory: ['inventory'],
  costs: ['inventory', 'scan'],
  findings: ['scan'],
  compliance: ['scan'],
  drift: ['inventory', 'scan'],
  approvals: ['change', 'workflow'],
  changes: ['change', 'workflow'],
  incidents: ['incident'],
  analytics: ['change', 'workflow', 'incident', 'scan'],
};

let polling = 0;
const poll = () => {
  if (!polling) polling = setInterval(() => void refresh(), state.pollMs);
};

if (state.live && typeof EventSource === 'function') {
  const events = new EventSource('/dashboard/api/events');
  for (const kind of kindsFor[state.view.name] ?? []) events.addEventListener(kind, soon);
  // After a reconnect notices may have been missed: read the view again.
  events.addEventListener('resync', soon);
  events.addEventListener('error', () => {
    if (events.readyState === EventSource.CLOSED) poll();
  });
} else {
  poll();
}

// ---- decisions without leaving the page
document.addEventListener('submit', async (event) => {
  const form = event.target.closest?.('form.decide');
  if (!form) return;
  event.preventDefault();
  const decision = event.submitter?.value;
  const buttons = [...form.querySelectorAll('button')];
  for (const b of buttons) b.disabled = true;
  const reason = form.querySelector('input[name="reason"]')?.value.trim();
  try {
    const res = await fetch('/dashboard/api/decide', {
      method: 'POST',
      credentials: 'same-origin',
      headers: {
        'content-type': 'application/json',
        'x-csrf-token': state.csrf,
        'x-dashboard-page': location.pathname + location.search,
      },
      body: JSON.stringify({
        changeId: form.dataset.change,
        decision,
        ...(decision === 'reject' && reason ? { reason } : {}),
      }),
    });
    const body = await res.json();
    if (res.status === 401 && body.signIn) {
      location.assign(body.signIn);
      return;
    }
    say(noticeEl, body.text ?? body.error ?? `The decision failed (${res.status}).`, res.ok).focus();
  } catch {
    say(noticeEl, 'The decision could not be sent: check the connection and try again.', false).focus();
  } finally {
    for (const b of buttons) b.disabled = false;
  }
  await refresh();
});

drawCharts();
