/**
 * Who the soak's clients are, shared by the coordinator (which pushes to the push users) and the
 * workers (which run them), and the messages between the two.
 */
import type { Busy, SendRecord, SubRecord } from './soak-ledger';

/**
 * A slot is a place in the population that is refilled as its occupant leaves: one subscriber,
 * or for `chat` the pair of a one-to-one chat. 17 slots hold 20 clients: 4 on `/socket/all`,
 * 7 in rooms, 3 chat pairs (6) and 3 push users, each push user coming back to its own inbox.
 */
export type SlotKind = 'all' | 'room' | 'chat' | 'push' | 'paused';
const CYCLE: SlotKind[] = [
  ...Array<SlotKind>(4).fill('all'),
  ...Array<SlotKind>(7).fill('room'),
  ...Array<SlotKind>(3).fill('chat'),
  ...Array<SlotKind>(3).fill('push'),
];
export const CLIENTS_PER_CYCLE = 20;
export const ROOMS = 25;

export interface Slot {
  index: number;
  kind: SlotKind;
}

/** Every slot for `clients` clients, then `paused` readers (one push user each). */
export function slots(clients: number, paused: number): Slot[] {
  const cycles = Math.max(1, Math.round(clients / CLIENTS_PER_CYCLE));
  const all: Slot[] = [];
  for (let i = 0; i < cycles * CYCLE.length; i++) all.push({ index: i, kind: CYCLE[i % CYCLE.length] });
  for (let p = 0; p < paused; p++) all.push({ index: all.length, kind: 'paused' });
  return all;
}

/** The user of a push slot, for its whole run: its inbox outlives each of its sessions. */
export function pushUser(slot: Slot): string {
  return slot.kind === 'paused' ? `paused${slot.index}` : `p${slot.index}`;
}

/** Coordinator → worker. */
export type SoakCommand =
  | { op: 'start'; ports: number[]; secret: string; slots: Slot[]; rampMs: number }
  /** The duration is over: no new sends or clients; reply once every send is acked or dropped. */
  | { op: 'stop'; timeoutMs: number }
  | { op: 'count' }
  /** The drain is over: every client leaves; reply with everything seen. */
  | { op: 'finish' };

/** Worker → coordinator. */
export type SoakReply =
  | { op: 'ready' }
  | { op: 'started' }
  | { op: 'stopped'; unsettled: number }
  | { op: 'count'; frames: number; unsettled: number }
  | { op: 'report'; subs: SubRecord[]; sends: SendRecord[]; busy: Busy[]; stats: Record<string, number> };
