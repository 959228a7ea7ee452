// The user's push channel (/push/<me>): frames `{"event": ..., "id"}`, listed newest first. A chat
// message that reached us while its chat was closed is an event with `group` and `message`: the
// chat keeps it to open the conversation with, and its item has a button that opens that chat.
import { connect } from '/client/index.js';
import { keepWaitingMessage, openChat } from './chat.js';
import { byId, el, isRecord, timeOf, wsUrl } from './dom.js';
import { socketOptions } from './sign-in.js';
import { caughtUpLabel, setStatus, watch } from './status.js';

/** Push ids already shown: the catch-up after a reconnect may send one again. */
const seenPushIds = new Set();
/** The open push channel; its late events are dropped once it is no longer this one. */
let push = null;

export function openNotifications(user, token) {
  const client = connect(wsUrl(`/push/${encodeURIComponent(user)}`), socketOptions(token));
  push = client;
  watch(client, 'push', 'Push channel', () => push === client);
  client.onFrame((frame, info) => {
    if (push === client && isRecord(frame) && 'event' in frame) addNotification(frame, info.replayed);
  });
}

export function closeNotifications() {
  push?.close();
  push = null;
  seenPushIds.clear();
  byId('notifications').replaceChildren();
  updateNotificationCount();
  setStatus('push', 'closed');
}

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
    keepWaitingMessage(event);
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
