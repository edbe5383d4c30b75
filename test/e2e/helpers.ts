/**
 * End-to-end helpers: the real server (`server/main.ts`, SQLite in a temp data folder) and the real agent
 * (`bin/appwacht.js run` → the bundle in dist/cli/) as processes, the admin API over HTTP, and the server's SQLite file for counting.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import type { Policy } from '../../protocol/index.js';
import type { ServerInfo } from '../../server/start.js';
import { LineWaiters, type Exit } from '../helpers/line-waiters.js';

export const REPO = new URL('../../', import.meta.url).pathname;
export const BIN = join(REPO, 'bin', 'appwacht.js');
export const LAPTOP_FIXTURE = join(REPO, 'test', 'fixtures', 'linux', 'laptop');
/** The one file in the laptop fixture by which LINE (a Wine install) is recognised. */
export const LINE_DESKTOP_FILE = join('home', 'anna', '.local', 'share', 'applications', 'wine', 'Programs', 'LINE.desktop');
export const ADMIN_PASSWORD = 'e2e admin password 1234';

/**
 * The agent runs from dist/, as installed. A dist/ older than the runtime sources would test yesterday's agent,
 * so this fails loudly instead ("npm test" builds first).
 */
export function assertBuilt(): void {
  const built = join(REPO, 'dist', 'cli', 'appwacht.js');
  if (!existsSync(built)) throw new Error('dist/ has no agent bundle: run "npm run build" first (npm test does)');
  const src = statSync(join(REPO, 'agent', 'runtime', 'loop.ts')).mtimeMs;
  if (statSync(built).mtimeMs < src) throw new Error('dist/ is older than agent/runtime: run "npm run build" first');
}

export async function tempDir(prefix = 'appwacht-e2e-'): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A copy of the Linux laptop fixture, to add and remove apps in. */
export async function copyLaptop(to: string): Promise<string> {
  await cp(LAPTOP_FIXTURE, to, { recursive: true, verbatimSymlinks: true });
  return to;
}

/** A port that was free a moment ago: the server must come back on the same one after a restart. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

// ── server ──────────────────────────────────────────────────────────────────────────────────────────────────────────

export interface ServerProcess {
  child: ChildProcess;
  info: ServerInfo;
  dataDir: string;
  stderr(): string;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
}

/** `npm run server` as a process (tsx), on SQLite in `dataDir`; resolves on the ready line. */
export function startServer(
  dataDir: string,
  options: { port?: number; env?: Record<string, string> } = {},
): Promise<ServerProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'server/main.ts', '--port', String(options.port ?? 0), '--data-dir', dataDir],
    {
      cwd: REPO,
      env: {
        ...process.env,
        APPWACHT_ADMIN_PASSWORD: ADMIN_PASSWORD,
        APPWACHT_LOG_LEVEL: 'warn',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not get ready: ${stderr}`)), 60_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('{"appwacht":"ready"')) return;
      clearTimeout(timer);
      resolve({
        child,
        info: JSON.parse(line) as ServerInfo,
        dataDir,
        stderr: () => stderr,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          return exit;
        },
      });
    });
    void exit.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${stderr}`));
    });
  });
}

/** The admin API with an API token (login → session → token), as a script of the city's IT would use it. */
export class AdminApi {
  private constructor(
    readonly url: string,
    private readonly token: string,
  ) {}

  static async login(url: string): Promise<AdminApi> {
    const login = await fetch(`${url}/api/v1/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    if (login.status !== 200) throw new Error(`admin login: ${login.status} ${await login.text()}`);
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    const cookie = login.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const res = await fetch(`${url}/api/v1/admin/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrfToken },
      body: JSON.stringify({ name: 'e2e' }),
    });
    if (res.status !== 201) throw new Error(`admin token: ${res.status} ${await res.text()}`);
    return new AdminApi(url, ((await res.json()) as { token: string }).token);
  }

  /** Same server at another address (restarted on another port would need this; tests keep the port). */
  at(url: string): AdminApi {
    return new AdminApi(url, this.token);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.url}/api/v1/admin${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  createPolicy(draft: PolicyDraft): Promise<{ version: number; etag: string }> {
    return this.call('POST', '/policies', draft);
  }

  async devices(): Promise<DeviceSummary[]> {
    return (await this.call<{ items: DeviceSummary[] }>('GET', '/devices')).items;
  }

  device(id: string, reportsLimit = 200): Promise<DeviceDetail> {
    return this.call('GET', `/devices/${id}?reportsLimit=${reportsLimit}`);
  }
}

export interface DeviceSummary {
  id: string;
  status: 'unknown' | 'compliant' | 'warning' | 'violation';
  policyVersion: number | null;
  lastReportId?: string | null;
  apps: { appId: string; evidence: string[] }[];
}
export interface DeviceDetail extends DeviceSummary {
  reports: { items: { reportId: string; kind: string; status: string; scannedAt: string; report: unknown }[] };
}

export type PolicyDraft = Omit<Policy, 'version' | 'issuedAt'>;

/** A policy that bans exactly these catalog apps, with the shortest intervals the protocol allows. */
export function policyBanning(apps: string[], deadline = '2026-03-01T00:00:00Z'): PolicyDraft {
  return {
    schema: 1,
    organization: { name: 'Stadt E2E', support: { email: 'it@e2e.example' } },
    message: { de: 'Bitte deinstallieren.', en: 'Please uninstall.' },
    rules: apps.map((app) => ({ id: `ban-${app}`, app, action: 'ban' as const, deadline })),
    intervals: { scanMinutes: 1, heartbeatMinutes: 5, policyRefreshMinutes: 5 },
    escalation: { reportOnly: false, mailWarningAfterDays: 0, blockAfterDays: 14, staleAfterHours: 72 },
  };
}

