// The chat's log: message bubbles, system lines, and the tick of a message of ours (… waiting or
// sending, ✓ sent, ✓✓ delivered to the chat, ! failed).
import { byId, el, timeOf } from './dom.js';
import { caughtUpLabel } from './status.js';

export function clearLog() {
  byId('chat-log').replaceChildren();
}

/** Appends a message (`mine` with a tick, or `theirs`) and returns its node. */
export function messageBubble(kind, from, text, ts, caughtUp = false) {
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

export function systemLine(text) {
  appendToLog(el('div', { class: 'msg system' }, text));
}

function appendToLog(node) {
  const log = byId('chat-log');
  log.append(node);
  log.scrollTop = log.scrollHeight;
}

export function markTick(node, delivered) {
  const tick = node.querySelector('.tick');
  if (!tick) return;
  tick.textContent = delivered ? '✓✓' : '✓';
  tick.title = delivered
    ? 'delivered to the chat'
    : `sent; if ${node.dataset.peer ?? 'they'} are not in the chat, they get a notification`;
  tick.classList.toggle('delivered', delivered);
}

export function markWaiting(node) {
  const tick = node.querySelector('.tick');
  if (!tick || tick.classList.contains('failed')) return;
  tick.textContent = '…';
  tick.title = 'waiting for the connection: sent (again) when the chat reconnects, delivered once';
}

export function markFailed(node, why) {
  const tick = node.querySelector('.tick');
  if (!tick) return;
  tick.textContent = '!';
  tick.title = why;
  tick.classList.add('failed');
  node.classList.add('failed');
}
