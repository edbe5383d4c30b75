/**
 * Spawning the Appwacht server (or the bare baseline app) as a real process for the server benchmark and the
 * SIGKILL test: wait for the JSON ready line on stdout, keep draining stdout (an undrained pipe would block the
 * server once its buffer is full), stop it with SIGTERM or SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ServerInfo } from '../server/start.js';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));

export interface SpawnOptions {
  /** Script relative to the repo root, run with tsx (the same JS at run time as the tsc build; only loading differs). */
  script: string;
  /** The repository checkout to run it from (default: this one; bench A/B runs pass an older worktree). */
  root?: string;
  args?: string[];
  env?: Record<string, string>;
  /** `taskset -c <cpus>`, e.g. '0' or '0,1'; unset = the scheduler decides. */
  cpus?: string;
  /** Extra node flags, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/prof']. */
  nodeFlags?: string[];
  readyTimeoutMs?: number;
}

export interface Spawned<I> {
  child: ChildProcess;
  info: I;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  /** Resolves with the exit code, or the signal name when killed. */
  exited: Promise<number | string>;
  /** SIGTERM and wait; resolves with the exit code. */
  stop(): Promise<number | string>;
  /** SIGKILL and wait. */
  kill(): Promise<number | string>;
}

/** Starts a process and resolves with the first stdout line that parses as JSON and has `readyKey`. */
export function spawnReady<I>(opts: SpawnOptions, readyKey: string): Promise<Spawned<I>> {
  const nodeArgs = [...(opts.nodeFlags ?? []), '--import', 'tsx', opts.script, ...(opts.args ?? [])];
  const [file, args] = opts.cpus ? ['taskset', ['-c', opts.cpus, process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs];
  const child = spawn(file, args, {
    cwd: opts.root ?? ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-20_000);
  });
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  const spawned = (info: I): Spawned<I> => ({
    child,
    info,
    stderr: () => stderr,
    exited,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
    kill: () => {
      child.kill('SIGKILL');
      return exited;
    },
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${opts.script} did not get ready within ${opts.readyTimeoutMs ?? 30_000} ms: ${stderr.slice(-2000)}`));
    }, opts.readyTimeoutMs ?? 30_000);
    let ready = false;
    // Request log lines follow the ready line; reading them all keeps the pipe from filling up.
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (ready || !line.startsWith('{')) return;
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      if (!(readyKey in parsed)) return;
      ready = true;
      clearTimeout(timer);
      resolve(spawned(parsed as I));
    });
    void exited.then((code) => {
      clearTimeout(timer);
      if (!ready) reject(new Error(`${opts.script} exited with ${code} before it was ready: ${stderr.slice(-2000)}`));
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

export interface AppwachtServerOptions {
  dataDir: string;
  adminPassword: string;
  databaseUrl?: string;
  env?: Record<string, string>;
  cpus?: string;
  nodeFlags?: string[];
  readyTimeoutMs?: number;
  root?: string;
}

/** `node --import tsx server/main.ts --port 0 --data-dir <dir>`, resolved once the ready line is out. */
export function spawnAppwachtServer(o: AppwachtServerOptions): Promise<Spawned<ServerInfo>> {
  return spawnReady<ServerInfo>(
    {
      script: 'server/main.ts',
      args: ['--port', '0', '--data-dir', o.dataDir, ...(o.databaseUrl ? ['--database-url', o.databaseUrl] : [])],
      env: { APPWACHT_ADMIN_PASSWORD: o.adminPassword, ...o.env },
      ...(o.cpus ? { cpus: o.cpus } : {}),
      ...(o.nodeFlags ? { nodeFlags: o.nodeFlags } : {}),
      ...(o.readyTimeoutMs ? { readyTimeoutMs: o.readyTimeoutMs } : {}),
      ...(o.root ? { root: o.root } : {}),
    },
    'appwacht',
  );
}

/**
 * Runs bench/server-load.ts with a job in its own process (optionally pinned) and resolves with its result.
 * `stop()` sends SIGTERM, which ends an open-loop job that was started with `untilSignal`.
 */
export function runLoadProcess<R>(
  jobFile: string,
  opts: { cpus?: string } = {},
): { result: Promise<R>; stop(): void; pid: number | undefined } {
  const nodeArgs = ['--import', 'tsx', 'bench/server-load.ts', jobFile];
  const [file, args] = opts.cpus ? ['taskset', ['-c', opts.cpus, process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs];
  const child = spawn(file, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-5000)));
  const result = new Promise<R>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      const line = stdout.split('\n').find((l) => l.startsWith('{"load":'));
      if (code === 0 && line) return resolve((JSON.parse(line) as { load: R }).load);
      reject(new Error(`load generator exited with ${code ?? signal}: ${stderr.slice(-2000)}`));
    });
  });
  return {
    result,
    pid: child.pid,
    // taskset execs node in place, so the pid is node's and the signal reaches the generator.
    stop: () => child.kill('SIGTERM'),
  };
}
