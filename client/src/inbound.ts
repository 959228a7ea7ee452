// What the client does with each message event of the open socket: `pong` ends the replay or
// answers the heartbeat; `ack` and `error` answer the oldest message in flight and are delivered
// like any frame (a 429 is also reported to `onError`); a `gap` goes to the client, whose topics are stale; a numbered frame is
// delivered unless it was delivered already (resume.ts); any other frame is delivered as it is.

import type { Dispatcher } from './dispatch.js';
import type { Heartbeat } from './heartbeat.js';
import type { MessageSender } from './message-sender.js';
import { isId } from './options.js';
import type { ResumeTracker } from './resume.js';
import type { GapFrame, InboundFrame } from './types.js';

/** The parts of the client that inbound frames concern. */
/** The error frame's code for a frame over the server's rate limit. */
const TOO_MANY = 429;

export interface InboundTargets {
  resume: ResumeTracker;
  heartbeat: Heartbeat;
  messages: MessageSender;
  dispatch: Dispatcher;
  /** Messages after `since` are lost to this socket. */
  gap: (frame: GapFrame) => void;
}

export class InboundRouter {
  constructor(private readonly targets: InboundTargets) {}

  /** The `data` of one message event. */
  route(data: unknown): void {
    const { resume, heartbeat, dispatch } = this.targets;
    if (data === 'pong') {
      // The first pong after open answers the replay's marker, not the heartbeat.
      if (!resume.endsReplay()) heartbeat.pong();
    } else if (typeof data === 'string') {
      const frame = dispatch.parse(data);
      if (frame) this.receive(frame);
    } else {
      dispatch.error({ kind: 'frame', message: 'a binary frame was dropped' });
    }
  }

  private receive(frame: InboundFrame): void {
    const { resume, messages, dispatch } = this.targets;
    switch (frame.type) {
      case 'ack':
        messages.ack(frame.id);
        dispatch.frame(frame);
        return;
      case 'error':
        messages.error(frame.code, frame.msg);
        // Over the server's frame rate: the frame was dropped, and the socket will be closed
        // (1008) if it keeps that pace. Reported, not thrown; a sendMessage() is sent again.
        if (frame.code === TOO_MANY) dispatch.error({ kind: 'limited', status: TOO_MANY, message: String(frame.msg) });
        dispatch.frame(frame);
        return;
      case 'gap':
        this.targets.gap(frame as unknown as GapFrame);
        return;
    }
    const id = frame.id;
    if (!isId(id)) {
      dispatch.frame(frame); // a snapshot reply, or a frame the contract does not number
      return;
    }
    const info = resume.receive(id);
    if (info) dispatch.frame(frame, info); // none: delivered already
  }
}
