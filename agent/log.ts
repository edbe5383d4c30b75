import { appendFileSync } from 'node:fs';

/**
 * A tiny structured logger: one JSON object per line (`{"time","level","msg",…fields}`), to stderr or a file.
 * Support staff grep these lines and machines parse them, so messages are short English phrases and the
 * details go into fields. Errors in fields are reduced to `{ code, message }` (no stacks, no secrets by accident).
 */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (e.g. `{ component: 'policy' }`). */
  child(fields: LogFields): Logger;
}

/** Where finished lines go (without the trailing newline). */
export type LogSink = (line: string) => void;

export const stderrSink: LogSink = (line) => void process.stderr.write(line + '\n');

/**
 * Appends to a file. Synchronous on purpose: log lines are rare, and a line written just before a crash
 * (or SIGKILL) must not sit in a buffer. A write that fails (disk full) is dropped rather than crashing the agent.
 */
export function fileSink(path: string): LogSink {
  return (line) => {
    try {
      appendFileSync(path, line + '\n', { mode: 0o600 });
    } catch {
      // The log is the one thing that cannot report its own failure; the agent keeps running.
    }
  };
}

function plain(value: unknown): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { ...(typeof code === 'string' ? { code } : {}), message: value.message.split('\n')[0]!.slice(0, 500) };
  }
  if (value instanceof URL) return value.href;
  return value;
}

export function createLogger(options: { level?: LogLevel; sink?: LogSink; fields?: LogFields; now?: () => Date } = {}): Logger {
  const { level = 'info', sink = stderrSink, fields: base = {}, now = () => new Date() } = options;
  const min = LOG_LEVELS.indexOf(level);
  const write = (lvl: LogLevel, msg: string, fields?: LogFields) => {
    if (LOG_LEVELS.indexOf(lvl) < min) return;
    const entry: LogFields = { time: now().toISOString(), level: lvl, msg };
    for (const [k, v] of Object.entries({ ...base, ...fields })) if (v !== undefined) entry[k] = plain(v);
    let line: string;
    try {
      line = JSON.stringify(entry);
    } catch {
      line = JSON.stringify({ time: entry.time, level: lvl, msg, note: 'fields not serialisable' });
    }
    sink(line);
  };
  return {
    debug: (msg, f) => write('debug', msg, f),
    info: (msg, f) => write('info', msg, f),
    warn: (msg, f) => write('warn', msg, f),
    error: (msg, f) => write('error', msg, f),
    child: (f) => createLogger({ level, sink, fields: { ...base, ...f }, now }),
  };
}

/** Discards everything; the default where a caller passes no logger. */
export const silentLogger: Logger = createLogger({ level: 'error', sink: () => {} });

/** Collects parsed lines in memory; for tests that assert what was logged. */
export function memoryLogger(level: LogLevel = 'debug'): Logger & { lines: LogFields[] } {
  const lines: LogFields[] = [];
  return Object.assign(createLogger({ level, sink: (l) => lines.push(JSON.parse(l) as LogFields) }), { lines });
}
