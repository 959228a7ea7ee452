/**
 * A client worker: a child process of `run.ts` holding a share of the benchmark's sockets. It
 * reads only what it must from each frame (a sequence number and a send time found with
 * `indexOf`), never a full JSON parse of a `ws` frame, so that one worker stays cheap.
 * Socket.IO frames are parsed by socket.io-client itself: that is part of using Socket.IO.
 */
import type { WorkerCommand, WorkerReply } from './common';
import { chat } from './worker-chat';
import { churn } from './worker-connect';
import { fanoutReport } from './worker-fanout';
import { closeClient, openAll } from './worker-open';
import { dropAll, resumeAll } from './worker-resume';
import { reply, socketState } from './worker-state';

async function handle(cmd: WorkerCommand): Promise<WorkerReply> {
  switch (cmd.op) {
    case 'open':
      return openAll(cmd);
    case 'fanout-report':
      return fanoutReport(cmd);
    case 'chat':
      return chat(cmd);
    case 'connect':
      return churn(cmd);
    case 'resume-drop':
      return dropAll(cmd);
    case 'resume':
      return resumeAll(cmd);
    case 'status':
      return { op: 'status', open: socketState.open, dropped: socketState.dropped };
    case 'close':
      socketState.closing = true;
      socketState.clients.forEach(closeClient);
      socketState.clients = [];
      socketState.open = 0;
      return { op: 'closed' };
  }
}

process.on('message', (cmd: WorkerCommand) => {
  handle(cmd).then(reply, (error: unknown) => {
    console.error(`worker ${process.pid}: ${String(error)}`);
    process.exit(1);
  });
});
// The coordinator is gone: nothing else will stop this process.
process.on('disconnect', () => process.exit(0));
reply({ op: 'ready' });
