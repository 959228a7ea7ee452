// The global socket (/socket/all) and its two tables. A topic's `data` is an array (of objects or
// values), an object, a string, or null; each is drawn as the table (or text) that fits it.
import { connect } from '/client/index.js';
import { byId, el, isRecord, timeOf, wsUrl } from './dom.js';
import { socketOptions } from './sign-in.js';
import { setStatus, watch } from './status.js';

/** The topics shown, the key of their elements (`<key>-table`, `<key>-meta`) and a row's noun. */
export const TOPICS = [
  { topic: 'all_patient_page_data', key: 'patients', noun: 'patient' },
  { topic: 'all_active_visit_data', key: 'visits', noun: 'visit' },
];

/** The open global socket; its late events are dropped once it is no longer this one. */
let all = null;

export function openTopics(token) {
  for (const { key } of TOPICS) renderTopic(key, undefined);
  // The client re-requests the snapshot of every topic with a handler on every open, so the
  // tables load on connect and after each reconnect.
  const client = connect(wsUrl('/socket/all'), socketOptions(token));
  all = client;
  watch(client, 'all', 'Global socket', () => all === client);
  client.onState((state) => {
    if (all !== client || state !== 'closed') return;
    for (const { key } of TOPICS) {
      if (byId(`${key}-table`).dataset.loaded !== 'true') {
        byId(`${key}-table`).replaceChildren(el('p', { class: 'empty' }, 'Not connected.'));
      }
    }
  });
  for (const { topic, key } of TOPICS) {
    client.on(topic, (frame, info) => {
      if (all === client) renderTopic(key, frame, info);
    });
  }
}

export function closeTopics() {
  all?.close();
  all = null;
  setStatus('all', 'closed');
}

/** Draws a topic's frame (a snapshot or an update); without one, the table is loading. */
function renderTopic(key, frame, info) {
  const box = byId(`${key}-table`);
  const meta = byId(`${key}-meta`);
  if (frame === undefined) {
    box.replaceChildren(el('p', { class: 'empty' }, 'Loading…'));
    box.dataset.loaded = 'false';
    meta.textContent = '';
    return;
  }
  box.dataset.loaded = 'true';
  const data = frame?.data ?? null;
  box.replaceChildren(renderData(data));
  const noun = TOPICS.find((t) => t.key === key).noun;
  const size = Array.isArray(data) ? `${data.length} ${noun}${data.length === 1 ? '' : 's'} · ` : '';
  const origin = frame?.id === undefined ? 'snapshot' : info?.replayed ? 'caught up' : 'live update';
  meta.textContent = `${size}${origin} · ${timeOf()}`;
  meta.title =
    frame?.id === undefined
      ? 'the snapshot this socket asked for'
      : `broadcast id ${frame.id}${info?.replayed ? ', sent while this page was disconnected' : ''}`;
  box.classList.remove('flash');
  void box.offsetWidth; // restart the highlight animation
  box.classList.add('flash');
}

function cell(value) {
  if (value === null || value === undefined) return el('span', { class: 'muted' }, '—');
  if (typeof value === 'object') return el('code', { class: 'json' }, JSON.stringify(value));
  return String(value);
}

function renderData(data) {
  if (data === null || data === undefined) return el('p', { class: 'empty' }, 'No data yet.');
  if (typeof data === 'string') return el('p', { class: 'text-data' }, data);
  if (Array.isArray(data)) {
    if (data.length === 0) return el('p', { class: 'empty' }, 'Empty list.');
    if (data.every(isRecord)) {
      const columns = [...new Set(data.flatMap((row) => Object.keys(row)))];
      return el(
        'table',
        {},
        el(
          'thead',
          {},
          el(
            'tr',
            {},
            columns.map((column) => el('th', { scope: 'col' }, column)),
          ),
        ),
        el(
          'tbody',
          {},
          data.map((row) =>
            el(
              'tr',
              {},
              columns.map((column) => el('td', {}, cell(row[column]))),
            ),
          ),
        ),
      );
    }
    return el(
      'table',
      {},
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'value'))),
      el(
        'tbody',
        {},
        data.map((value) => el('tr', {}, el('td', {}, cell(value)))),
      ),
    );
  }
  if (isRecord(data)) {
    return el(
      'table',
      { class: 'key-value' },
      el(
        'tbody',
        {},
        Object.entries(data).map(([name, value]) =>
          el('tr', {}, el('th', { scope: 'row' }, name), el('td', {}, cell(value))),
        ),
      ),
    );
  }
  return el('p', { class: 'text-data' }, String(data));
}
