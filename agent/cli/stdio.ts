import { writeSync } from 'node:fs';

/**
 * Output to the inherited stdout or stderr, written to the descriptor itself. process.stdout is a stream, and its first
 * use loads Node's stream modules (20 internal modules, a measurable part of a CLI start: BENCHMARKS.md, "Start-up").
 * On Linux and macOS Node writes files and pipes synchronously anyway, so a direct write keeps the same order and
 * blocking. A reader that has gone (EPIPE: `appwacht inventory --json | head`) ends the output quietly, as it ends a
 * pipeline; anything else a direct write cannot finish (a full non-blocking pipe, any other error) goes on through the
 * stream from that byte on, which handles it as before; so does all output on Windows, whose console wants Node's own
 * handling.
 */
export function descriptorWriter(fd: 1 | 2): (text: string) => void {
  const stream = (): NodeJS.WriteStream => (fd === 1 ? process.stdout : process.stderr);
  let way: 'direct' | 'stream' | 'gone' = process.platform === 'win32' ? 'stream' : 'direct';
  return (text) => {
    if (way === 'gone') return;
    if (way === 'stream') return void stream().write(text);
    const bytes = Buffer.from(text, 'utf8');
    let written = 0;
    try {
      while (written < bytes.length) written += writeSync(fd, bytes, written);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EPIPE') {
        way = 'gone';
        return;
      }
      way = 'stream';
      stream().write(bytes.subarray(written));
    }
  };
}
