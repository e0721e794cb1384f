// The stephost Workbench: plain JS and SVG, no build step. Data from /__workbench/api/*,
// live log lines and trace events from the /__workbench/ws WebSocket.
'use strict';

const API = '/__workbench/api';
const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 };
const MAX_LOGS = 2000;
const SVG = 'http://www.w3.org/2000/svg';

const $ = (id) => document.getElementById(id);
const state = { flows: [], logs: [], steps: new Set(), traceId: null, renderQueued: false, traceRenderQueued: false,
  stateGroup: null, ws: null };

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'onclick') node.onclick = v;
    else if (v !== undefined && v !== null) node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c ?? '')));
  return node;
}

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

async function getJson(path, options) {
  const response = await fetch(path, options);
  return response.json();
}

function fmtTime(ms) {
  const d = new Date(ms);
  return d.toLocaleTimeString([], { hour12: false }) + '.' + String(d.getMilliseconds()).padStart(3, '0');
}

function traceLink(traceId) {
  if (!traceId) return '';
  return el('a', { class: 'trace-link', 'data-trace': traceId, onclick: () => openTrace(traceId) }, traceId);
}

// ------------------------------------------------------------------ tabs

function showTab(name) {
  for (const b of document.querySelectorAll('#tabs button')) b.classList.toggle('active', b.dataset.tab === name);
  for (const s of document.querySelectorAll('.tab')) s.classList.toggle('active', s.id === 'tab-' + name);
  if (name === 'dlq') loadDlq();
  if (name === 'workers') loadWorkers();
  if (name === 'state') loadStateGroups();
}

// ------------------------------------------------------------------ flows

async function loadFlows() {
  state.flows = (await getJson(API + '/flows')).flows;
  const select = $('flow-select');
  const current = select.value || 'all';
  select.replaceChildren(...state.flows.map((f) => el('option', { value: f.name }, f.name)));
  select.value = state.flows.some((f) => f.name === current) ? current : 'all';
  drawFlow();
  fillEndpoints();
}

// Columns: api and cron steps (and anything nothing leads to) first, then by topic depth.
function layers(nodes, edges) {
  const depth = new Map(nodes.map((n) => [n.name, 0]));
  for (let round = 0; round < nodes.length; round++) {
    let changed = false;
    for (const e of edges) {
      if (e.from === e.to || !depth.has(e.from) || !depth.has(e.to)) continue;
      const target = nodes.find((n) => n.name === e.to);
      if (target.type === 'api' || target.type === 'cron') continue;
      if (depth.get(e.to) < depth.get(e.from) + 1) { depth.set(e.to, depth.get(e.from) + 1); changed = true; }
    }
    if (!changed) break;
  }
  return depth;
}

