// The demo page: one global socket (/socket/all) that switches on `type`, the user's push channel
// and one chat at a time, all through the client library served at /client/. Plain ES module, no
// build step, no dependency.
import { connect } from '/client/index.js';
import { byId, el, timeOf, wsUrl } from './dom.js';
import { startOperations, stopOperations } from './operations.js';

const SESSION_KEY = 'nest-realtime-demo.session';
/** Options of every socket: retries no further apart than 5 s, so the demo comes back quickly. */
/** Every socket of the page: a fresh token from dev-login when the server says the token expired. */
const SOCKET_OPTIONS = { backoff: { maxMs: 5000 }, getToken: () => renewToken() };
/** Chat ids: a user id without `_`, since `_` separates the two ids of a chat group. */
const CHAT_ID = /^[A-Za-z0-9-]{1,64}$/;
const DECIMAL = /^[0-9]+$/;

const TOPICS = [
  { topic: 'all_patient_page_data', key: 'patients', noun: 'patient' },
  { topic: 'all_active_visit_data', key: 'visits', noun: 'visit' },
];

const SAMPLES = {
  patients: [
    { name: 'Zhang San', bed: 12, ward: 'Cardiology', status: 'stable' },
    { name: 'Li Si', bed: 7, ward: 'Neurology', status: 'observation' },
    { name: 'Wang Wu', bed: 3, ward: 'Surgery', status: 'post-op' },
  ],
  visits: [
    { visit: 'V-1001', patient: 'Zhang San', doctor: 'Dr. Chen', room: '2B', since: '09:40' },
    { visit: 'V-1002', patient: 'Li Si', doctor: 'Dr. Zhao', room: '4A', since: '10:15' },
  ],
  push: { kind: 'visit-assigned', visit: 'V-1002', note: 'Room 4A is ready' },
};

/** What a gap means on each socket (the global socket's tables reload their snapshots by themselves). */
const GAP_NOTICES = {
  all: 'some updates could not be recovered after the reconnect; the tables were reloaded.',
  push: 'some notifications could not be recovered after the reconnect; reloaded what is left.',
  chat: 'some messages could not be recovered after the reconnect; reloaded what is left.',
};

const REFUSALS = {
  400: 'malformed name',
  401: 'token missing, invalid or expired',
  403: 'not allowed for this user or origin',
  404: 'no such endpoint',
  503: 'the service is unavailable',
};

/** Everything that lives for one signed-in session. */
const session = { user: '', admin: false, token: '', all: null, push: null, chat: null };
/** Push ids already shown, and chat notifications by chat group (to seed the chat log). */
const seenPushIds = new Set();
const chatNotices = new Map();
/** Current error messages by source; a source's message goes away when it is fine again. */
const errors = new Map();
/** Current notices (not errors: something the user should know) by source. */
const notices = new Map();

// ---------------------------------------------------------------------------------------------
// Errors and connection status

/** Shows (or, without `message`, clears) the error of `source`; `action` adds a button. */
function setError(source, message, action) {
  if (message) errors.set(source, { message, action });
  else errors.delete(source);
  const box = byId('error');
  box.replaceChildren(
    ...[...errors].map(([key, { message: text, action: act }]) =>
      el(
        'div',
        { class: 'error-item', 'data-source': key },
        el('span', { class: 'error-text' }, text),
        act && el('button', { type: 'button', class: 'small error-action', onclick: act.run }, act.label),
        el(
          'button',
          { type: 'button', class: 'ghost small', 'aria-label': 'Dismiss', onclick: () => setError(key) },
          '×',
        ),
      ),
    ),
  );
  box.hidden = errors.size === 0;
}

/** Shows (or, without `message`, clears) the notice of `source`: dismissed by the user only. */
function setNotice(source, message) {
  if (message) notices.set(source, message);
  else notices.delete(source);
  const box = byId('notices');
  box.replaceChildren(
    ...[...notices].map(([key, text]) =>
      el(
        'div',
        { class: 'notice-item', 'data-source': key, 'data-testid': 'notice' },
        el('span', { class: 'error-text' }, text),
        el(
          'button',
          { type: 'button', class: 'ghost small', 'aria-label': 'Dismiss', onclick: () => setNotice(key) },
          '×',
        ),
      ),
    ),
  );
  box.hidden = notices.size === 0;
}

