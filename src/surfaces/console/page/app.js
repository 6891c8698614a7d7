// DevOps Agent web console. Plain DOM code, no framework: every piece of text from the server
// goes in through textContent, never innerHTML. The message log is the source of truth; it is
// fetched after each action and on each notice of the live stream (/console/api/events, an
// EventSource); only while that stream is down is it polled every second. While the user's own
// turn runs it is polled every 300 ms (each poll also brings that turn's newest progress step,
// shown in its "Working on it…" line).
/* global URLSearchParams, location, history, localStorage, EventSource */
'use strict';

(() => {
  const pollEveryMs = 1000;
  const pollWorkingMs = 300;
  /** After the browser gave up on the stream (an error answer), it is opened again after these delays. */
  const liveRetryMs = [2000, 5000, 15000, 30000];
  const workingText = 'Working on it…';
  const state = {
    channel: 'ops',
    user: '',
    users: [],
    since: null,
    /** id → updatedAt of what is rendered, to skip unchanged re-sent messages. */
    rendered: new Map(),
    /** Bumped when the user changes so answers to an old poll are dropped. */
    generation: 0,
    timer: 0,
    polling: false,
    pollAgain: false,
    /** The line of the user's turn in flight: {node, text, done}; `done` once the POST has answered. */
    working: null,
    /** The live stream: its EventSource, whether it is open (then no timed polls), failures in a row. */
    live: { source: null, up: false, failures: 0, retry: 0 },
  };

  const $ = (id) => document.getElementById(id);
  const log = $('log');

  // The token travels once in the URL; the server has set a cookie, so drop it from history.
  const params = new URLSearchParams(location.search);
  if (params.has('token')) {
    params.delete('token');
    const rest = params.toString();
    history.replaceState(null, '', location.pathname + (rest ? `?${rest}` : ''));
  }

  /** Builds an element; children are nodes or strings (strings become text nodes). */
  const h = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') node.className = v;
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c);
    return node;
  };

  /**
   * Inline mentions (src/chat/mention.ts): `<@surface:id|Name>`. The console draws every person
   * as `@Name` in a styled span; the token itself never shows.
   */
  const mentionRe = /<@(slack|teams|console):([^|<>\s]{1,200})\|([^<>]{0,200})>/g;
  const cleanName = (name) => name.replace(/[<>|\n\r]/g, ' ').trim() || 'someone';
  /** Text with mentions as plain `@Name`: headers, labels, aria text. */
  const mentionsAsText = (text) => text.replace(mentionRe, (_all, _s, _id, name) => `@${cleanName(name)}`);
  /** Plain runs through `render`, mentions as `<span class="mention">@Name</span>`. */
  const withMentions = (text, render) => {
    const out = [];
    let last = 0;
    for (const m of text.matchAll(mentionRe)) {
      if (m.index > last) out.push(...render(text.slice(last, m.index)));
      out.push(h('span', { class: 'mention', 'data-mention': `${m[1]}:${m[2]}` }, `@${cleanName(m[3])}`));
      last = m.index + m[0].length;
    }
    if (last < text.length) out.push(...render(text.slice(last)));
    return out;
  };

  /** A report route with the viewer as its `user` (the routes serve a console user's workspace). */
  const reportHref = (path) => `${path}${path.includes('?') ? '&' : '?'}user=${encodeURIComponent(state.user || '')}`;

  /**
   * Light markdown: *bold*, _italic_, ~strike~ and `code`, and `[label](/console/api/reports/…)` as a
   * download link for the viewer; everything else stays literal text.
   * `_` and `~` count only at word edges, so snake_case names and ~/paths stay as they are.
   */
  const inlineMarkup = (text) => {
    const out = [];
    const re =
      /\[([^\]\n]+)\]\((\/console\/api\/reports\/[^)\s]+)\)|`([^`\n]+)`|\*([^*\n]+)\*|(?<![\p{L}\p{N}_])_(?=\S)([^_\n]*?\S)_(?![\p{L}\p{N}_])|(?<![\p{L}\p{N}~])~(?=\S)([^~\n]*?\S)~(?![\p{L}\p{N}~])/gu;
    let last = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      if (m.index > last) out.push(text.slice(last, m.index));
      // A report download (a scan digest's reports): this server's own route, for the viewer.
      if (m[1] !== undefined) out.push(h('a', { href: reportHref(m[2]), download: true, 'data-report': 'link' }, m[1]));
      else if (m[3] !== undefined) out.push(h('code', {}, m[3]));
      else if (m[4] !== undefined) out.push(h('strong', {}, m[4]));
      else if (m[5] !== undefined) out.push(h('em', {}, m[5]));
      else out.push(h('s', {}, m[6]));
      last = re.lastIndex;
    }
    if (last < text.length) out.push(text.slice(last));
    return out;
  };

  /** Light markdown with inline mentions. */
  const inline = (text) => withMentions(text, inlineMarkup);

  /**
   * A text block: ``` fenced code in a monospace box (as Slack draws it), the prose around it
   * through `inline`. Inside a list or a quote every code line carries the indent or `> ` that
   * precedes its fence: the box shows the code without it.
   */
  const richText = (text) => {
    const out = [];
    const re = /```([\s\S]*?)```/g;
    let last = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      const lead = /(?:^|\n)([ >]*)$/.exec(text.slice(last, m.index));
      const prefix = lead ? lead[1] : '';
      // The line breaks next to a fence belong to the box, not to the prose around it.
      const before = text.slice(last, m.index).replace(/\n[ >]*$/, '');
      if (before) out.push(...inline(before));
      const code = m[1]
        .replace(/^[^\S\n]*\n/, '')
        .replace(/\n[ >]*$/, '')
        .split('\n')
        .map((line) => (prefix && line.startsWith(prefix) ? line.slice(prefix.length) : line))
        .join('\n');
      out.push(h('pre', { class: 'block-code' }, h('code', {}, code)));
      last = re.lastIndex;
      if (text[last] === '\n') last += 1;
    }
    if (last < text.length) out.push(...inline(text.slice(last)));
    return out;
  };

  /** `kind` marks who raised it, so a recovered poller clears only its own message. */
  const showStatus = (message, kind = 'action') => {
    const el = $('status');
    el.textContent = message || '';
    el.dataset.kind = kind;
    el.hidden = !message;
  };

  const api = async (method, path, body) => {
    const res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    const data = await res.json().catch(() => ({}));
    // A plain Error on purpose: this file runs in the browser, where src/errors.ts is not loaded.
    if (!res.ok) throw new Error(data.error || `request failed (${res.status})`);
    return data;
  };

  const userIdOf = (actorKey) => (actorKey || '').split(':').pop();
  const nameOf = (userId) => state.users.find((u) => u.userId === userId)?.displayName || userId;
  const initials = (name) => name.slice(0, 2).toUpperCase();
  const timeOf = (iso) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

  /** Sends a button's interaction (with form inputs, if any). Returns the replies, or null on failure. */
  const interact = async (button, group, action, inputs) => {
    const buttons = group.querySelectorAll('button');
    buttons.forEach((b) => (b.disabled = true));
    button.setAttribute('aria-busy', 'true');
    try {
      const data = await api('POST', '/console/api/interaction', {
        user: state.user,
        channel: state.channel,
        actionId: action.actionId,
        value: action.value,
        ...(inputs ? { inputs } : {}),
      });
      showStatus('');
      pollNow();
      return data.replies || [];
    } catch (err) {
      showStatus(err.message);
      return null;
    } finally {
      buttons.forEach((b) => (b.disabled = false));
      button.removeAttribute('aria-busy');
    }
  };

  /**
   * A search field: a text input whose datalist holds the bot's choices for what is typed so far
   * (GET /console/api/options, at most one request in flight, the newest text wins). The value
   * sent is what is in the input: a choice's value (an instance id), or a name typed in full.
   */
  const searchInput = (id, f) => {
    const listId = `${id}-choices`;
    const input = h('input', {
      id,
      name: f.name,
      required: f.required,
      placeholder: f.placeholder || '',
      list: listId,
      autocomplete: 'off',
      'data-field': f.name,
      'data-source': f.source,
    });
    const list = h('datalist', { id: listId, 'data-testid': `choices-${f.name}` });
    let asked = null;
    let busy = false;
    const refresh = async () => {
      const query = input.value.trim();
      if (busy || asked === query) return;
      busy = true;
      asked = query;
      try {
        const qs = new URLSearchParams({ user: state.user, channel: state.channel, source: f.source, query });
        const data = await api('GET', `/console/api/options?${qs}`);
        list.replaceChildren(
          ...(data.options || []).map((o) => h('option', { value: o.value, label: o.label }, o.label)),
        );
      } catch (err) {
        showStatus(err.message);
      } finally {
        busy = false;
        if (input.value.trim() !== asked) void refresh();
      }
    };
    input.addEventListener('input', () => void refresh());
    input.addEventListener('focus', () => void refresh());
    return { input, list };
  };

  /**
   * A button with a form (Reject asks for a reason, Resize offers the valid sizes): the form opens
   * under the buttons; field errors from the bot are shown on their field and the form stays open.
   */
  const openForm = (button, group, action) => {
    const holder = group.parentElement;
    holder.querySelector('form.inline-form')?.remove();
    const controls = {};
    const errors = {};
    const rows = action.form.fields.map((f) => {
      const id = `f-${Math.random().toString(36).slice(2)}`;
      if (f.kind === 'search') {
        const control = searchInput(id, f);
        controls[f.name] = control.input;
        errors[f.name] = h('p', {
          class: 'field-error',
          role: 'alert',
          'data-testid': `field-error-${f.name}`,
          hidden: true,
        });
        return h(
          'div',
          { class: 'form-row' },
          h('label', { for: id }, f.label),
          control.input,
          control.list,
          errors[f.name],
        );
      }
      const control =
        f.kind === 'select'
          ? h(
              'select',
              { id, name: f.name, required: f.required, 'data-field': f.name },
              h('option', { value: '' }, f.placeholder || 'Choose…'),
              (f.options || []).map((o) => h('option', { value: o.value }, o.label)),
            )
          : f.multiline
            ? h('textarea', {
                id,
                name: f.name,
                required: f.required,
                rows: 2,
                placeholder: f.placeholder || '',
                'data-field': f.name,
              })
            : h('input', {
                id,
                name: f.name,
                required: f.required,
                placeholder: f.placeholder || '',
                'data-field': f.name,
              });
      controls[f.name] = control;
      errors[f.name] = h('p', {
        class: 'field-error',
        role: 'alert',
        'data-testid': `field-error-${f.name}`,
        hidden: true,
      });
      return h('div', { class: 'form-row' }, h('label', { for: id }, f.label), control, errors[f.name]);
    });
    const submit = h(
      'button',
      { type: 'submit', class: `btn ${action.style === 'danger' ? 'btn-danger' : 'btn-primary'}` },
      action.form.submitLabel,
    );
    const cancel = h('button', { type: 'button', class: 'btn btn-default' }, 'Cancel');
    const form = h(
      'form',
      { class: 'inline-form', 'data-testid': 'inline-form', 'aria-label': action.form.title },
      h('p', { class: 'form-title' }, action.form.title),
      rows,
      h('div', { class: 'block-actions' }, submit, cancel),
    );
    cancel.addEventListener('click', () => form.remove());
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const inputs = {};
      for (const [name, control] of Object.entries(controls))
        if (control.value.trim()) inputs[name] = control.value.trim();
      Object.values(errors).forEach((e) => (e.hidden = true));
      const replies = await interact(submit, form, action, inputs);
      const fieldErrors = replies && replies.find((r) => r.fieldErrors)?.fieldErrors;
      if (fieldErrors) {
        for (const [name, message] of Object.entries(fieldErrors)) {
          if (!errors[name]) continue;
          errors[name].textContent = message;
          errors[name].hidden = false;
        }
        return;
      }
      if (replies) form.remove();
    });
    holder.append(form);
    Object.values(controls)[0]?.focus();
  };

  const formatValue = (v) => v.toLocaleString('en-US', { maximumFractionDigits: 2 });
  /** The numbers of a chart as text, as `chartText` in src/chat/reply.ts writes them. */
  const chartText = (c) => {
    const unit = c.unit ? ` (${c.unit})` : '';
    const line = (values) => c.categories.map((cat, i) => `${cat} ${formatValue(values[i])}`).join(', ');
    if (c.series.length === 1) return `${c.title}${unit}: ${line(c.series[0].values)}`;
    return [`${c.title}${unit}:`, ...c.series.map((s) => `${s.name}: ${line(s.values)}`)].join('\n');
  };

  const svgNs = 'http://www.w3.org/2000/svg';
  /** An SVG element; children as in `h` (strings become text nodes). */
  const s = (tag, attrs = {}, ...children) => {
    const node = document.createElementNS(svgNs, tag);
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) node.setAttribute(k, String(v));
    for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c);
    return node;
  };
  /** A short axis number: 1.2k, 3.4M. */
  const shortNumber = (v) => {
    const a = Math.abs(v);
    if (a >= 1e9) return `${formatValue(v / 1e9)}B`;
    if (a >= 1e6) return `${formatValue(v / 1e6)}M`;
    if (a >= 1e4) return `${formatValue(v / 1e3)}k`;
    return formatValue(v);
  };
  /** A round step for about four grid lines over `span`. */
  const niceStep = (span) => {
    const raw = span / 4 || 1;
    const mag = 10 ** Math.floor(Math.log10(raw));
    return [1, 2, 2.5, 5, 10].map((f) => f * mag).find((x) => x >= raw) ?? raw;
  };
  const shortLabel = (t, max) => (t.length > max ? `${t.slice(0, max - 1)}…` : t);

  /** Bars, lines or areas over the categories, with a value axis from its grid lines. */
  const axisChart = (c, W, H) => {
    const all = c.series.flatMap((x) => x.values);
    const step = niceStep(Math.max(...all, 0) - Math.min(...all, 0));
    const top = Math.ceil(Math.max(...all, 0) / step) * step || step;
    const bottom = Math.floor(Math.min(...all, 0) / step) * step;
    const rotate = c.categories.length > 8;
    const left = 48;
    const right = 8;
    const head = 10;
    const foot = rotate ? 70 : 28;
    const plotW = W - left - right;
    const plotH = H - head - foot;
    const y = (v) => head + ((top - v) / (top - bottom)) * plotH;
    const band = plotW / c.categories.length;
    const x = (i) => left + band * (i + 0.5);
    const parts = [];
    for (let v = bottom; v <= top + step / 2; v += step) {
      parts.push(s('line', { class: 'chart-grid', x1: left, x2: W - right, y1: y(v), y2: y(v) }));
      parts.push(s('text', { class: 'chart-tick', x: left - 6, y: y(v) + 4, 'text-anchor': 'end' }, shortNumber(v)));
    }
    c.categories.forEach((cat, i) => {
      const attrs = rotate
        ? { x: x(i), y: H - foot + 14, 'text-anchor': 'end', transform: `rotate(-40 ${x(i)} ${H - foot + 14})` }
        : { x: x(i), y: H - foot + 16, 'text-anchor': 'middle' };
      parts.push(
        s('text', { class: 'chart-tick', ...attrs }, shortLabel(cat, rotate ? 14 : Math.max(4, Math.floor(band / 7)))),
      );
    });
    if (c.kind === 'bar') {
      const inner = (band * 0.8) / c.series.length;
      c.series.forEach((ser, k) =>
        ser.values.forEach((v, i) => {
          const x0 = left + band * i + band * 0.1 + inner * k;
          parts.push(
            s(
              'rect',
              {
                class: `chart-series-${k % 6}`,
                x: x0,
                y: Math.min(y(v), y(0)),
                width: Math.max(1, inner - 1),
                height: Math.max(0.5, Math.abs(y(v) - y(0))),
              },
              s('title', {}, `${c.categories[i]}: ${formatValue(v)}${c.series.length > 1 ? ` (${ser.name})` : ''}`),
            ),
          );
        }),
      );
    } else {
      c.series.forEach((ser, k) => {
        const points = ser.values.map((v, i) => `${x(i)},${y(v)}`).join(' ');
        if (c.kind === 'area')
          parts.push(
            s('polygon', {
              class: `chart-area chart-series-${k % 6}`,
              points: `${x(0)},${y(0)} ${points} ${x(ser.values.length - 1)},${y(0)}`,
            }),
          );
        parts.push(s('polyline', { class: `chart-line chart-stroke-${k % 6}`, points }));
        ser.values.forEach((v, i) =>
          parts.push(
            s(
              'circle',
              { class: `chart-series-${k % 6}`, cx: x(i), cy: y(v), r: 3 },
              s('title', {}, `${c.categories[i]}: ${formatValue(v)}${c.series.length > 1 ? ` (${ser.name})` : ''}`),
            ),
          ),
        );
      });
    }
    parts.push(s('line', { class: 'chart-axis', x1: left, x2: W - right, y1: y(0), y2: y(0) }));
    return parts;
  };

  /** Slices clockwise from the top; a slice of the whole is a full circle. */
  const pieChart = (c, W, H) => {
    const values = c.series[0].values;
    const sum = values.reduce((a, b) => a + b, 0);
    const r = Math.min(W, H) / 2 - 8;
    const cx = W / 2;
    const cy = H / 2;
    if (sum <= 0) return [s('circle', { class: 'chart-grid', cx, cy, r })];
    let angle = -Math.PI / 2;
    return values.flatMap((v, i) => {
      if (v <= 0) return [];
      const label = s('title', {}, `${c.categories[i]}: ${formatValue(v)} (${formatValue((v / sum) * 100)}%)`);
      if (v >= sum) return [s('circle', { class: `chart-series-${i % 6}`, cx, cy, r }, label)];
      const a0 = angle;
      angle += (v / sum) * 2 * Math.PI;
      const large = angle - a0 > Math.PI ? 1 : 0;
      const d = `M ${cx} ${cy} L ${cx + r * Math.cos(a0)} ${cy + r * Math.sin(a0)} A ${r} ${r} 0 ${large} 1 ${cx + r * Math.cos(angle)} ${cy + r * Math.sin(angle)} Z`;
      return [s('path', { class: `chart-series-${i % 6} chart-slice`, d }, label)];
    });
  };

  /**
   * A chart as inline SVG (no library, nothing fetched): role="img" with the numbers as its
   * accessible name and <title>, a legend when there are several series (or slices), and the
   * numbers as text under it for anyone who would rather read them.
   */
  const renderChart = (c) => {
    const text = chartText(c);
    const pie = c.kind === 'pie';
    const W = pie ? 220 : 560;
    const H = pie ? 220 : 260;
    const id = `chart-${Math.random().toString(36).slice(2)}`;
    const svg = s(
      'svg',
      {
        class: `chart chart-${c.kind}`,
        viewBox: `0 0 ${W} ${H}`,
        width: W,
        height: H,
        role: 'img',
        'aria-labelledby': `${id}-title`,
        'data-testid': 'chart-svg',
      },
      s('title', { id: `${id}-title` }, text),
      pie ? pieChart(c, W, H) : axisChart(c, W, H),
    );
    const legendItems = pie
      ? c.categories.map((cat, i) => ({ name: cat, k: i % 6 }))
      : c.series.length > 1
        ? c.series.map((ser, k) => ({ name: ser.name, k: k % 6 }))
        : [];
    const legend = legendItems.length
      ? h(
          'ul',
          { class: 'chart-legend', 'aria-hidden': 'true' },
          legendItems.map((l) => h('li', {}, h('span', { class: `chart-swatch chart-series-bg-${l.k}` }), l.name)),
        )
      : null;
    return h(
      'figure',
      { class: 'block-chart', 'data-block': 'chart', 'data-kind': c.kind },
      h(
        'figcaption',
        { class: 'chart-title' },
        c.title,
        c.unit ? h('span', { class: 'chart-unit' }, ` (${c.unit})`) : null,
      ),
      h('div', { class: 'chart-body' }, svg, legend),
      h('p', { class: 'chart-numbers', 'data-testid': 'chart-numbers' }, text),
    );
  };

  const renderBlock = (block) => {
    switch (block.type) {
      case 'header':
        return h('h3', { class: 'block-header', 'data-block': 'header' }, mentionsAsText(block.text));
      case 'text':
        return h('div', { class: 'block-text', 'data-block': 'text' }, richText(block.text));
      case 'context':
        return h('p', { class: 'block-context', 'data-block': 'context' }, inline(block.text));
      case 'chart':
        return renderChart(block);
      case 'fields':
        return h(
          'dl',
          { class: 'block-fields', 'data-block': 'fields' },
          block.fields.map((f) =>
            h('div', { class: 'field' }, h('dt', {}, mentionsAsText(f.label)), h('dd', {}, inline(f.value))),
          ),
        );
      case 'table':
        return h(
          'div',
          { class: 'table-wrap', 'data-block': 'table' },
          h(
            'table',
            {},
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                block.columns.map((c) => h('th', { scope: 'col' }, mentionsAsText(c))),
              ),
            ),
            h(
              'tbody',
              {},
              block.rows.map((row) =>
                h(
                  'tr',
                  {},
                  row.map((cell) => h('td', {}, inline(cell))),
                ),
              ),
            ),
          ),
        );
      case 'actions': {
        const group = h('div', {
          class: 'block-actions',
          'data-block': 'actions',
          role: 'group',
          'aria-label': 'Actions',
        });
        for (const b of block.buttons) {
          const button = h(
            'button',
            {
              type: 'button',
              class: `btn ${b.style === 'primary' ? 'btn-primary' : b.style === 'danger' ? 'btn-danger' : 'btn-default'}`,
              'data-testid': 'action-button',
              'data-action-id': b.actionId,
              'data-value': b.value,
            },
            mentionsAsText(b.label),
          );
          button.addEventListener('click', () => (b.form ? openForm(button, group, b) : interact(button, group, b)));
          group.append(button);
        }
        return group;
      }
      default:
        return null;
    }
  };

  const renderMessage = (m) => {
    const bot = m.author === 'bot';
    const reply = m.reply;
    const userId = bot ? '' : userIdOf(m.actorKey);
    const name = bot ? 'DevOps Agent' : nameOf(userId);
    const badges = [];
    if (reply?.sandbox)
      badges.push(h('span', { class: 'badge badge-sandbox', 'data-testid': 'sandbox-badge' }, 'sandbox'));
    if (reply?.ephemeral)
      badges.push(h('span', { class: 'badge badge-private', 'data-testid': 'ephemeral-badge' }, 'only visible to you'));
    const body =
      bot && reply ? reply.blocks.map(renderBlock) : [h('p', { class: 'block-text' }, bot ? inline(m.text) : m.text)];
    return h(
      'li',
      {
        class: `message ${bot ? 'message-bot' : 'message-user'}${userId === state.user ? ' message-mine' : ''}`,
        'data-testid': 'message',
        'data-message-id': m.id,
        'data-author': bot ? 'bot' : userId,
      },
      h('div', { class: `avatar${bot ? ' avatar-bot' : ''}`, 'aria-hidden': 'true' }, bot ? 'DA' : initials(name)),
      h(
        'div',
        { class: 'bubble' },
        h(
          'div',
          { class: 'meta' },
          h('span', { class: 'author' }, name),
          h('time', { datetime: m.createdAt }, timeOf(m.createdAt)),
          m.updatedAt !== m.createdAt && bot ? h('span', { class: 'edited' }, 'updated') : null,
          badges,
        ),
        h('div', { class: 'content' }, body),
      ),
    );
  };

  /**
   * The "Working on it…" line of a turn in flight: it stays the last item of the log, styled as a
   * bot message, and shows the turn's newest progress step as the polls bring it.
   */
  const workingLine = () => {
    const text = h('p', { class: 'block-text', 'data-testid': 'working-text' }, workingText);
    const node = h(
      'li',
      { class: 'message message-bot message-working', 'data-testid': 'working', 'aria-live': 'polite' },
      h('div', { class: 'avatar avatar-bot', 'aria-hidden': 'true' }, 'DA'),
      h(
        'div',
        { class: 'bubble' },
        h('div', { class: 'meta' }, h('span', { class: 'author' }, 'DevOps Agent')),
        h('div', { class: 'content' }, text),
      ),
    );
    return { node, text, done: false };
  };

  /** Ends the line of `working` if it is still the page's current one. */
  const endWorking = (working) => {
    working.node.remove();
    if (state.working === working) state.working = null;
  };

  const upsert = (m) => {
    if (state.rendered.get(m.id) === m.updatedAt) return false;
    state.rendered.set(m.id, m.updatedAt);
    const node = renderMessage(m);
    const existing = log.querySelector(`li[data-message-id="${m.id}"]`);
    if (existing) {
      existing.replaceWith(node);
      return true;
    }
    // Keep id order even when an overlapping poll delivers an older message late, and the working line last.
    const after = [...log.children].find((li) => Number(li.dataset.messageId) > m.id);
    log.insertBefore(node, after || state.working?.node || null);
    return true;
  };

  const nearBottom = () => window.innerHeight + window.scrollY >= document.body.scrollHeight - 80;

  const poll = async () => {
    if (!state.user) return;
    if (state.polling) {
      state.pollAgain = true;
      return;
    }
    state.polling = true;
    clearTimeout(state.timer);
    const generation = state.generation;
    // Captured now: an answer to a poll sent before the turn ended may still carry its progress.
    const working = state.working;
    const answered = working?.done;
    try {
      const q = new URLSearchParams({ channel: state.channel, user: state.user });
      if (state.since) q.set('since', state.since);
      const data = await api('GET', `/console/api/messages?${q}`);
      if (generation === state.generation) {
        const stick = nearBottom();
        let changed = false;
        for (const m of data.messages) changed = upsert(m) || changed;
        if (working && answered) {
          // This poll started after the turn answered, so it brought the answer: the line goes.
          endWorking(working);
        } else if (
          working &&
          state.working === working &&
          data.progress &&
          working.text.textContent !== data.progress
        ) {
          // The newest step replaces the text. A poll without one (none reported yet, or answered by
          // another replica, which does not run this turn) keeps what is shown.
          working.text.textContent = data.progress;
          changed = true;
        }
        state.since = data.now;
        $('empty').hidden = log.children.length > 0;
        if (changed && stick) window.scrollTo(0, document.body.scrollHeight);
        if ($('status').dataset.kind === 'poll') showStatus('');
      }
    } catch (err) {
      if (generation === state.generation) showStatus(`Cannot refresh messages: ${err.message}`, 'poll');
    }
    state.polling = false;
    // A user switch during this poll started its own cycle: only the current generation reschedules.
    if (generation !== state.generation || state.pollAgain) {
      state.pollAgain = false;
      poll();
    } else if (state.working || !state.live.up) {
      // With the live stream open, the next fetch waits for its next notice.
      state.timer = setTimeout(poll, state.working ? pollWorkingMs : pollEveryMs);
    }
  };
  const pollNow = () => poll();

  /** `data-live` on the log says which way it is kept current: `on` (the stream) or `off` (polling). */
  const setLive = (up) => {
    state.live.up = up;
    log.dataset.live = up ? 'on' : 'off';
  };

  const closeLive = () => {
    clearTimeout(state.live.retry);
    state.live.source?.close();
    state.live.source = null;
    setLive(false);
  };

  /**
   * Opens the live stream of the user's channel: each notice (ids only) fetches what changed, as a
   * poll would. While it is down, polling takes over; when it is back (`ready`), the log is read
   * again (notices of the gap are lost) and polling stops. A browser that gave up on the stream
   * (the route answered an error, or is not there) has it opened again after a pause.
   */
  const openLive = () => {
    closeLive();
    if (!state.user || typeof EventSource !== 'function') return;
    const q = new URLSearchParams({ channel: state.channel, user: state.user });
    const source = new EventSource(`/console/api/events?${q}`);
    state.live.source = source;
    const current = () => source === state.live.source;
    source.addEventListener('ready', () => {
      if (!current()) return;
      state.live.failures = 0;
      setLive(true);
      pollNow();
    });
    source.addEventListener('message', () => current() && pollNow());
    source.addEventListener('resync', () => current() && pollNow());
    source.addEventListener('error', () => {
      if (!current()) return;
      setLive(false);
      // Polling resumes at once (a poll reschedules itself while the stream is down).
      pollNow();
      if (source.readyState === EventSource.CLOSED) {
        const delay = liveRetryMs[Math.min(state.live.failures, liveRetryMs.length - 1)];
        state.live.failures += 1;
        state.live.retry = setTimeout(openLive, delay);
      }
    });
  };

  /** The Reports menu's links carry the chosen user and framework (plain downloads: the cookie goes along). */
  const reportLinks = () => {
    const q = `?user=${encodeURIComponent(state.user || '')}`;
    $('report-csv').href = `/console/api/reports/findings.csv${q}`;
    $('report-ocsf').href = `/console/api/reports/findings.ocsf.json${q}`;
    const fw = $('report-framework').value;
    if (fw) $('report-html').href = `/console/api/reports/compliance/${encodeURIComponent(fw)}.html${q}`;
  };

  const loadReports = async () => {
    try {
      const { frameworks } = await api('GET', '/console/api/reports');
      $('report-framework').replaceChildren(
        ...frameworks.map((f) => h('option', { value: f.id }, `${f.name} ${f.version}`)),
      );
      $('report-framework').addEventListener('change', reportLinks);
      reportLinks();
      $('reports').hidden = false;
    } catch {
      // No reports on this server (the app did not wire them): the menu stays hidden.
    }
  };

  const selectUser = (userId) => {
    state.user = userId;
    reportLinks();
    state.generation += 1;
    state.since = null;
    state.rendered.clear();
    // The previous user's turn, if one runs, is no longer shown.
    state.working = null;
    log.replaceChildren();
    const u = state.users.find((x) => x.userId === userId);
    $('user-role').textContent = u ? u.role : '';
    try {
      localStorage.setItem('devops-agent.console.user', userId);
    } catch {
      // Private mode: the choice is simply not remembered.
    }
    clearTimeout(state.timer);
    openLive();
    // A poll in flight notices the new generation and starts the new user's cycle itself.
    if (!state.polling) poll();
  };

  const sendTurn = async (event) => {
    event.preventDefault();
    const input = $('message-input');
    const text = input.value.trim();
    if (!text || !state.user) return;
    input.value = '';
    const working = workingLine();
    if (state.working) endWorking(state.working);
    state.working = working;
    log.append(working.node);
    $('empty').hidden = true;
    window.scrollTo(0, document.body.scrollHeight);
    $('send-button').disabled = true;
    // At once, then every pollWorkingMs: the user's message and the turn's steps show while it runs.
    pollNow();
    try {
      await api('POST', '/console/api/turn', { user: state.user, channel: state.channel, text });
      showStatus('');
      // The line goes with the next poll, which brings the answer: no gap without either.
      working.done = true;
    } catch (err) {
      showStatus(err.message);
      input.value = text;
      endWorking(working);
    } finally {
      $('send-button').disabled = false;
      input.focus();
      pollNow();
    }
  };

  const start = async () => {
    $('composer').addEventListener('submit', sendTurn);
    $('user-select').addEventListener('change', (e) => selectUser(e.target.value));
    try {
      const { users } = await api('GET', '/console/api/users');
      state.users = users;
      const select = $('user-select');
      select.replaceChildren(...users.map((u) => h('option', { value: u.userId }, u.displayName)));
      select.disabled = false;
      let remembered = null;
      try {
        remembered = localStorage.getItem('devops-agent.console.user');
      } catch {
        remembered = null;
      }
      const wanted = [params.get('user'), remembered].find((id) => id && users.some((u) => u.userId === id));
      const initial = wanted || users[0]?.userId || '';
      select.value = initial;
      selectUser(initial);
      await loadReports();
    } catch (err) {
      showStatus(`Cannot load console users: ${err.message}`);
    }
  };

  start();
})();
