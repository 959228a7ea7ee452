/**
 * Chat at the client: each pair exchanges messages a → b → a, every message carrying a's send
 * time, so a round trip is timed from the frames alone and a pair that stops short shows as a loss.
 */
import { now, type WorkerCommand, type WorkerReply } from './common';
import { readNumber } from './worker-frames';
import { socketState } from './worker-state';

const CHAT_PREFIX = Buffer.from('{"message":"');
const ERROR_PREFIX = Buffer.from('{"type":"error"');
const ROLE_A = 97; // 'a'

export const chatState = {
  chatK: 0,
  chatAcks: false,
  pairSent: new Int32Array(0),
  pairGot: new Int32Array(0),
  pairsDone: 0,
  chatDelivered: 0,
  chatErrors: 0,
  rtts: [] as number[],
  chatFinish: undefined as ((timedOut: boolean) => void) | undefined,
};

const noop = (): void => undefined;

function sendChat(local: number, text: string): void {
  const client = socketState.clients[local];
  if (!client) return;
  if (client.kind === 'ws') client.ws.send(`{"message":"${text}"}`);
  else if (chatState.chatAcks) client.socket.emit('message', { message: text }, noop);
  else client.socket.emit('message', { message: text });
}

/** A chat frame from the other side of the pair: count it, time a round trip, answer. */
export function onChat(local: number, role: number, sentAt: number): void {
  const global = socketState.base + local;
  const mine = global % 2 === 0 ? ROLE_A : ROLE_A + 1;
  if (role === mine) return; // the server's copy of our own message (this service sends one)
  const pair = local >> 1;
  chatState.chatDelivered++;
  chatState.pairGot[pair]++;
  if (mine === ROLE_A) chatState.rtts.push(now() - sentAt);
  if (chatState.pairSent[pair] < chatState.chatK) {
    chatState.pairSent[pair]++;
    // a starts a new round trip with a fresh time; b echoes a's time back
    sendChat(local, mine === ROLE_A ? `a${now().toFixed(3)}` : `b${sentAt.toFixed(3)}`);
  }
  if (chatState.pairGot[pair] === chatState.chatK && ++chatState.pairsDone === chatState.pairSent.length)
    chatState.chatFinish?.(false);
}

export function onChatFrame(local: number, buf: Buffer): void {
  if (
    buf.length > CHAT_PREFIX.length + 1 &&
    buf.compare(CHAT_PREFIX, 0, CHAT_PREFIX.length, 0, CHAT_PREFIX.length) === 0
  ) {
    onChat(local, buf[CHAT_PREFIX.length], readNumber(buf, CHAT_PREFIX.length + 1));
  } else if (buf.compare(ERROR_PREFIX, 0, ERROR_PREFIX.length, 0, Math.min(buf.length, ERROR_PREFIX.length)) === 0) {
    chatState.chatErrors++;
  }
  // anything else (this service's acks) is not part of the exchange
}

export function chat(cmd: Extract<WorkerCommand, { op: 'chat' }>): Promise<WorkerReply> {
  chatState.chatK = cmd.k;
  chatState.chatAcks = cmd.acks;
  chatState.rtts = [];
  return new Promise((resolve) => {
    const timer = setTimeout(() => chatState.chatFinish?.(true), cmd.timeoutMs);
    chatState.chatFinish = (timedOut) => {
      chatState.chatFinish = undefined;
      clearTimeout(timer);
      resolve({
        op: 'chat-done',
        delivered: chatState.chatDelivered,
        errors: chatState.chatErrors,
        rtts: chatState.rtts,
        timedOut,
      });
    };
    if (chatState.pairSent.length === 0) return chatState.chatFinish(false);
    for (let pair = 0; pair < chatState.pairSent.length; pair++) {
      const a = pair * 2; // local index of the pair's first user (base is even)
      if (!socketState.clients[a] || !socketState.clients[a + 1]) continue; // a broken pair never finishes: shown as a loss
      chatState.pairSent[pair] = 1;
      sendChat(a, `a${now().toFixed(3)}`);
    }
  });
}