function drawFlow() {
  const flow = state.flows.find((f) => f.name === $('flow-select').value) || state.flows[0];
  const root = $('diagram');
  root.replaceChildren();
  if (!flow) return;
  const W = 190, H = 58, GX = 270, GY = 92, PAD = 30;
  const depth = layers(flow.nodes, flow.edges);
  const columns = new Map();
  const pos = new Map();
  for (const n of flow.nodes) {
    const d = depth.get(n.name);
    const row = columns.get(d) || 0;
    columns.set(d, row + 1);
    pos.set(n.name, { x: PAD + d * GX, y: PAD + row * GY });
  }
  const width = PAD * 2 + (Math.max(0, ...depth.values()) + 1) * GX;
  const height = PAD * 2 + Math.max(1, ...columns.values()) * GY;
  root.setAttribute('width', width);
  root.setAttribute('height', height);
  root.setAttribute('viewBox', `0 0 ${width} ${height}`);
  const defs = svg('defs');
  const marker = svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto' });
  marker.append(svg('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#59606e' }));
  defs.append(marker);
  root.append(defs);
  flow.edges.forEach((e, i) => {
    const a = pos.get(e.from), b = pos.get(e.to);
    const g = svg('g', { class: 'edge' + (e.virtual ? ' virtual' : ''), 'data-topic': e.topic, 'data-from': e.from, 'data-to': e.to });
    let d, lx, ly;
    if (e.from === e.to) {
      d = `M${a.x + W - 30},${a.y} C${a.x + W},${a.y - 40} ${a.x + W + 40},${a.y + 10} ${a.x + W},${a.y + H / 2}`;
      lx = a.x + W + 4; ly = a.y - 12;
    } else {
      const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2;
      const bend = Math.max(40, Math.abs(x2 - x1) / 2);
      const back = x2 <= x1 ? 1 : 0;  // an edge to an earlier column loops below
      d = back
        ? `M${x1},${y1} C${x1 + 60},${y1 + 70} ${x2 - 60},${y2 + 70} ${x2},${y2}`
        : `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`;
      lx = (x1 + x2) / 2; ly = (y1 + y2) / 2 - 6 + (i % 2) * 12 + back * 50;
    }
    g.append(svg('path', { d, 'marker-end': 'url(#arrow)' }));
    g.append(svg('text', { x: lx, y: ly, 'text-anchor': 'middle' }, e.label + (e.conditional ? ' ?' : '')));
    root.append(g);
  });
  for (const n of flow.nodes) {
    const p = pos.get(n.name);
    const g = svg('g', { class: 'node ' + n.type, 'data-step': n.name, transform: `translate(${p.x},${p.y})` });
    g.append(svg('rect', { class: 'box', width: W, height: H, rx: 8 }));
    g.append(svg('text', { class: 'name', x: 10, y: 22 }, n.name));
    const sub = n.type === 'api' ? `${n.method} ${n.path}` : n.type === 'cron' ? `cron ${n.cron}` : n.type;
    g.append(svg('text', { x: 10, y: 42 }, sub.length > 24 ? sub.slice(0, 23) + '…' : sub));
    const lang = n.language || '?';
    g.append(svg('rect', { class: 'badge', x: W - 14 - lang.length * 7, y: 8, width: 8 + lang.length * 7, height: 16, rx: 4 }));
    g.append(svg('text', { class: 'lang', x: W - 10 - lang.length * 7, y: 20 }, lang));
    g.addEventListener('click', () => { $('node-details').textContent = JSON.stringify(n, null, 2); });
    root.append(g);
  }
}

// ------------------------------------------------------------------ logs

function addLog(record) {
  state.logs.push(record);
  trimLogs();
  if (!state.steps.has(record.step)) {
    state.steps.add(record.step);
    $('log-step').append(el('option', { value: record.step }, record.step));
  }
}

function trimLogs() {
  if (state.logs.length > MAX_LOGS) state.logs.splice(0, state.logs.length - MAX_LOGS);
}

// The host streams a capped live tail; where it left lines out it says how many. The marker stays
// in the list (whatever the filters) so the gap is visible, and "load all" fetches the host's buffer.
function addSkipped(count) {
  const last = state.logs[state.logs.length - 1];
  if (last && last.skipped) last.skipped += count;
  else state.logs.push({ skipped: count, time: Date.now() });
  trimLogs();
}

async function loadAllLogs() {
  const logs = (await getJson(API + '/logs')).logs;
  state.logs = [];
  logs.forEach(addLog);
  renderLogs();
}

function queueLogRender() {
  if (state.renderQueued) return;
  state.renderQueued = true;
  requestAnimationFrame(() => { state.renderQueued = false; renderLogs(); });
}

function renderLogs() {
  const step = $('log-step').value;
  const min = LEVELS[$('log-level').value] || 0;
  const trace = $('log-trace').value.trim();
  const shown = state.logs.filter((r) => r.skipped || ((!step || r.step === step) && (LEVELS[r.level] || 20) >= min
    && (!trace || (r.traceId || '').includes(trace))));
  const rows = shown.slice(-500).reverse().map((r) => {
    if (r.skipped) {
      return el('tr', { class: 'log skipped' }, el('td', {}, fmtTime(r.time)), el('td', { colspan: 4, class: 'msg' },
        `… ${r.skipped} line(s) left out of the live tail (busy host) `,
        el('a', { class: 'load-all', onclick: loadAllLogs }, 'load all kept lines')));
    }
    const fields = Object.fromEntries(Object.entries(r.fields || {}).filter(([k]) => k !== 'stack'));
    const text = r.msg + (Object.keys(fields).length ? ' ' + JSON.stringify(fields) : '') + (r.fields && r.fields.stack ? '\n' + r.fields.stack : '');
    return el('tr', { class: 'log level-' + r.level },
      el('td', {}, fmtTime(r.time)), el('td', {}, r.level), el('td', {}, r.step),
      el('td', {}, traceLink(r.traceId)), el('td', { class: 'msg' }, text));
  });
  $('log-rows').replaceChildren(...rows);
  const lines = (rows) => rows.filter((r) => !r.skipped).length;
  $('log-count').textContent = `${lines(shown)} of ${lines(state.logs)} line(s)`;
}