/** A label for what arrived in the catch-up after a (re)connect rather than live. */
function caughtUpLabel() {
  return el(
    'span',
    { class: 'caught-up-label', title: 'sent while this page was disconnected, delivered when it reconnected' },
    'caught up',
  );
}

function describeError(label, error) {
  switch (error?.kind) {
    case 'refused': {
      const why = REFUSALS[error.status] ?? error.message ?? 'refused';
      return `${label}: handshake refused with HTTP ${error.status ?? '?'} (${why}).`;
    }
    case 'token':
      return `${label}: the session expired and no new token could be had (${error.message}).`;
    case 'unreachable': {
      const answer = error.status === undefined ? '' : ` (it answered HTTP ${error.status})`;
      return `${label}: server unreachable${answer}, retrying…`;
    }
    case 'frame':
      return `${label}: ${error.message ?? 'the server sent a frame the client could not read'}.`;
    case 'handler':
      return `${label}: the page failed to handle a frame (${error.message}).`;
    default:
      return `${label}: ${error?.message ?? String(error)}`;
  }
}

function setStatus(name, state) {
  const node = byId(`status-${name}`);
  node.textContent = state;
  node.dataset.state = state;
}

/**
 * Wires a client's state and errors to its status pill and the error area, while `current()`
 * holds (a closed chat's last events must not overwrite the next one's).
 */
function watch(client, name, label, current = () => true) {
  setStatus(name, client.state ?? 'connecting');
  client.onState((state) => {
    if (!current()) return;
    setStatus(name, state);
    if (state === 'open') setError(name);
    else if (state === 'reconnecting' && !errors.has(name)) setError(name, `${label}: connection lost, reconnecting…`);
  });
  client.onError((error) => {
    if (!current()) return;
    // A handler of this page threw (the client caught it): a bug to see in the console too.
    if (error.kind === 'handler') console.error('[demo]', label, error.message, error.cause);
    const signInAgain = error.kind === 'token' || (error.kind === 'refused' && error.status === 401);
    const again = signInAgain ? { label: 'Sign in again', run: signOut } : undefined;
    setError(name, describeError(label, error), again);
  });
  client.onFrame((frame) => {
    if (current() && frame && typeof frame === 'object' && frame.type === 'error') {
      setError(`${name}-frame`, `${label}: the server answered ${frame.code ?? 'error'}: ${frame.msg ?? ''}`);
    }
  });
  // After a reconnect the server replays what the socket missed; a gap is what it no longer had.
  client.onGap(() => {
    if (current()) setNotice(`${name}-gap`, `${label}: ${GAP_NOTICES[name]}`);
  });
}

// ---------------------------------------------------------------------------------------------
// Sign in / out

/** A token for `user` from dev-login; throws an Error that says why there is none. */
async function requestToken(user, admin) {
  let response;
  try {
    response = await fetch('/api/auth/dev-login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(admin ? { username: user, roles: ['admin'] } : { username: user }),
    });
  } catch {
    throw new Error('the server is unreachable');
  }
  const body = await response.json().catch(() => null);
  if (!response.ok || typeof body?.token !== 'string') {
    const hint = response.status === 404 ? 'dev-login is off on this server (AUTH_DEV_LOGIN)' : httpMessage(body);
    throw new Error(`HTTP ${response.status} (${hint})`);
  }
  return body.token;
}

async function signIn(user, admin) {
  let token;
  try {
    token = await requestToken(user, admin);
  } catch (error) {
    setError('login', `Sign-in failed: ${error.message}.`);
    return;
  }
  setError('login');
  sessionStorage.setItem(SESSION_KEY, JSON.stringify({ user, admin, token }));
  start({ user, admin, token });
}

