import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';

/** Small statistics and process helpers shared by the benchmark scripts. */

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export async function timeRuns(runs: number, fn: () => Promise<unknown>, warmup = 2): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return times;
}

export interface ProcessRun {
  ms: number;
  code: number | null;
  /** Peak resident set size in KiB, as the kernel's rusage reports it (GNU time %M). */
  maxRssKiB: number;
  /** User + system CPU time in ms (GNU time %U + %S): less swayed than wall time by a loaded machine. */
  cpuMs: number;
  stdout: string;
}

/** Runs a command under GNU time to learn its wall time, CPU time and peak memory (maxrss) in one go. */
export function runMeasured(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn('/usr/bin/time', ['-f', '__MAXRSS__%M %U %S', cmd, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - start;
      const match = /__MAXRSS__(\d+) ([\d.]+) ([\d.]+)/.exec(stderr);
      if (!match) return reject(new Error(`no maxrss from /usr/bin/time: ${stderr.slice(-300)}`));
      resolve({ ms, code, maxRssKiB: Number(match[1]), cpuMs: (Number(match[2]) + Number(match[3])) * 1000, stdout });
    });
  });
}

export function table(rows: (string | number)[][]): string {
  const cells = rows.map((r) => r.map(String));
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  return cells.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}

export const fmt = (ms: number) => ms.toFixed(1);

/** A bench step that did not finish in time; the message names the step and says what was going on. */
export class BenchTimeoutError extends Error {
  readonly code = 'BENCH_TIMEOUT';
}

/**
 * Waits for `work` at most `ms`: a benchmark must end on its own. On time-out it rejects with the step's name and
 * `context()` (e.g. the log tail of the process it waited for); `work` itself is left to the caller's clean-up.
 */
export async function bounded<T>(what: string, ms: number, work: Promise<T>, context: () => string = () => ''): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const more = context();
      reject(new BenchTimeoutError(`step "${what}" did not finish within ${(ms / 1000).toFixed(0)} s${more ? `\n${more}` : ''}`));
    }, ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const CLOCK_TICKS_PER_S = 100; // USER_HZ: 100 on every Linux this runs on (getconf CLK_TCK)

/** User + system CPU of a running process in ms, from /proc/<pid>/stat (fields 14 and 15, after the last ')'). */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLOCK_TICKS_PER_S;
}

/** Resident memory of a live process from /proc/<pid>/status, in MiB (Linux): total, anonymous and file-backed. */
export function procMemoryMiB(pid: number): { rss: number; anon: number; file: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1] ?? NaN) / 1024;
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') };
}
