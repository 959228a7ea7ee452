// One-to-one chat, one at a time, on /ws/chat/<a>_<b>. Messages of ours show at once and get
// their tick from the ack and from our own copy, which the server sends back to both of us.
import { connect } from '/client/index.js';
import { clearLog, markFailed, markTick, markWaiting, messageBubble, systemLine } from './chat-log.js';
import { byId, isRecord, wsUrl } from './dom.js';
import { session, socketOptions } from './sign-in.js';
import { setError, setStatus, watch } from './status.js';

/** Chat ids: a user id without `_`, since `_` separates the two ids of a chat group. */
const CHAT_ID = /^[A-Za-z0-9-]{1,64}$/;
const DECIMAL = /^[0-9]+$/;

/** The open chat: `{ peer, group, client, byMessageId, pending }`, or null. */
let activeChat = null;
/** Messages that reached us as notifications while their chat was closed, by chat group. */
const waitingByGroup = new Map();

/** Called by the push channel for each chat message it brought, to open that chat with. */
export function keepWaitingMessage(event) {
  const waiting = waitingByGroup.get(event.group) ?? [];
  waiting.push(event);
  waitingByGroup.set(event.group, waiting);
}

export function forgetWaitingMessages() {
  waitingByGroup.clear();
}

/** The canonical group: ids in ascending order, numeric when both are decimal integers. */
function chatGroup(a, b) {
  const numeric = DECIMAL.test(a) && DECIMAL.test(b);
  const before = numeric ? BigInt(a) < BigInt(b) || (BigInt(a) === BigInt(b) && a < b) : a < b;
  return before ? `${a}_${b}` : `${b}_${a}`;
}

export function openChat(peerInput) {
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
  if (activeChat?.peer === peer && activeChat.client.state !== 'closed') {
    byId('chat-input').focus();
    return;
  }
  closeChat();

  const group = chatGroup(session.user, peer);
  const client = connect(wsUrl(`/ws/chat/${group}`), socketOptions(session.token));
  const chat = { peer, group, client, byMessageId: new Map(), pending: [] };
  activeChat = chat;
  clearLog();
  byId('chat-with').textContent = `with ${peer} · ${group}`;
  byId('chat-close').hidden = false;
  const current = () => activeChat === chat;
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
  const waiting = (waitingByGroup.get(group) ?? []).slice().sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  if (waiting.length > 0) {
    systemLine(`${waiting.length} message${waiting.length === 1 ? '' : 's'} sent while your chat was closed:`);
    for (const message of waiting) showIncoming(chat, message);
  }
  byId('chat-input').focus();
}

export function closeChat() {
  const chat = activeChat;
  if (!chat) return;
  activeChat = null;
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

function showIncoming(chat, message, caughtUp = false) {
  if (message.id !== undefined && chat.byMessageId.has(message.id)) return;
  const node = messageBubble('theirs', message.from, message.message, message.ts, caughtUp);
  if (message.id !== undefined) chat.byMessageId.set(message.id, node);
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
export function sendChat(text) {
  const chat = activeChat;
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