/** The request for a fresh token in flight, shared: the page's sockets' tokens expire together. */
let renewal = null;

/**
 * The clients' `getToken`: asked when the server closed a socket because its token expired (4001)
 * or refused the token (401). Signs the same user in again, and keeps the token for the next page
 * load and for the admin panel's requests.
 */
function renewToken() {
  const { user, admin } = session;
  renewal ??= requestToken(user, admin)
    .then((token) => {
      if (session.user === user) {
        session.token = token;
        sessionStorage.setItem(SESSION_KEY, JSON.stringify({ user, admin, token }));
      }
      return token;
    })
    .finally(() => (renewal = null));
  return renewal;
}

function signOut() {
  for (const client of [session.all, session.push]) client?.close();
  closeChat();
  Object.assign(session, { user: '', admin: false, token: '', all: null, push: null, chat: null });
  sessionStorage.removeItem(SESSION_KEY);
  seenPushIds.clear();
  chatNotices.clear();
  errors.clear();
  setError('login');
  notices.clear();
  setNotice('none');
  byId('notifications').replaceChildren();
  updateNotificationCount();
  setStatus('all', 'closed');
  setStatus('push', 'closed');
  showView(false);
}

function showView(signedIn) {
  byId('login-view').hidden = signedIn;
  byId('app-view').hidden = !signedIn;
  byId('statuses').hidden = !signedIn;
  byId('who').hidden = !signedIn;
  byId('admin-view').hidden = !(signedIn && session.admin);
  if (signedIn && session.admin) startOperations();
  else stopOperations();
  if (!signedIn) byId('login-user').focus();
}

/** Opens the global socket and the push channel for a signed-in user. */
function start({ user, admin, token }) {
  Object.assign(session, { user, admin, token });
  byId('current-user').textContent = user;
  byId('avatar').textContent = user.slice(0, 1).toUpperCase();
  byId('admin-badge').hidden = !admin;
  byId('push-path').textContent = `/push/${user}`;
  for (const { key } of TOPICS) renderTopic(key, undefined);
  showView(true);

  // The client re-requests the snapshot of every topic with a handler on every open, so the
  // tables load on connect and after each reconnect.
  const all = connect(wsUrl('/socket/all'), { ...SOCKET_OPTIONS, token });
  session.all = all;
  watch(all, 'all', 'Global socket', () => session.all === all);
  all.onState((state) => {
    if (session.all !== all || state !== 'closed') return;
    for (const { key } of TOPICS) {
      if (byId(`${key}-table`).dataset.loaded !== 'true') {
        byId(`${key}-table`).replaceChildren(el('p', { class: 'empty' }, 'Not connected.'));
      }
    }
  });
  for (const { topic, key } of TOPICS) {
    all.on(topic, (frame, info) => {
      if (session.all === all) renderTopic(key, frame, info);
    });
  }

  const push = connect(wsUrl(`/push/${encodeURIComponent(user)}`), { ...SOCKET_OPTIONS, token });
  session.push = push;
  watch(push, 'push', 'Push channel', () => session.push === push);
  push.onFrame((frame, info) => {
    if (session.push === push && isRecord(frame) && 'event' in frame) addNotification(frame, info.replayed);
  });
}

// ---------------------------------------------------------------------------------------------
// Topic tables: `data` is an array (of objects or values), an object, a string, or null.

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

