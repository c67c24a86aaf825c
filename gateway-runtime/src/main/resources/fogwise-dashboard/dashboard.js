// The Fogwise gateway dashboard: reads the gateway's HTTP API with the caller's token and
// follows its server-sent event stream. No build step; uPlot draws the charts.
'use strict';

const TOKEN_KEY = 'fogwise.apiToken';
const REFRESH_MS = 1000;      // phi and silence change continuously: read them once a second
const MAX_EVENTS = 300;       // events kept in the list
const MAX_POINTS = 300;       // points kept per chart (5 minutes of heartbeat rates)

const $ = (id) => document.getElementById(id);
const state = { seen: new Set(), devices: [], layers: ['EDGE', 'FOG', 'CLOUD'], refreshing: false, again: false };
const hb = { x: [], y: [] };
const timings = { x: [], detection: [], recovery: [], migration: [] };
let hbChart = null;
let timingChart = null;

function token() { return sessionStorage.getItem(TOKEN_KEY); }

function headers(extra) {
  const h = Object.assign({ Accept: 'application/json' }, extra || {});
  const t = token();
  if (t) h.Authorization = 'Bearer ' + t;
  return h;
}

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(method, path, body) {
  const init = { method, headers: headers(body ? { 'Content-Type': 'application/json' } : {}), cache: 'no-store' };
  if (body) init.body = JSON.stringify(body);
  const res = await fetch(path, init);
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
  if (res.status === 401) {
    askForToken(json && json.error ? json.error : 'this gateway asks for an API token');
    throw new ApiError(401, 'no valid API token');
  }
  if (!res.ok && res.status !== 503) {
    throw new ApiError(res.status, (json && json.error) || (res.status + ' ' + res.statusText));
  }
  return json;
}

function askForToken(why) {
  $('auth-why').textContent = why;
  $('auth').hidden = false;
}

function say(text, error) {
  const m = $('message');
  m.textContent = text;
  m.className = error ? 'error' : '';
  m.hidden = !text;
}

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function num(v, digits) { return v === null || v === undefined ? '–' : Number(v).toFixed(digits); }
function time(ms) { return new Date(ms).toLocaleTimeString(); }

// ---- reads -------------------------------------------------------------------------------

async function refresh() {
  if (state.refreshing) { state.again = true; return; }
  state.refreshing = true;
  try {
    const [health, devices, states] = await Promise.all([api('GET', '/health'), api('GET', '/devices'),
      api('GET', '/states')]);
    showHealth(health);
    showDevices(devices || []);
    showServices(states || []);
    $('auth').hidden = true;
  } catch (e) {
    if (e.status !== 401) say('cannot read the gateway: ' + e.message, true);
  } finally {
    state.refreshing = false;
    if (state.again) { state.again = false; refresh(); }
  }
}

function showHealth(h) {
  if (!h) return;
  const badge = $('health');
  badge.textContent = h.status;
  badge.className = 'badge ' + h.status;
  $('gateway-id').textContent = h.gatewayId || '';
  document.title = 'Fogwise ' + (h.gatewayId || 'gateway') + ' — ' + h.status;
  $('rules').textContent = h.rules || '–';
  $('rules-live').textContent = h.rules || '–';
  const pv = h.policyVersions || {};
  $('policy-versions').textContent = Object.keys(pv).length
    ? '(' + Object.entries(pv).map(([scope, v]) => scope + ' v' + v).join(', ') + ')' : '(built-in rules only)';
  const d = h.devices || {};
  $('counts').textContent = Object.entries(d).map(([s, n]) => n + ' ' + s).join(' · ')
    + ' · ' + (h.services || 0) + ' services · ' + (h.instances || 0) + ' instances';
}

function showDevices(devices) {
  state.devices = devices;
  const body = $('devices').tBodies[0];
  const rows = devices.map((d) => {
    const tr = el('tr');
    tr.dataset.device = d.id;
    tr.append(el('td', d.id), el('td', d.layer), el('td', d.deviceClass || '–'),
      el('td', d.state, 'state state-' + d.state), el('td', num(d.phi, 2), 'num phi'),
      el('td', (d.silenceMs / 1000).toFixed(1) + ' s', 'num silence'), el('td', num(d.cpuLoad, 2), 'num'),
      el('td', num(d.temperatureC, 1), 'num'), el('td', num(d.batteryPct, 0), 'num'),
      el('td', d.instances, 'num'));
    return tr;
  });
  body.replaceChildren(...rows);
}