// ------------------------------------------------------------------ traces

async function openTrace(traceId) {
  state.traceId = traceId || null;
  sendWatch();
  $('trace-id').value = traceId;
  showTab('trace');
  await renderTrace();
}

function describeEvent(e) {
  if (e.kind === 'invocation') {
    const how = e.trigger === 'api' ? `${e.method} ${e.path} → ${e.status ?? '-'}` : e.trigger === 'event' ? `topic ${e.topic} (attempt ${e.attempt})` : e.trigger;
    const outcome = e.outcome === 'ok' ? 'ok' : `${e.error.code}: ${e.error.message}`;
    return `${how} · ${e.durationMs} ms · ${outcome}`;
  }
  if (e.kind === 'emit') return `emit ${e.topic} → ${e.subscribers.length ? e.subscribers.join(', ') : '(no subscriber)'}`;
  if (e.kind === 'state') return `state.${e.op}(${e.group}${e.key ? ', ' + e.key : ''})`;
  if (e.kind === 'stream') return `streams.${e.stream}.${e.op}(${e.groupId}${e.id ? ', ' + e.id : ''})`;
  return JSON.stringify(e);
}

async function renderTrace() {
  const view = $('trace-view');
  if (!state.traceId) { view.replaceChildren(); return; }
  const trace = (await getJson(`${API}/traces/${encodeURIComponent(state.traceId)}`)).trace;
  const invocations = trace.events.filter((e) => e.kind === 'invocation');
  const t0 = Math.min(...trace.events.map((e) => e.start ?? e.time), ...trace.logs.map((l) => l.time));
  const t1 = Math.max(...trace.events.map((e) => (e.start ?? e.time) + (e.durationMs || 0)), t0 + 1);
  const timeline = el('table', { class: 'grid', id: 'trace-invocations' },
    el('thead', {}, el('tr', {}, el('th', {}, 'step'), el('th', {}, 'trigger'), el('th', {}, 'language'),
      el('th', {}, 'start'), el('th', {}, 'duration'), el('th', {}, 'outcome'), el('th', { style: 'width:30%' }, 'timeline'))),
    el('tbody', {}, ...invocations.map((e) => {
      const bar = el('div', { class: 'timeline-bar' + (e.outcome === 'ok' ? '' : ' error') });
      bar.style.marginLeft = `${(100 * (e.start - t0)) / (t1 - t0)}%`;
      bar.style.width = `${(100 * e.durationMs) / (t1 - t0)}%`;
      return el('tr', { class: 'invocation', 'data-step': e.step },
        el('td', {}, e.step), el('td', {}, e.trigger + (e.topic ? ` (${e.topic})` : '')), el('td', {}, e.language),
        el('td', {}, fmtTime(e.start)), el('td', {}, `${e.durationMs} ms`),
        el('td', { class: e.outcome === 'ok' ? 'ok' : 'bad' }, e.outcome === 'ok' ? (e.status ? `ok ${e.status}` : 'ok') : `${e.error.code}: ${e.error.message}`),
        el('td', {}, bar));
    })));
  const entries = [
    ...trace.events.map((e) => ({ time: e.start ?? e.time, step: e.step, kind: e.kind, text: describeEvent(e) })),
    ...trace.logs.map((l) => ({ time: l.time, step: l.step, kind: 'log ' + l.level, text: l.msg })),
  ].sort((a, b) => a.time - b.time);
  const all = el('table', { class: 'grid', id: 'trace-events' },
    el('thead', {}, el('tr', {}, el('th', {}, 'time'), el('th', {}, 'step'), el('th', {}, 'what'), el('th', {}, 'detail'))),
    el('tbody', {}, ...entries.map((x) => el('tr', {}, el('td', {}, fmtTime(x.time)), el('td', {}, x.step),
      el('td', {}, x.kind), el('td', { class: 'msg' }, x.text)))));
  view.replaceChildren(el('h3', {}, `Trace ${trace.traceId}`),
    el('p', {}, `steps: ${trace.steps.join(', ') || '(nothing recorded for this trace)'}`),
    el('h4', {}, 'Invocations'), timeline, el('h4', {}, 'Everything, in order'), all);
}

