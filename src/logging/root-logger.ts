import type { LogLevel } from '@nestjs/common';
import { pino, type DestinationStream, type Level, type Logger, type LoggerOptions } from 'pino';
import { prettyFactory } from 'pino-pretty';
import { REDACT_PATHS, REDACTED } from './redact';

export type LogFormat = 'json' | 'pretty';
/** A pino level, or `silent` (nothing at all). */
export type PinoLevel = Level | 'silent';

/** Nest's level names in pino's terms (as `nestjs-pino`'s `Logger` maps its calls). */
const FROM_NEST: Record<LogLevel, Level> = {
  verbose: 'trace',
  debug: 'debug',
  log: 'info',
  warn: 'warn',
  error: 'error',
  fatal: 'fatal',
};
const ORDER: Level[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/**
 * The pino level for Nest's `logger` option (the in-process tests pass `['error']` or `false`):
 * the lowest level listed, `silent` for `false`, and `fallback` (`LOG_LEVEL`) when it is unset.
 */
export function pinoLevelOf(nest: LogLevel[] | false | undefined, fallback: PinoLevel): PinoLevel {
  if (nest === undefined) return fallback;
  if (nest === false || nest.length === 0) return 'silent';
  return ORDER.find((level) => nest.some((n) => FROM_NEST[n] === level)) ?? 'silent';
}

/**
 * The process's logger: one JSON object per line, or pino-pretty's text rendered in-process (no
 * worker thread: a child process or a test exits without waiting for one). Error and fatal lines
 * go to stderr, the rest to stdout. Both are written with `process.stdout/stderr.write`, which is
 * synchronous for files and pipes on Linux (what a container's log collector reads), so the lines
 * written just before `process.exit` are not lost; `flushThenExit` covers the other platforms.
 */
export function rootLogger(format: LogFormat, level: PinoLevel): Logger {
  const options: LoggerOptions = {
    level,
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    // The level's name rather than its number: `"level":"info"` reads without a table.
    formatters: format === 'json' ? { level: (label) => ({ level: label }) } : {},
  };
  return pino(options, destination(format));
}

function destination(format: LogFormat): DestinationStream {
  const render = format === 'pretty' ? prettyRenderer() : (line: string): string => line;
  return pino.multistream(
    [
      { level: 'trace', stream: { write: (line: string) => void process.stdout.write(render(line)) } },
      { level: 'error', stream: { write: (line: string) => void process.stderr.write(render(line)) } },
    ],
    // Each line to the stream with the highest level it reaches: errors to stderr only.
    { dedupe: true },
  );
}

function prettyRenderer(): (line: string) => string {
  return prettyFactory({
    colorize: process.stdout.isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,context',
    messageFormat: '{if context}[{context}] {end}{msg}',
    singleLine: true,
  });
}

/**
 * The format to log a failed start in, from the raw environment (the configuration may be what
 * failed): `LOG_FORMAT` when it is valid, else JSON in production and text elsewhere.
 */
export function fallbackFormat(env: Record<string, string | undefined>): LogFormat {
  if (env.LOG_FORMAT === 'json' || env.LOG_FORMAT === 'pretty') return env.LOG_FORMAT;
  return env.NODE_ENV === 'production' ? 'json' : 'pretty';
}

/**
 * `process.exit(code)` once what was written to stdout and stderr has been handed to the system
 * (immediate where those writes are synchronous), and within `boundMs` in any case.
 */
export function flushThenExit(code: number, boundMs = 1000): void {
  let pending = 2;
  const done = (): void => {
    if (--pending === 0) process.exit(code);
  };
  setTimeout(() => process.exit(code), boundMs).unref();
  process.stdout.write('', done);
  process.stderr.write('', done);
}
