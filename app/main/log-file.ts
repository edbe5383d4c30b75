/**
 * The app's log file with rotation by size: appwacht-tray.log, and up to `keep` older ones (.1 newest). Synchronous
 * like the agent's fileSink (a line before a crash must not sit in a buffer); a failed write is dropped.
 */
import { appendFileSync, renameSync, statSync, unlinkSync } from 'node:fs';
import type { LogSink } from '../../agent/log.js';

export function rotatingFileSink(path: string, o: { maxBytes?: number; keep?: number } = {}): LogSink {
  const maxBytes = o.maxBytes ?? 1_000_000;
  const keep = o.keep ?? 3;
  let size = -1;
  const rotate = () => {
    try {
      unlinkSync(`${path}.${keep}`);
    } catch {
      // not there yet
    }
    for (let i = keep - 1; i >= 1; i--)
      try {
        renameSync(`${path}.${i}`, `${path}.${i + 1}`);
      } catch {
        // a gap in the series
      }
    try {
      renameSync(path, `${path}.1`);
    } catch {
      // nothing to move
    }
    size = 0;
  };
  return (line) => {
    const data = line + '\n';
    try {
      if (size < 0) size = statSync(path, { throwIfNoEntry: false })?.size ?? 0;
      if (size > 0 && size + Buffer.byteLength(data) > maxBytes) rotate();
      appendFileSync(path, data, { mode: 0o600 });
      size += Buffer.byteLength(data);
    } catch {
      // The log is the one thing that cannot report its own failure.
    }
  };
}