async function loadRecentTraces() {
  const traces = (await getJson(API + '/traces')).traces;
  $('trace-recent').replaceChildren(el('table', { class: 'grid' },
    el('tbody', {}, ...traces.map((t) => el('tr', {}, el('td', {}, traceLink(t.traceId)), el('td', {}, t.step),
      el('td', {}, fmtTime(t.start)), el('td', {}, `${t.events} event(s)`))))));
}

// ------------------------------------------------------------------ dead letters

async function loadDlq() {
  const letters = (await getJson(API + '/dlq')).deadLetters;
  $('dlq-rows').replaceChildren(...letters.map((d) => el('tr', { class: 'dead-letter', 'data-id': d.id },
    el('td', {}, d.id), el('td', {}, d.step), el('td', {}, d.topic), el('td', {}, d.attempts),
    el('td', { class: 'msg' }, `${d.error.code}: ${d.error.message}`), el('td', {}, traceLink(d.traceId)),
    el('td', {}, el('button', { class: 'replay', onclick: () => replay(d.id) }, 'Replay')))));
  $('dlq-note').textContent = letters.length ? `${letters.length} dead letter(s)` : 'no dead letters';
}

async function replay(id) {
  const r = await fetch(`${API}/dlq/${encodeURIComponent(id)}/replay`, { method: 'POST' });
  $('dlq-note').textContent = r.ok ? `replayed ${id}` : `could not replay ${id}`;
  await loadDlq();
  if (r.ok) $('dlq-note').textContent = `replayed ${id}`;
}

// ------------------------------------------------------------------ endpoint tester

function apiSteps() {
  const all = state.flows.find((f) => f.name === 'all');
  return all ? all.nodes.filter((n) => n.type === 'api') : [];
}

function fillEndpoints() {
  const select = $('ep-select');
  const current = select.value;
  select.replaceChildren(...apiSteps().map((s) => el('option', { value: s.name }, `${s.method} ${s.path} (${s.name})`)));
  if (current && apiSteps().some((s) => s.name === current)) select.value = current;
  buildForm();
}

function field(name, schema, required) {
  const id = 'ep-field-' + name;
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  let input;
  if (Array.isArray(schema.enum)) {
    input = el('select', { id, name, 'data-kind': 'enum' }, ...schema.enum.map((v) => el('option', { value: JSON.stringify(v) }, String(v))));
  } else if (type === 'boolean') {
    input = el('input', { id, name, type: 'checkbox', 'data-kind': 'boolean' });
  } else if (type === 'number' || type === 'integer') {
    input = el('input', { id, name, type: 'number', step: type === 'integer' ? '1' : 'any', 'data-kind': type });
  } else if (type === 'string') {
    input = el('input', { id, name, type: 'text', 'data-kind': 'string' });
  } else {
    input = el('textarea', { id, name, 'data-kind': 'json', placeholder: 'JSON' });
    input.value = type === 'array' ? '[]' : type === 'object' ? '{}' : '';
  }
  return el('label', {}, `${name}${required ? ' *' : ''} (${type || 'json'})`, input);
}

