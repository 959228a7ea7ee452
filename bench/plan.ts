/**
 * Which runs the options ask for, and what each one reports: the figures of a scenario, their
 * labels and which way is better are defined once here, for the console, the tables and the targets.
 */
import type { Options } from './options';
import type { ScenarioDef } from './report';
import { resume } from './scenario-resume';
import { chat, connect, fanout, idle, type Context, type Outcome } from './scenarios';
import type { ServerKind } from './servers';

export interface Planned {
  def: ScenarioDef;
  run: (ctx: Context) => Promise<Outcome>;
  /** The servers' heartbeat for this scenario's runs; `--ping-ms` (pings kept out) when unset. */
  pingMs?: number;
  /** Only these servers run it (the others have no equivalent); every server when unset. */
  servers?: ServerKind[];
}

/** Why `resume` runs on this service only: said once, in results.md and by the coordinator. */
export const RESUME_ONLY_OURS =
  "resume runs on this service only: the floor keeps no history, and Socket.IO's connection state recovery does not work with @socket.io/redis-adapter (bench/README.md, Resume)";

function resumePlanned(options: Options): Planned {
  return {
    def: {
      id: 'resume',
      title: `resume N=${options.resumeN.toLocaleString('en-US')} × ${options.resumeMissed} missed`,
      unit: 'frames',
      curve: `resume: reconnect of all N → socket caught up`,
      metrics: [
        { key: 'catchup_s', label: 'time until every socket caught up, s', better: 'lower' },
        { key: 'catchup_p50_ms', label: 'p50 catch-up ms', better: 'lower' },
        { key: 'catchup_p99_ms', label: 'p99 catch-up ms', better: 'lower' },
        { key: 'cpu_s', label: 'server CPU during the reconnect, s', better: 'lower' },
        { key: 'cpu_us_per_socket', label: 'server CPU µs/resumed socket', better: 'lower' },
        { key: 'rss_peak_mib', label: 'server peak RSS during it, MiB', better: 'lower' },
        { key: 'rss_growth_mib', label: 'peak RSS − RSS before, MiB', better: 'lower' },
        { key: 'redis_cpu_s', label: 'Redis CPU during the reconnect, s', better: 'lower' },
      ],
    },
    run: resume,
    servers: ['ours'],
  };
}

export function plan(options: Options, idleN: number): Planned[] {
  const out: Planned[] = [];
  for (const scenario of options.scenarios) {
    if (scenario === 'fanout') {
      for (const n of options.fanoutN) {
        out.push({
          def: {
            id: `fanout-${n}`,
            title: `fanout N=${n.toLocaleString('en-US')}`,
            unit: 'deliveries',
            curve: `fanout N=${n.toLocaleString('en-US')}: notify → frame at the client`,
            metrics: [
              { key: 'deliveries_per_s', label: 'deliveries/s', better: 'higher' },
              { key: 'cpu_us_per_delivery', label: 'server CPU µs/delivery', better: 'lower' },
              { key: 'p50_ms', label: 'p50 latency ms', better: 'lower' },
              { key: 'p99_ms', label: 'p99 latency ms', better: 'lower' },
              { key: 'max_ms', label: 'max latency ms', better: 'lower' },
              { key: 'connect_s', label: 'time to connect all N, s', better: 'lower' },
            ],
          },
          run: (ctx) => fanout(ctx, n),
        });
      }
    } else if (scenario === 'chat') {
      out.push({
        def: {
          id: 'chat',
          title: `chat ${options.chatPairs.toLocaleString('en-US')} pairs × ${options.chatK}`,
          unit: 'messages',
          curve: `chat: round trip a → b → a`,
          metrics: [
            { key: 'msgs_per_s', label: 'messages/s', better: 'higher' },
            { key: 'cpu_us_per_msg', label: 'server CPU µs/message', better: 'lower' },
            { key: 'rtt_p50_ms', label: 'p50 round trip ms', better: 'lower' },
            { key: 'rtt_p99_ms', label: 'p99 round trip ms', better: 'lower' },
          ],
        },
        run: chat,
      });
    } else if (scenario === 'idle') {
      out.push({
        def: {
          id: 'idle',
          title: `idle N=${idleN.toLocaleString('en-US')}`,
          unit: 'sockets',
          metrics: [
            { key: 'kib_per_conn', label: 'server RSS KiB/connection', better: 'lower' },
            {
              key: 'idle_cpu_pct',
              label: `server CPU while idle (heartbeat every ${options.idlePingMs / 1000} s), % of a core`,
              better: 'lower',
            },
          ],
        },
        run: (ctx) => idle(ctx, idleN),
        pingMs: options.idlePingMs,
      });
    } else if (scenario === 'resume') {
      out.push(resumePlanned(options));
    } else {
      out.push({
        def: {
          id: 'connect',
          title: `connect M=${options.connectM.toLocaleString('en-US')}`,
          unit: 'handshakes',
          curve: `connect: handshake time (token check included)`,
          metrics: [
            { key: 'handshakes_per_s', label: 'handshakes/s', better: 'higher' },
            { key: 'cpu_us_per_handshake', label: 'server CPU µs/handshake', better: 'lower' },
            { key: 'hs_p50_ms', label: 'p50 handshake ms', better: 'lower' },
            { key: 'hs_p99_ms', label: 'p99 handshake ms', better: 'lower' },
          ],
        },
        run: connect,
      });
    }
  }
  return out;
}

export function expectedOf(scenario: string, options: Options, idleN: number): number {
  if (scenario.startsWith('fanout-')) return Number(scenario.slice(7)) * options.fanoutK;
  if (scenario === 'chat') return options.chatPairs * options.chatK;
  if (scenario === 'idle') return idleN;
  if (scenario === 'resume') return options.resumeN * options.resumeMissed;
  return options.connectM;
}
