import { execFile } from 'node:child_process';
import { SourceError } from '../errors.js';

export interface RunOptions {
  timeoutMs?: number;
  maxBuffer?: number;
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs a tool the safe way: an argument array (never a shell string built from data),
 * LC_ALL=C so output does not depend on the user's locale, a size cap, a timeout and no console window.
 * Rejects with a SourceError whose code says what went wrong: TOOL_MISSING, TIMEOUT, EXIT, OUTPUT_TOO_LARGE.
 */
export function run(file: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  const { timeoutMs = 30_000, maxBuffer = 64 * 1024 * 1024 } = options;
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      {
        encoding: 'utf8',
        timeout: timeoutMs,
        maxBuffer,
        windowsHide: true,
        env: { ...process.env, ...options.env, LC_ALL: 'C', LANG: 'C' },
      },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const e = error as NodeJS.ErrnoException & { killed?: boolean; code?: string | number };
        if (e.code === 'ENOENT') return reject(new SourceError('TOOL_MISSING', `${file} is not installed`, { cause: error }));
        if (e.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER')
          return reject(new SourceError('OUTPUT_TOO_LARGE', `${file} printed more than ${maxBuffer} bytes`, { cause: error }));
        if (e.killed)
          return reject(new SourceError('TIMEOUT', `${file} did not finish within ${timeoutMs} ms`, { cause: error }));
        const detail = String(stderr).trim().split('\n')[0] ?? '';
        reject(new SourceError('EXIT', `${file} exited with ${String(e.code)}${detail ? `: ${detail}` : ''}`, { cause: error }));
      },
    );
  });
}