function showServices(states) {
  const body = $('services').tBodies[0];
  const rows = states.map((s) => {
    const name = s.spec.name;
    const tr = el('tr');
    tr.dataset.service = name;
    const placements = el('td', null, 'placements');
    for (const p of s.placements) {
      const span = el('span', p.deviceId + ' #' + p.epoch + ' ' + p.state, 'placement ' + p.state);
      span.dataset.device = p.deviceId;
      span.dataset.epoch = p.epoch;
      span.dataset.state = p.state;
      if (p.reason) span.title = p.reason;
      placements.append(span);
    }
    tr.append(el('td', name), el('td', s.spec.kind), el('td', s.phase, 'phase phase-' + s.phase),
      el('td', s.ready + '/' + s.spec.replicas, 'num'), placements, el('td', s.reason || '', 'why'),
      operator(name));
    return tr;
  });
  body.replaceChildren(...rows);
  for (const name of [...operators.keys()]) {
    if (!states.some((s) => s.spec.name === name)) operators.delete(name);
  }
}

// the operator cells outlive the once-a-second redraw, so a choice being made is not lost
const operators = new Map();
function operator(name) {
  let td = operators.get(name);
  if (!td) {
    td = operatorCell(name);
    operators.set(name, td);
  }
  targets(td.querySelector('select'));
  return td;
}

function targets(select) {
  const wanted = ['', ...state.layers.map((l) => 'layer:' + l),
    ...state.devices.filter((x) => x.state === 'ALIVE').map((d) => 'device:' + d.id)];
  const have = [...select.options].map((o) => o.value);
  if (wanted.join() === have.join()) return;
  const chosen = select.value;
  select.replaceChildren(...wanted.map((v) => {
    const o = el('option', v === '' ? 'move to…' : v.replace(':', ' '));
    o.value = v;
    return o;
  }));
  if (wanted.includes(chosen)) select.value = chosen;
}

// ---- operator actions: the same API calls as 'fogwise move' and 'fogwise delete' -----------

function operatorCell(name) {
  const td = el('td', null, 'operator');
  const target = el('select');
  target.className = 'move-target';
  const move = el('button', 'Move', 'move');
  move.type = 'button';
  move.addEventListener('click', () => {
    const v = target.value;
    if (!v.includes(':')) { say('choose where to move ' + name, true); return; }
    const [what, to] = v.split(/:(.*)/s);
    act('POST', '/services/' + encodeURIComponent(name) + '/move',
      what === 'layer' ? { toLayer: to } : { toDevice: to }, 'move ' + name + ' to ' + to);
  });
  const del = el('button', 'Delete', 'delete');
  del.type = 'button';
  del.addEventListener('click', () => {
    if (del.dataset.armed !== 'yes') {   // two clicks: no modal dialog, nothing deleted by a slip
      del.dataset.armed = 'yes';
      del.textContent = 'Confirm delete';
      return;
    }
    act('DELETE', '/services/' + encodeURIComponent(name), null, 'delete ' + name);
  });
  td.append(target, move, del);
  return td;
}

async function act(method, path, body, what) {
  try {
    const r = await api(method, path, body);
    say(what + ': ' + ((r && (r.outcome || r.note)) || 'done'), false);
  } catch (e) {
    say(what + ' refused: ' + (e.status === 403 ? 'this token may only read (role read). ' : '') + e.message, true);
  }
  refresh();
}

// ---- events: history, then the live stream ---------------------------------------------------

function onEvent(e) {
  if (state.seen.has(e.seq)) return;
  state.seen.add(e.seq);
  const li = el('li');
  li.dataset.type = e.type;
  li.dataset.seq = e.seq;
  li.append(el('span', time(e.atMillis) + ' '), el('span', e.type, 'type'), el('span', ' ' + (e.reason || '')));
  if (e.rule) li.title = 'rule: ' + e.rule;
  const list = $('events');
  list.prepend(li);
  while (list.children.length > MAX_EVENTS) list.lastChild.remove();
  timing(e);
  move(e);
  policy(e);
}

function detail(e, key) {
  const v = e.details && e.details[key];
  return v === undefined ? null : Number(v);
}

function timing(e) {
  let series = null;
  let ms = null;
  if (e.type === 'DEVICE_LOST') { series = 'detection'; ms = detail(e, 'silenceMs'); }
  if (e.type === 'INSTANCE_STARTED' && detail(e, 'recoveryMs') !== null) { series = 'recovery'; ms = detail(e, 'recoveryMs'); }
  if (e.type === 'MIGRATION_COMPLETED') { series = 'migration'; ms = detail(e, 'totalMs'); }
  if (series === null || ms === null) return;
  timings.x.push(e.atMillis / 1000);
  for (const s of ['detection', 'recovery', 'migration']) timings[s].push(s === series ? ms : null);
  trim(timings);
  if (timingChart) timingChart.setData([timings.x, timings.detection, timings.recovery, timings.migration]);
}

