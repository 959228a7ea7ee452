/**
 * Fan-out at the client: every notify carries its sequence number and send time, so a worker
 * counts each delivery, times it and tells the coordinator as soon as all its sockets have one,
 * which is when the coordinator posts the next notify.
 */
import { now, type WorkerCommand, type WorkerReply } from './common';
import { readNumber } from './worker-frames';
import { reply, socketState } from './worker-state';

const BS = Buffer.from('"bs":');
const BT = Buffer.from('"bt":');

export const fanoutState = {
  counts: [] as number[],
  latencies: [] as number[][],
  lastSeq: new Int32Array(0),
  duplicates: 0,
  other: 0,
};

export function onFanout(local: number, seq: number, sentAt: number): void {
  const received = now();
  if (seq <= fanoutState.lastSeq[local]) fanoutState.duplicates++;
  fanoutState.lastSeq[local] = seq;
  fanoutState.counts[seq] = (fanoutState.counts[seq] ?? 0) + 1;
  (fanoutState.latencies[seq] ??= []).push(received - sentAt);
  if (fanoutState.counts[seq] === socketState.open) reply({ op: 'got', seq });
}

export function onFanoutFrame(local: number, buf: Buffer): void {
  const s = buf.indexOf(BS);
  const t = buf.indexOf(BT);
  if (s < 0 || t < 0) {
    fanoutState.other++;
    return;
  }
  onFanout(local, readNumber(buf, s + BS.length), readNumber(buf, t + BT.length));
}

/** Deliveries and latencies from notify `measureFrom` on (the warm-up notifies are not counted). */
export function fanoutReport(cmd: Extract<WorkerCommand, { op: 'fanout-report' }>): WorkerReply {
  let delivered = 0;
  const measured: number[] = [];
  fanoutState.counts.forEach((count, seq) => {
    if (seq < cmd.measureFrom) return;
    delivered += count;
    for (const latency of fanoutState.latencies[seq] ?? []) measured.push(Math.round(latency * 1000) / 1000);
  });
  return {
    op: 'fanout-report',
    delivered,
    duplicates: fanoutState.duplicates,
    other: fanoutState.other,
    latencies: measured,
  };
}
