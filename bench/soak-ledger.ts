/**
 * The soak's ledger: what was accepted (a chat or room ack, a 202 from push or notify) against
 * what each subscriber received. A subscriber is one client's stay in a group, across every
 * reconnection it made with `?since=`; it must receive every message accepted while it was surely
 * in the group: its first socket opened before the send began, and it had not begun to leave (or
 * been closed with 1013) when the send was accepted. Whatever straddles either edge is not
 * counted either way. Ids are per group, so a delivery is a (group, id) pair.
 */

export type Kind = 'all' | 'room' | 'chat' | 'push';

/** One subscriber, as a worker reports it at the end. */
export interface SubRecord {
  /** `all`, `room:<room>`, `chat:<a>_<b>`, `push:<user>`. */
  group: string;
  kind: Kind;
  user: string;
  /** Wall-clock ms (`common.now`) of its first socket's `open`; NaN if none opened. */
  firstOpen: number;
  /** When it began to leave for good, or saw its close with 1013 (then all its frames are excluded). */
  end: number;
  /** A reader that stopped reading: its frames are excluded, not counted. */
  paused: boolean;
  closed1013: boolean;
  /** Every id received on any of its sockets, replays included, in arrival order. */
  ids: number[];
  gaps: number;
  /** Each socket that opened: [open, close] times and the `since` it resumed with (-1: none). */
  sockets: [number, number, number][];
}

/** An accepted message: `start` before it was sent, `accepted` when its ack or 202 came. */
export interface SendRecord {
  group: string;
  /** The chat sender (its own copy is not counted), else ''. */
  sender: string;
  start: number;
  accepted: number;
  id: number;
}

/** A time a push user had a socket or a handshake under way (client side: start to `close`). */
export interface Busy {
  user: string;
  start: number;
  end: number;
}

export interface Ledger {
  sent: number;
  expected: number;
  delivered: number;
  lost: number;
  /** Per kind, plus `inbox`: pushes sent while the user had no socket, due on the next connect. */
  lostBy: Record<string, number>;
  expectedBy: Record<string, number>;
  /** Deliveries due to paused readers and sockets closed with 1013 (not counted as expected). */
  excludedPaused: number;
  duplicates: number;
  gaps: number;
  closed1013: number;
  /** The first few losses, for the details on stderr. */
  samples: string[];
}

/**
 * A subscriber that leaves soon after a message was accepted may leave before the message
 * reaches it (delivery takes time, more on a loaded machine): it is due only if it stayed this
 * long after the acceptance, or if it received a later id of the group (ids reach a socket in
 * order, and a resume replays everything after its last id, so a later id means this one was
 * skipped).
 */
export const TAIL_MS = 10_000;

/** A push user counts as away for an inbox push only this long clear of its last socket. */
export const INBOX_GRACE_MS = 1000;

/** A subscriber with the ids it received, as a set, and the highest. */
interface Member {
  sub: SubRecord;
  got: Set<number>;
  max: number;
}

export function computeLedger(sends: SendRecord[], subs: SubRecord[], busy: Busy[]): Ledger {
  const ledger: Ledger = {
    sent: sends.length,
    expected: 0,
    delivered: 0,
    lost: 0,
    lostBy: {},
    expectedBy: {},
    excludedPaused: 0,
    duplicates: 0,
    gaps: 0,
    closed1013: 0,
    samples: [],
  };
  const byGroup = new Map<string, Member[]>();
  for (const sub of subs) {
    const got = new Set(sub.ids);
    ledger.duplicates += sub.ids.length - got.size;
    ledger.gaps += sub.gaps;
    if (sub.closed1013) ledger.closed1013++;
    if (!Number.isFinite(sub.firstOpen)) continue;
    const list = byGroup.get(sub.group) ?? [];
    list.push({ sub, got, max: sub.ids.reduce((m, id) => Math.max(m, id), 0) });
    byGroup.set(sub.group, list);
  }
  const busyOf = new Map<string, Busy[]>();
  for (const b of busy) busyOf.set(b.user, [...(busyOf.get(b.user) ?? []), b]);

  const count = (kind: string, got: boolean, send: SendRecord, sub: SubRecord): void => {
    ledger.expected++;
    ledger.expectedBy[kind] = (ledger.expectedBy[kind] ?? 0) + 1;
    if (got) ledger.delivered++;
    else {
      ledger.lost++;
      ledger.lostBy[kind] = (ledger.lostBy[kind] ?? 0) + 1;
      if (ledger.samples.length < 10) ledger.samples.push(describe(kind, send, sub));
    }
  };

  for (const send of sends) {
    const members = byGroup.get(send.group) ?? [];
    for (const { sub, got, max } of members) {
      if (sub.kind === 'chat' && sub.user === send.sender) continue;
      if (!(sub.firstOpen < send.start && (sub.end > send.accepted + TAIL_MS || max > send.id))) continue;
      if (sub.paused || sub.closed1013) ledger.excludedPaused++;
      else count(sub.kind, got.has(send.id), send, sub);
    }
    if (send.group.startsWith('push:')) inbox(send, members, busyOf.get(send.group.slice(5)) ?? [], count);
  }
  return ledger;
}

/**
 * A push accepted while its user surely had no socket and no handshake under way waits in the
 * inbox: the user's next subscriber (its first socket opens without `since`) must receive it.
 */
function inbox(
  send: SendRecord,
  members: Member[],
  busy: Busy[],
  count: (kind: string, got: boolean, send: SendRecord, sub: SubRecord) => void,
): void {
  const from = send.start - INBOX_GRACE_MS;
  const to = send.accepted + INBOX_GRACE_MS;
  if (busy.some((b) => b.start < to && b.end > from)) return;
  let next: Member | undefined;
  for (const member of members) {
    if (member.sub.paused || member.sub.firstOpen <= send.accepted) continue;
    if (!next || member.sub.firstOpen < next.sub.firstOpen) next = member;
  }
  if (next) count('inbox', next.got.has(send.id), send, next.sub);
}

/** One loss, its times relative to the send's start (ms). */
function describe(kind: string, send: SendRecord, sub: SubRecord): string {
  const t = (at: number): string => (at - send.start).toFixed(0);
  const sockets = sub.sockets.map(([open, close, since]) => `[${t(open)}..${t(close)} since ${since}]`).join(' ');
  const near = sub.ids.filter((id) => Math.abs(id - send.id) <= 3).join(',');
  return `${kind} ${send.group} id ${send.id} accepted +${t(send.accepted)} to ${sub.user} (open ${t(sub.firstOpen)}, end ${t(sub.end)}; sockets ${sockets}; got near it: ${near})`;
}