function move(e) {
  const kinds = { MIGRATION_STARTED: 'migration started', MIGRATION_COMPLETED: 'migrated',
    MIGRATION_FAILED: 'migration failed', DEVICE_LOST: 'device lost' };
  let what = kinds[e.type];
  let fromTo = '';
  let ms = null;
  if (e.type === 'INSTANCE_STARTED' && e.details && e.details.replaces) {
    what = 'failover';
    fromTo = e.details.replaces + ' → ' + e.deviceId;
    ms = detail(e, 'recoveryMs');
  } else if (e.type === 'DEVICE_LOST') {
    fromTo = e.deviceId;
    ms = detail(e, 'silenceMs');
  } else if (what) {
    fromTo = (e.details && e.details.from ? e.details.from + ' → ' : '') + (e.deviceId || '');
    ms = detail(e, 'totalMs');
  }
  if (!what) return;
  const tr = el('tr');
  tr.dataset.type = e.type;
  tr.append(el('td', time(e.atMillis)), el('td', what), el('td', e.service || ''), el('td', fromTo),
    el('td', e.epoch || ''), el('td', ms === null ? '' : ms, 'num'));
  $('moves').tBodies[0].prepend(tr);
}

function policy(e) {
  if (!e.type.startsWith('POLICY_')) return;
  const tr = el('tr');
  tr.append(el('td', time(e.atMillis)), el('td', e.type.substring('POLICY_'.length).toLowerCase(), 'outcome'),
    el('td', [e.details && e.details.scope, e.details && e.details.version && 'v' + e.details.version]
      .filter(Boolean).join(' ')), el('td', e.reason || '', 'why'));
  $('policy').tBodies[0].prepend(tr);
}

function onRates(r) {
  hb.x.push(r.atMillis / 1000);
  hb.y.push(r.intervalMs > 0 ? r.heartbeats * 1000 / r.intervalMs : 0);
  trim(hb);
  if (hbChart) hbChart.setData([hb.x, hb.y]);
}

function trim(series) {
  while (series.x.length > MAX_POINTS) {
    for (const k of Object.keys(series)) series[k].shift();
  }
}

function live(on) {
  const b = $('live');
  b.textContent = on ? 'live' : 'stream closed';
  b.className = 'badge ' + (on ? 'on' : 'off');
}

function frame(text) {
  let type = 'message';
  const data = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('event:')) type = line.substring(6).trim();
    else if (line.startsWith('data:')) data.push(line.substring(5).trimStart());
  }
  if (!data.length) return;
  const value = JSON.parse(data.join('\n'));
  if (type === 'adaptation') {
    onEvent(value);
    soon();
  } else if (type === 'rates') {
    onRates(value);
  }
}

let soonTimer = null;
function soon() {   // an event changed something: read the tables now rather than at the next tick
  if (soonTimer) return;
  soonTimer = setTimeout(() => { soonTimer = null; refresh(); }, 50);
}

// EventSource cannot send an Authorization header, and a token in the URL would end up in
// logs: the stream is read with fetch, which can.
async function stream() {
  for (;;) {
    try {
      const res = await fetch('/events/stream', { headers: headers({ Accept: 'text/event-stream' }), cache: 'no-store' });
      if (res.status === 401) {
        askForToken('this gateway asks for an API token');
      } else if (res.ok) {
        live(true);
        const history = await api('GET', '/events?limit=500');   // after subscribing: nothing falls between
        (history || []).forEach(onEvent);
        const reader = res.body.getReader();
        const decoder = new TextDecoder();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let i;
          while ((i = buffer.indexOf('\n\n')) >= 0) {
            frame(buffer.substring(0, i));
            buffer = buffer.substring(i + 2);
          }
        }
      }
    } catch (e) {
      // the gateway went away or restarted: try again below
    }
    live(false);
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

function charts() {
  const width = (id) => Math.max(300, $(id).clientWidth || 500);
  hbChart = new uPlot({ width: width('chart-heartbeats'), height: 200,
    series: [{}, { label: 'heartbeats/s', stroke: '#1f77b4', width: 2 }],
    axes: [{}, { label: '/s' }] }, [hb.x, hb.y], $('chart-heartbeats'));
  const points = (color) => ({ stroke: color, width: 0, points: { show: true, size: 8, fill: color }, spanGaps: false });
  timingChart = new uPlot({ width: width('chart-timings'), height: 200,
    series: [{}, Object.assign({ label: 'detection (silence before lost)' }, points('#d62728')),
      Object.assign({ label: 'failover recovery' }, points('#2ca02c')),
      Object.assign({ label: 'migration' }, points('#9467bd'))],
    axes: [{}, { label: 'ms' }] }, [timings.x, timings.detection, timings.recovery, timings.migration],
  $('chart-timings'));
}

function start() {
  $('token-use').addEventListener('click', () => {
    const t = $('token').value.trim();
    if (t) sessionStorage.setItem(TOKEN_KEY, t);
    $('token').value = '';
    $('auth').hidden = true;
    refresh();
  });
  charts();
  refresh();
  setInterval(refresh, REFRESH_MS);
  stream();
}

start();
