import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LineWaiters, type Exit } from './line-waiters.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A TypeScript child process (`node --import tsx <script>`) whose stdout lines are collected as they arrive. */
export interface LineChild {
  child: ChildProcess;
  lines: string[];
  stderr: () => string;
  /** Resolves with the first line matching, rejects when the child exits first or after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<Exit>;
  /** SIGKILL and wait until the OS has reaped it. */
  kill(): Promise<void>;
}

export function spawnTs(script: string, args: string[], env: NodeJS.ProcessEnv = {}): LineChild {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  const exited = new Promise<Exit>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  const lines = new LineWaiters<string>(exited);
  let partial = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    partial += chunk;
    const parts = partial.split('\n');
    partial = parts.pop()!;
    for (const line of parts) lines.push(line);
  });
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
  return {
    child,
    lines: lines.lines,
    stderr: () => err,
    exited,
    waitFor: (pattern, timeoutMs = 30_000) =>
      lines.waitFor(
        (l) => pattern.test(l),
        timeoutMs,
        (why) => `child ${why} waiting for ${pattern}; stderr: ${err.slice(-500)}`,
      ),
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