/** Rows of the server's reports table, read from its SQLite file (read-only, next to the running server). */
export interface ReportRow {
  id: string;
  device_id: string;
  kind: 'change' | 'heartbeat';
  status: string;
  scanned_at: number;
  received_at: number;
}
export function serverReports(dataDir: string): ReportRow[] {
  const db = new Database(join(dataDir, 'appwacht.sqlite'), { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    return db
      .prepare('select id, device_id, kind, status, scanned_at, received_at from reports order by scanned_at, id')
      .all() as ReportRow[];
  } finally {
    db.close();
  }
}

// ── agent ───────────────────────────────────────────────────────────────────────────────────────────────────────────

export type LogLine = Record<string, unknown> & { msg?: string; level?: string };

export interface AgentProcess {
  /** `appwacht run`: the supervisor, leader of its own process group (its turns are children in that group). */
  child: ChildProcess;
  /** Parsed log lines (stderr), as they arrive. */
  log: LogLine[];
  stderr(): string;
  waitForLog(what: string, match: (l: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  exited: Promise<Exit>;
  /** SIGTERM to the supervisor (it stops its turn), then the exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL to the whole process group (supervisor and turn, as a session logout or `kill -9 -<pgid>` does), then the exit. */
  kill(): Promise<void>;
  /** SIGKILL to the supervisor alone: a running turn is orphaned. */
  killSupervisor(): Promise<void>;
  /** The pids of the running turn processes (children of the supervisor; Linux /proc). */
  turnPids(): number[];
}

/** Children of `pid` from /proc/<child>/stat (field 4, after the command name in parentheses). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Processes whose command line mentions `text` (e.g. a test's temp folder): what a test must not leave running. */
export function processesMentioning(text: string): { pid: number; cmd: string }[] {
  const out: { pid: number; cmd: string }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\u0000').join(' ');
      if (cmd.includes(text)) out.push({ pid: Number(name), cmd });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

export interface AgentEnv {
  server?: ServerInfo;
  stateDir: string;
  /** HOME for the agent, so no user settings of this machine leak in. */
  home: string;
  extra?: Record<string, string>;
}

export function agentEnv(e: AgentEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: e.home,
    XDG_CONFIG_HOME: join(e.home, '.config'),
    APPWACHT_STATE_DIR: e.stateDir,
    LANG: 'C.UTF-8',
    LC_ALL: '',
    ...e.extra,
  };
  for (const k of Object.keys(env))
    if (k.startsWith('APPWACHT_') && !(k in (e.extra ?? {})) && k !== 'APPWACHT_STATE_DIR') delete env[k];
  if (e.server) {
    env.APPWACHT_SERVER_URL = e.server.url;
    env.APPWACHT_ENROLLMENT_SECRET = e.server.enrollmentSecret;
    env.APPWACHT_POLICY_PUBLIC_KEY = e.server.publicKey;
  }
  return env;
}

/**
 * `node bin/appwacht.js <args>` as a long-running process; stderr is its JSON log (the supervisor's and its turns').
 * `command` replaces node (unshare). It leads its own process group, so `kill()` takes its turns along.
 */
export function spawnAgent(args: string[], env: NodeJS.ProcessEnv, command?: { file: string; args: string[] }): AgentProcess {
  const [file, argv] = command ? [command.file, command.args] : [process.execPath, [BIN, ...args]];
  const child = spawn(file, argv, { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stderr = '';
  const exited = new Promise<Exit>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const log = new LineWaiters<LogLine>(exited);
  createInterface({ input: child.stderr! }).on('line', (line) => {
    stderr += line + '\n';
    let parsed: LogLine;
    try {
      parsed = JSON.parse(line) as LogLine;
    } catch {
      parsed = { raw: line };
    }
    log.push(parsed);
  });
  child.stdout!.resume();
  return {
    child,
    log: log.lines,
    stderr: () => stderr,
    exited,
    waitForLog: (what, match, timeoutMs = 30_000) =>
      log.waitFor(match, timeoutMs, (why) => `agent ${why} waiting for log "${what}"; log tail:\n${stderr.slice(-3000)}`),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // the group is gone already
      }
      await exited;
    },
    async killSupervisor() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    turnPids: () => childPids(child.pid!),
  };
}

/** `appwacht status --json` as a short-lived process. */
export async function agentStatus(env: NodeJS.ProcessEnv): Promise<StatusJson> {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, 'status', '--json'], { cwd: REPO, env }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(error);
      try {
        resolve(JSON.parse(stdout) as StatusJson);
      } catch {
        reject(new Error(`status --json printed no JSON: ${stdout} ${stderr}`));
      }
    });
  });
}

export interface StatusJson {
  running: boolean;
  mode: 'server' | 'local' | null;
  localMode: boolean | null;
  enrolled: boolean;
  enrollment: { enrolled: boolean; deviceId?: string } | null;
  compliance: { status: string; findings: { appId: string; evidence: string[] }[] } | null;
  policy: {
    origin: string;
    version: number;
    reportVersion: number | null;
    rejected?: { code: string; message: string };
    lastRefresh?: { outcome: string; code?: string };
  } | null;
  outbox: { queued: number; pending: number };
  lastDelivery: { reportId: string } | null;
  lastError: { code: string; message: string } | null;
}

/** Log lines of a log file written by `--log-file` (sync appends: complete up to the moment of a SIGKILL). */
export function readLogFile(path: string): LogLine[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      try {
        return JSON.parse(l) as LogLine;
      } catch {
        // A line cut by SIGKILL mid-append (appendFileSync is one write, so this should not happen; kept visible if it does).
        return { raw: l };
      }
    });
}