function isRecord(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
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

// ---------------------------------------------------------------------------------------------
// Notifications (/push/<me>): `{"event": ..., "id"}`; a chat that waits for us is an event with
// `group` and `message`.

function isChatNotice(event) {
  return isRecord(event) && typeof event.group === 'string' && typeof event.message === 'string';
}

function addNotification(frame, caughtUp = false) {
  if (frame.id !== undefined) {
    if (seenPushIds.has(frame.id)) return;
    seenPushIds.add(frame.id);
  }
  const event = frame.event;
  let item;
  if (isChatNotice(event)) {
    const notices = chatNotices.get(event.group) ?? [];
    notices.push(event);
    chatNotices.set(event.group, notices);
    const from = String(event.from ?? '');
    item = el(
      'li',
      { class: `notification chat-notice${caughtUp ? ' caught-up' : ''}`, 'data-testid': 'notification' },
      el(
        'div',
        { class: 'notification-head' },
        el('span', { class: 'kind' }, 'chat'),
        caughtUp && caughtUpLabel(),
        el('time', {}, timeOf(event.ts)),
      ),
      el('p', { class: 'notification-text' }, el('strong', {}, `${from}: `), event.message),
      el(
        'button',
        {
          type: 'button',
          class: 'small',
          'data-testid': 'notification-open-chat',
          'data-peer': from,
          onclick: () => openChat(from),
        },
        'Open chat',
      ),
    );
  } else {
    const text = typeof event === 'string' ? event : JSON.stringify(event, null, 2);
    item = el(
      'li',
      { class: `notification${caughtUp ? ' caught-up' : ''}`, 'data-testid': 'notification' },
      el(
        'div',
        { class: 'notification-head' },
        el('span', { class: 'kind' }, 'event'),
        caughtUp && caughtUpLabel(),
        el('time', {}, timeOf()),
      ),
      el('pre', { class: 'notification-json' }, text),
    );
  }
  byId('notifications').prepend(item);
  updateNotificationCount();
}

function updateNotificationCount() {
  const count = byId('notifications').children.length;
  byId('notifications-empty').hidden = count > 0;
  const badge = byId('notifications-count');
  badge.hidden = count === 0;
  badge.textContent = String(count);
}

// ---------------------------------------------------------------------------------------------
// Chat: one at a time, on /ws/chat/<a>_<b>

/** The canonical group: ids in ascending order, numeric when both are decimal integers. */
function chatGroup(a, b) {
  const numeric = DECIMAL.test(a) && DECIMAL.test(b);
  const before = numeric ? BigInt(a) < BigInt(b) || (BigInt(a) === BigInt(b) && a < b) : a < b;
  return before ? `${a}_${b}` : `${b}_${a}`;
}

function openChat(peerInput) {
  const peer = String(peerInput).trim();
  byId('chat-peer').value = peer;
  if (!CHAT_ID.test(session.user)) {
    setError('chat', `Chat: your user id "${session.user}" contains "_", which chat ids cannot hold.`);
    return;
  }
  if (!CHAT_ID.test(peer)) {
    setError('chat', 'Chat: the other user id must be 1–64 characters of A–Z, a–z, 0–9 and "-".');
    return;
  }
  if (peer === session.user) {
    setError('chat', 'Chat: pick another user than yourself.');
    return;
  }
  setError('chat');
  if (session.chat?.peer === peer && session.chat.client.state !== 'closed') {
    byId('chat-input').focus();
    return;
  }
  closeChat();

  const group = chatGroup(session.user, peer);
  const client = connect(wsUrl(`/ws/chat/${group}`), { ...SOCKET_OPTIONS, token: session.token });
  const chat = { peer, group, client, byMessageId: new Map(), pending: [] };
  session.chat = chat;
  byId('chat-log').replaceChildren();
  byId('chat-with').textContent = `with ${peer} · ${group}`;
  byId('chat-close').hidden = false;
  const current = () => session.chat === chat;
  watch(client, 'chat', `Chat with ${peer}`, current);
  client.onState((state) => {
    if (!current()) return;
    // While reconnecting, messages wait in the client and go out when the chat is back.
    enableSend(state !== 'closed');
    if (state === 'reconnecting') for (const node of chat.pending) markWaiting(node);
  });
  client.onFrame((frame, info) => {
    if (current()) onChatFrame(chat, frame, info.replayed);
  });
  client.onGap(() => {
    if (current()) systemLine('Some messages could not be recovered after the reconnect.');
  });
  enableSend(client.state !== 'closed');

  // What reached us as notifications while we were away opens the conversation.
  const waiting = (chatNotices.get(group) ?? []).slice().sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  if (waiting.length > 0) {
    systemLine(`${waiting.length} message${waiting.length === 1 ? '' : 's'} sent while your chat was closed:`);
    for (const message of waiting) showIncoming(chat, message);
  }
  byId('chat-input').focus();
}

function closeChat() {
  const chat = session.chat;
  if (!chat) return;
  session.chat = null;
  chat.client.close();
  setStatus('chat', 'none');
  setError('chat');
  setError('chat-frame');
  enableSend(false);
  byId('chat-with').textContent = 'No chat open';
  byId('chat-close').hidden = true;
}

function enableSend(enabled) {
  byId('chat-input').disabled = !enabled;
  byId('chat-send').disabled = !enabled;
}

/** Acks settle the promise of `sendMessage()` (see sendChat); error frames reject it. */
function onChatFrame(chat, frame, caughtUp) {
  if (!isRecord(frame) || typeof frame.message !== 'string' || typeof frame.from !== 'string') return;
  if (frame.from === session.user) ownCopy(chat, frame, caughtUp);
  else showIncoming(chat, frame, caughtUp);
}

function messageBubble(kind, from, text, ts, caughtUp = false) {
  const state = kind === 'mine' ? el('span', { class: 'tick', title: 'sending' }, '…') : null;
  const node = el(
    'div',
    { class: `msg ${kind}${caughtUp ? ' caught-up' : ''}`, 'data-testid': 'chat-message' },
    el(
      'div',
      { class: 'msg-meta' },
      el('strong', {}, from),
      el('time', {}, timeOf(ts)),
      caughtUp && caughtUpLabel(),
      state,
    ),
    el('div', { class: 'msg-text' }, text),
  );
  appendToLog(node);
  return node;
}

function systemLine(text) {
  appendToLog(el('div', { class: 'msg system' }, text));
}

function appendToLog(node) {
  const log = byId('chat-log');
  log.append(node);
  log.scrollTop = log.scrollHeight;
}

function showIncoming(chat, message, caughtUp = false) {
  if (message.id !== undefined && chat.byMessageId.has(message.id)) return;
  const node = messageBubble('theirs', message.from, message.message, message.ts, caughtUp);
  if (message.id !== undefined) chat.byMessageId.set(message.id, node);
}

function markTick(node, delivered) {
  const tick = node.querySelector('.tick');
  if (!tick) return;
  tick.textContent = delivered ? '✓✓' : '✓';
  tick.title = delivered
    ? 'delivered to the chat'
    : `sent; if ${node.dataset.peer ?? 'they'} are not in the chat, they get a notification`;
  tick.classList.toggle('delivered', delivered);
}

function markWaiting(node) {
  const tick = node.querySelector('.tick');
  if (!tick || tick.classList.contains('failed')) return;
  tick.textContent = '…';
  tick.title = 'waiting for the connection: sent (again) when the chat reconnects, delivered once';
}

function markFailed(node, why) {
  const tick = node.querySelector('.tick');
  if (!tick) return;
  tick.textContent = '!';
  tick.title = why;
  tick.classList.add('failed');
  node.classList.add('failed');
}

/** The ack and our own copy of a message may arrive in either order: both claim the oldest pending bubble. */
function claim(chat, id) {
  if (chat.byMessageId.has(id)) return chat.byMessageId.get(id);
  const node = chat.pending.shift();
  if (node) chat.byMessageId.set(id, node);
  return node;
}

function ownCopy(chat, frame, caughtUp) {
  // Caught up, a message of ours that is shown already was sent while the peer was away: it
  // reached their notifications, not this chat, so it is not marked delivered here.
  if (caughtUp && chat.byMessageId.has(frame.id)) return;
  // A copy with no pending bubble was sent from another tab of ours (or, caught up, while away).
  const node = claim(chat, frame.id) ?? messageBubble('mine', frame.from, frame.message, frame.ts, caughtUp);
  chat.byMessageId.set(frame.id, node);
  markTick(node, true);
}

/**
 * Sends with `sendMessage()`: the client keeps the message until the server acknowledges it and
 * resends it after a reconnect (the server delivers it once), so it may be written while the chat
 * is reconnecting.
 */
function sendChat(text) {
  const chat = session.chat;
  if (!chat || !text) return;
  const node = messageBubble('mine', session.user, text);
  node.dataset.peer = chat.peer;
  chat.pending.push(node);
  if (chat.client.state !== 'open') markWaiting(node);
  chat.client.sendMessage({ message: text, to_user: chat.peer }).then(
    (id) => {
      // Our own copy may have come first and claimed this bubble already.
      const index = chat.pending.indexOf(node);
      if (index >= 0) chat.pending.splice(index, 1);
      chat.byMessageId.set(id, node);
      if (!node.querySelector('.tick.delivered')) markTick(node, false);
    },
    (error) => {
      const index = chat.pending.indexOf(node);
      if (index >= 0) chat.pending.splice(index, 1);
      markFailed(node, `not sent: ${error.message}`);
    },
  );
}

// ---------------------------------------------------------------------------------------------
// Admin: POST /api/notify/:topic and /api/push/:user

function httpMessage(body) {
  const message = body?.message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : 'no details';
}

async function postJson(path, payload) {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${session.token}` },
    body: JSON.stringify(payload),
  });
  const body = await response.json().catch(() => null);
  return { response, body };
}

function showResult(key, ok, text) {
  const node = byId(`admin-${key}-result`);
  node.textContent = text;
  node.dataset.ok = String(ok);
}

async function runAdmin(key, button, action) {
  button.disabled = true;
  showResult(key, true, 'sending…');
  try {
    const { response, body } = await action();
    if (response.ok) {
      showResult(
        key,
        true,
        `${response.status} ${response.statusText || 'Accepted'} · id ${body?.id ?? '?'} · ${timeOf()}`,
      );
    } else {
      showResult(key, false, `${response.status} ${response.statusText}: ${httpMessage(body)}`);
    }
  } catch (error) {
    const why = error instanceof SyntaxError ? `invalid JSON: ${error.message}` : 'the server is unreachable';
    showResult(key, false, `Not sent: ${why}`);
  } finally {
    button.disabled = false;
  }
}

function setUpAdmin() {
  for (const { topic, key } of TOPICS) {
    byId(`admin-${key}-json`).value = JSON.stringify(SAMPLES[key], null, 2);
    const button = byId(`admin-${key}-publish`);
    button.addEventListener('click', () =>
      runAdmin(key, button, () => {
        const data = JSON.parse(byId(`admin-${key}-json`).value);
        return postJson(`/api/notify/${topic}`, { data });
      }),
    );
  }
  byId('admin-push-json').value = JSON.stringify(SAMPLES.push, null, 2);
  const pushButton = byId('admin-push-send');
  pushButton.addEventListener('click', () =>
    runAdmin('push', pushButton, () => {
      const user = byId('admin-push-user').value.trim();
      const event = JSON.parse(byId('admin-push-json').value);
      return postJson(`/api/push/${encodeURIComponent(user)}`, { event });
    }),
  );
}

// ---------------------------------------------------------------------------------------------

function init() {
  byId('login-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void signIn(byId('login-user').value.trim(), byId('login-admin').checked);
  });
  byId('logout').addEventListener('click', signOut);
  byId('chat-open-form').addEventListener('submit', (event) => {
    event.preventDefault();
    openChat(byId('chat-peer').value);
  });
  byId('chat-close').addEventListener('click', closeChat);
  byId('chat-send-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = byId('chat-input');
    const text = input.value.trim();
    if (!text) return;
    sendChat(text);
    input.value = '';
    input.focus();
  });
  setUpAdmin();

  let saved = null;
  try {
    saved = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? 'null');
  } catch {
    saved = null;
  }
  if (saved && typeof saved.token === 'string' && typeof saved.user === 'string') start(saved);
  else showView(false);
}

init();