function buildForm() {
  const step = apiSteps().find((s) => s.name === $('ep-select').value);
  const path = $('ep-path'), query = $('ep-query'), body = $('ep-body');
  for (const fs of [path, query, body]) fs.replaceChildren(fs.querySelector('legend'));
  $('ep-result').replaceChildren();
  if (!step) return;
  const params = [...step.path.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]);
  for (const p of params) path.append(el('label', {}, p, el('input', { name: p, 'data-param': p })));
  path.hidden = params.length === 0;
  for (const q of step.queryParams) query.append(el('label', {}, q.name, el('input', { name: q.name, 'data-query': q.name, placeholder: q.description || '' })));
  query.hidden = step.queryParams.length === 0;
  const schema = step.bodySchema;
  const hasBody = !['GET', 'HEAD', 'DELETE', 'OPTIONS'].includes(step.method);
  body.hidden = !hasBody;
  if (!hasBody) return;
  if (schema && schema.type === 'object' && schema.properties) {
    const required = new Set(schema.required || []);
    for (const [name, sub] of Object.entries(schema.properties)) body.append(field(name, sub, required.has(name)));
    body.dataset.mode = 'fields';
  } else {
    const raw = el('textarea', { id: 'ep-raw-body', placeholder: 'JSON body' });
    raw.value = '{}';
    body.append(el('label', {}, 'JSON', raw));
    body.dataset.mode = 'raw';
  }
}

function formBody() {
  const body = $('ep-body');
  if (body.dataset.mode === 'raw') {
    const text = $('ep-raw-body').value.trim();
    return text ? JSON.parse(text) : undefined;
  }
  const out = {};
  for (const input of body.querySelectorAll('[data-kind]')) {
    const kind = input.dataset.kind;
    if (kind === 'boolean') out[input.name] = input.checked;
    else if (kind === 'enum') out[input.name] = JSON.parse(input.value);
    else if (input.value === '') continue;
    else if (kind === 'number' || kind === 'integer') out[input.name] = Number(input.value);
    else if (kind === 'json') out[input.name] = JSON.parse(input.value);
    else out[input.name] = input.value;
  }
  return out;
}

async function sendRequest(event) {
  event.preventDefault();
  const step = apiSteps().find((s) => s.name === $('ep-select').value);
  if (!step) return;
  const result = $('ep-result');
  let path = step.path;
  for (const input of document.querySelectorAll('#ep-path [data-param]')) {
    path = path.replace(new RegExp(`:${input.dataset.param}\\??`), encodeURIComponent(input.value));
  }
  const search = new URLSearchParams();
  for (const input of document.querySelectorAll('#ep-query [data-query]')) if (input.value) search.append(input.dataset.query, input.value);
  const url = path + (search.toString() ? '?' + search : '');
  const options = { method: step.method, headers: {} };
  if (!$('ep-body').hidden) {
    let body;
    try { body = formBody(); } catch (err) { result.replaceChildren(el('p', { class: 'bad' }, `body is not valid JSON: ${err.message}`)); return; }
    if (body !== undefined) { options.body = JSON.stringify(body); options.headers['content-type'] = 'application/json'; }
  }
  const started = performance.now();
  const response = await fetch(url, options);
  const text = await response.text();
  const ms = Math.round(performance.now() - started);
  let shown = text;
  try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch { /* not JSON: shown as it came */ }
  const traceId = response.headers.get('x-trace-id');
  const headers = [...response.headers.entries()].map(([k, v]) => `${k}: ${v}`).join('\n');
  result.replaceChildren(
    el('p', {}, el('span', { id: 'ep-status', class: 'status ' + (response.ok ? 'ok' : 'bad') }, `${response.status} ${response.statusText}`),
      ` · ${step.method} ${url} · ${ms} ms · trace `, traceLink(traceId)),
    el('h4', {}, 'Headers'), el('pre', {}, headers), el('h4', {}, 'Body'), el('pre', { id: 'ep-response-body' }, shown));
}

// ------------------------------------------------------------------ workers

async function loadWorkers() {
  const workers = (await getJson(API + '/workers')).workers;
  $('worker-rows').replaceChildren(...workers.map((w) => el('tr', { class: 'worker' },
    el('td', {}, w.step), el('td', {}, w.language), el('td', { class: w.unhealthy ? 'bad' : '' }, w.state),
    el('td', {}, w.pid ?? '-'), el('td', {}, w.rss_mb != null ? `${w.rss_mb} MB` : '-'), el('td', {}, w.restarts),
    el('td', {}, w.in_flight), el('td', { class: 'msg' }, w.last_error || ''))));
}

