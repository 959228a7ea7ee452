// The operations view (admins): live connections and messages per second from GET /metrics,
// polled every second, the last 60 s drawn as two SVG lines (no chart library: two polylines are
// shorter than any, and nothing external loads under the page's CSP).
import { byId } from './dom.js';

const POLL_MS = 1000;
const POINTS = 60;

let timer = null;
let previous = null;
const samples = [];

/** Sum of every series of `name` (any labels) in Prometheus text. */
export function sumOf(text, name) {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || !/^[ {]/.test(line.slice(name.length))) continue;
    const value = Number(line.trim().split(/\s+/).pop());
    if (Number.isFinite(value)) total += value;
  }
  return total;
}

function polyline(values, max) {
  return values.map((v, i) => `${(i * 300) / (POINTS - 1)},${100 - (v / max) * 100}`).join(' ');
}

function draw() {
  const max = Math.max(1, ...samples.map((s) => Math.max(s.connections, s.rate)));
  byId('ops-connections-line').setAttribute(
    'points',
    polyline(
      samples.map((s) => s.connections),
      max,
    ),
  );
  byId('ops-rate-line').setAttribute(
    'points',
    polyline(
      samples.map((s) => s.rate),
      max,
    ),
  );
  const last = samples[samples.length - 1];
  byId('ops-connections').textContent = String(last.connections);
  byId('ops-rate').textContent = last.rate.toFixed(1);
  byId('ops-chart').dataset.points = String(samples.length);
}

async function poll() {
  const token = byId('ops-token').value.trim();
  const response = await fetch('/metrics', { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  if (response.status === 401) {
    byId('ops-status').textContent = '401: this service needs its METRICS_TOKEN; paste it above.';
    return;
  }
  if (!response.ok) throw new Error(`GET /metrics: ${response.status}`);
  const text = await response.text();
  const now = Date.now();
  const messages = sumOf(text, 'ws_messages_in_total') + sumOf(text, 'ws_messages_out_total');
  const rate = previous ? Math.max(0, (messages - previous.messages) / ((now - previous.at) / 1000)) : 0;
  previous = { at: now, messages };
  samples.push({ connections: sumOf(text, 'ws_connections'), rate });
  if (samples.length > POINTS) samples.shift();
  byId('ops-status').textContent = '';
  draw();
}

/** Shows the view and polls every second until `stopOperations()`. */
export function startOperations() {
  byId('ops-view').hidden = false;
  if (timer) return;
  const tick = () =>
    poll().catch((error) => {
      byId('ops-status').textContent = String(error.message ?? error);
    });
  void tick();
  timer = setInterval(tick, POLL_MS);
}

export function stopOperations() {
  byId('ops-view').hidden = true;
  if (timer) clearInterval(timer);
  timer = null;
  previous = null;
  samples.length = 0;
}