// ------------------------------------------------------------------ state

async function loadStateGroups() {
  const groups = (await getJson(API + '/state')).groups;
  if (!groups.includes(state.stateGroup)) state.stateGroup = null;
  $('state-groups').replaceChildren(...groups.map((g) => el('li', {
    class: 'state-group' + (g === state.stateGroup ? ' active' : ''), 'data-group': g, onclick: () => openStateGroup(g),
  }, g)));
  $('state-note').textContent = groups.length ? `${groups.length} group(s)` : 'no state yet';
  await renderStateGroup();
}

async function openStateGroup(group) {
  state.stateGroup = group;
  for (const li of document.querySelectorAll('#state-groups li')) li.classList.toggle('active', li.dataset.group === group);
  await renderStateGroup();
}

async function renderStateGroup() {
  const group = state.stateGroup;
  $('state-title').textContent = group ?? 'pick a group';
  if (group === null) { $('state-rows').replaceChildren(); return; }
  const items = (await getJson(`${API}/state/${encodeURIComponent(group)}`)).items;
  if (group !== state.stateGroup) return;  // another group was picked while this one loaded
  $('state-title').textContent = `${group} · ${items.length} key(s)`;
  $('state-rows').replaceChildren(...items.map((x) => el('tr', { class: 'state-item', 'data-key': x.key },
    el('td', { class: 'msg' }, x.key), el('td', { class: 'json' }, JSON.stringify(x.value, null, 2)))));
}

// ------------------------------------------------------------------ live socket

// The host sends the events of the one trace this page watches: tell it which (again after a reconnect).
function sendWatch() {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) {
    state.ws.send(JSON.stringify({ type: 'watch', traceId: state.traceId }));
  }
}

function queueTraceRender() {
  if (state.traceRenderQueued) return;
  state.traceRenderQueued = true;
  setTimeout(() => { state.traceRenderQueued = false; renderTrace(); }, 200);
}

function connect() {
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/__workbench/ws`);
  state.ws = ws;
  ws.onopen = () => {
    $('live').textContent = 'live'; $('live').className = 'live on';
    sendWatch();
    if (state.traceId) queueTraceRender();  // events may have come while the socket was down
  };
  ws.onclose = () => {
    $('live').textContent = 'offline'; $('live').className = 'live off';
    setTimeout(connect, 1000);
  };
  ws.onmessage = (m) => {
    const message = JSON.parse(m.data);
    // The host sends bursts as one batch frame.
    for (const one of message.type === 'batch' ? message.messages : [message]) handleMessage(one);
  };
}

function handleMessage(message) {
  {
    if (message.type === 'hello') {
      state.logs = [];
      message.logs.forEach(addLog);
      queueLogRender();
    } else if (message.type === 'log') {
      addLog(message.record);
      queueLogRender();
    } else if (message.type === 'skipped') {
      addSkipped(message.logs);
      queueLogRender();
    } else if (message.type === 'trace' && message.event.traceId === state.traceId) {
      queueTraceRender();  // a burst of events re-reads the trace once
    } else if (message.type === 'error') {
      console.warn('workbench socket:', message.message);
    }
  }
}

function init() {
  for (const b of document.querySelectorAll('#tabs button')) b.onclick = () => showTab(b.dataset.tab);
  $('flow-select').onchange = drawFlow;
  for (const id of ['log-step', 'log-level']) $(id).onchange = renderLogs;
  $('log-trace').oninput = renderLogs;
  $('log-clear').onclick = () => { $('log-step').value = ''; $('log-level').value = 'info'; $('log-trace').value = ''; renderLogs(); };
  $('trace-load').onclick = () => openTrace($('trace-id').value.trim());
  $('trace-recent-load').onclick = loadRecentTraces;
  $('dlq-refresh').onclick = loadDlq;
  $('workers-refresh').onclick = loadWorkers;
  $('state-refresh').onclick = loadStateGroups;
  $('ep-select').onchange = buildForm;
  $('ep-form').onsubmit = sendRequest;
  loadFlows();
  connect();
}

init();
