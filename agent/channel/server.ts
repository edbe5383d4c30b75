import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants, statSync } from 'node:fs';
import { chmod, lstat, mkdir, open, readFile, unlink } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { AppwachtError } from '../errors.js';
import type { Logger } from '../log.js';
import { outboxQueue, readDelivered, readLadder } from '../report/last-delivered.js';
import { STATE_FILES } from '../state/names.js';
import {
  CHANNEL_PROTOCOL,
  CHECK_NOW_INTERVAL_MS,
  CLAIM_DIR_NAME,
  CLAIM_TIMEOUT_MS,
  claimContent,
  IDLE_TIMEOUT_MS,
  MAX_LINE_BYTES,
  SOCKET_NAME,
  WINDOWS_PIPE,
  type ErrorCode,
  type ToPeer,
} from './messages.js';
import { buildStateView, reportVisibleTo, type Viewer } from './view.js';
import { checkRecord } from '../update/record.js';

// Resident in the supervisor: node builtins and our small modules only (no zod; see runtime/supervisor.ts on memory).

export class TrayChannelError extends AppwachtError {}

/** Where the channel lives: /run/appwacht (Linux), /var/run/appwacht (macOS), %ProgramData%\Appwacht\channel (Windows). */
export function defaultChannelDir(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string {
  if (env.APPWACHT_CHANNEL_DIR) return env.APPWACHT_CHANNEL_DIR;
  if (platform === 'win32') return join(env.ProgramData ?? 'C:\\ProgramData', 'Appwacht', 'channel');
  return platform === 'darwin' ? '/var/run/appwacht' : '/run/appwacht';
}

export interface TrayChannelOptions {
  /** The channel folder (root's, 0755): tray.sock (0666) and claims/ (1733) inside. */
  dir: string;
  stateDir: string;
  log: Logger;
  /** Asks the supervisor for a turn with a full check. */
  requestCheck(why: string): void;
  /** Whether the agent runs (for the state answer): the supervisor is, when it serves the channel. */
  running?: () => boolean;
  now?: () => number;
  checkIntervalMs?: number;
}

export interface TrayChannel {
  readonly path: string;
  close(): Promise<void>;
}

const run = (file: string, args: string[]) =>
  new Promise<string>((resolve, reject) =>
    execFile(file, args, { timeout: 10_000, windowsHide: true, env: { ...process.env, LC_ALL: 'C' } }, (err, out) =>
      err ? reject(err) : resolve(out.trim()),
    ),
  );

/** The account name of a uid (`id -nu` knows passwd, LDAP/sssd and macOS's directory alike). */
async function userName(uid: number): Promise<string> {
  try {
    return (await run('id', ['-nu', String(uid)])) || String(uid);
  } catch {
    return String(uid);
  }
}

/**
 * Who created the claim file: opened without following links, a plain file with one link and the expected content.
 * POSIX: the owner uid. Windows (untested here): the owner of the file as PowerShell's Get-Acl names it.
 */
async function claimOwner(path: string, nonce: string): Promise<{ uid: number | string; user: string } | string> {
  if (process.platform === 'win32') {
    const text = await readFile(path, 'utf8').catch(() => undefined);
    if (text !== claimContent(nonce)) return 'no claim file with the expected content';
    const owner = await run('powershell.exe', [
      '-NoProfile',
      '-NonInteractive',
      '-Command',
      `(Get-Acl -LiteralPath '${path.replace(/'/g, "''")}').Owner`,
    ]).catch(() => '');
    if (!owner) return 'the owner of the claim file cannot be read';
    const user = owner.split('\\').at(-1)!.toLowerCase();
    const elevated = /^(nt authority\\system|builtin\\administrators)$/i.test(owner);
    return { uid: elevated ? 0 : owner, user };
  }
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    return `no claim file (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) return 'the claim is not a plain file';
    if (st.nlink !== 1) return 'the claim file has other links (a hard link of someone else’s file)';
    const expected = claimContent(nonce);
    if (st.size !== Buffer.byteLength(expected)) return 'the claim file has unexpected content';
    const text = (await handle.readFile('utf8')).toString();
    if (text !== expected) return 'the claim file has unexpected content';
    return { uid: st.uid, user: st.uid === 0 ? 'root' : await userName(st.uid) };
  } finally {
    await handle.close();
  }
}

/** Linux: the owner of /proc/<pid>; elsewhere unknown (then a non-root peer is not shown processes). */
function processOwner(pid: number): number | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    return statSync(`/proc/${pid}`).uid;
  } catch {
    return undefined;
  }
}

/** The channel folder is root's and nobody else may write it: checked like the state folder, but others may enter. */
async function prepareDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  if (process.platform === 'win32') return; // the installer sets the folder's ACL (build/windows)
  const st = await lstat(dir);
  const uid = process.geteuid?.() ?? 0;
  if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o022) !== 0)
    throw new TrayChannelError(
      'CHANNEL_DIR_UNSAFE',
      `the channel folder ${dir} must be a folder of uid ${uid} that nobody else can write to (mode ${(st.mode & 0o7777).toString(8)})`,
    );
  await chmod(dir, 0o755);
  const claims = join(dir, CLAIM_DIR_NAME);
  await mkdir(claims, { mode: 0o1733 }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
  const c = await lstat(claims);
  if (!c.isDirectory() || c.uid !== uid)
    throw new TrayChannelError('CHANNEL_DIR_UNSAFE', `${claims} must be a folder of uid ${uid}`);
  // Sticky, writable and searchable by all, readable by nobody else: anyone can create a claim, nobody can list or
  // remove another's.
  await chmod(claims, 0o1733);
}

/**
 * Serves the tray channel (protocol: messages.ts) for the machine agent. Answers read-state with the view of the asking
 * account, read-last-report with the last delivered report if that account may see it, and passes check-now to the supervisor, one per account per CHECK_NOW_INTERVAL_MS; refuses everything else.
 */
export async function startTrayChannel(o: TrayChannelOptions): Promise<TrayChannel> {
  const now = o.now ?? Date.now;
  const checkInterval = o.checkIntervalMs ?? CHECK_NOW_INTERVAL_MS;
  const log = o.log.child({ component: 'tray-channel' });
  const windows = process.platform === 'win32';
  await prepareDir(o.dir);
  const claimDir = join(o.dir, CLAIM_DIR_NAME);
  const path = windows ? WINDOWS_PIPE : join(o.dir, SOCKET_NAME);
  if (!windows) await unlink(path).catch(() => {}); // a socket file left by a killed agent
  const lastCheck = new Map<string, number>();
  const sockets = new Set<Socket>();

  const readJson = async (file: string): Promise<unknown> => {
    try {
      return JSON.parse(await readFile(join(o.stateDir, file), 'utf8'));
    } catch {
      return undefined;
    }
  };

  const serve = (socket: Socket) => {
    if (sockets.size >= 32) return void socket.destroy(); // a flood of connections must not cost the agent memory
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const nonce = randomBytes(16).toString('hex');
    let peer: { uid: number | string; user: string } | undefined;
    let refusals = 0;
    let buffer = '';
    let busy = Promise.resolve();
    const send = (m: ToPeer) => {
      if (!socket.destroyed) socket.write(JSON.stringify(m) + '\n');
    };
    const fail = (code: ErrorCode, message: string, end = false, extra: { retryAfterMs?: number } = {}) => {
      send({ type: 'error', code, message, ...extra });
      // A check-now too soon is a fair request at the wrong time; everything else refused counts towards the end.
      if (end || (code !== 'RATE_LIMITED' && ++refusals >= 3)) socket.end();
    };
    const claimTimer = setTimeout(() => peer || fail('NOT_IDENTIFIED', 'no claim in time', true), CLAIM_TIMEOUT_MS);
    socket.setTimeout(IDLE_TIMEOUT_MS, () => socket.destroy());
    socket.on('close', () => clearTimeout(claimTimer));

    const handle = async (line: string) => {
      let m: { type?: unknown };
      try {
        m = JSON.parse(line) as { type?: unknown };
      } catch {
        return fail('BAD_MESSAGE', 'not a JSON line');
      }
      const type = typeof m === 'object' && m !== null ? m.type : undefined;
      if (type === 'claim') {
        if (peer) return fail('REFUSED', 'already identified');
        const claimPath = join(claimDir, nonce);
        const owner = await claimOwner(claimPath, nonce);
        await unlink(claimPath).catch(() => {});
        if (typeof owner === 'string') {
          log.warn('tray claim refused', { reason: owner });
          return fail('CLAIM_FAILED', owner, true);
        }
        peer = owner;
        clearTimeout(claimTimer);
        return send({ type: 'welcome', user: peer.user, uid: peer.uid });
      }
      if (!peer) return fail('NOT_IDENTIFIED', 'send a claim first', true);
      const who = peer;
      const viewer: Viewer = {
        user: who.user,
        root: who.uid === 0,
        ownsProcess: (pid) => typeof who.uid === 'number' && processOwner(pid) === who.uid,
      };
      if (type === 'read-state') {
        const state = buildStateView(
          await readJson(STATE_FILES.runtimeState),
          await readJson(STATE_FILES.trayView),
          viewer,
          o.running?.() ?? true,
          await readLadder(o.stateDir),
          checkRecord(await readJson(STATE_FILES.update))?.last ?? null,
        );
        return send(state);
      }
      if (type === 'read-last-report') {
        const [delivered, queue] = await Promise.all([readDelivered(o.stateDir), outboxQueue(o.stateDir)]);
        const deliveredAt = delivered.deliveredAt ?? null;
        if (!delivered.known) return send({ type: 'last-report', report: null, unknown: delivered.reason, deliveredAt, queue });
        if (!reportVisibleTo(delivered.report, viewer))
          return send({ type: 'last-report', report: null, unknown: 'other-accounts', deliveredAt, queue });
        return send({ type: 'last-report', report: delivered.report, deliveredAt, queue });
      }
      if (type === 'check-now') {
        const key = String(peer.uid);
        const since = now() - (lastCheck.get(key) ?? -Infinity);
        if (since < checkInterval)
          return fail('RATE_LIMITED', 'a check was asked for a moment ago', false, { retryAfterMs: checkInterval - since });
        lastCheck.set(key, now());
        log.info('check asked for over the tray channel', { user: peer.user });
        o.requestCheck(`tray: check-now by ${peer.user}`);
        return send({ type: 'check-accepted', message: 'a check starts now' });
      }
      log.warn('tray request refused', { user: peer.user, type: typeof type === 'string' ? type.slice(0, 40) : typeof type });
      return fail('REFUSED', 'only read-state, read-last-report and check-now are served');
    };

    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      if (Buffer.byteLength(buffer) > MAX_LINE_BYTES && !buffer.includes('\n')) {
        buffer = '';
        return fail('TOO_LONG', `lines are limited to ${MAX_LINE_BYTES} bytes`, true);
      }
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (Buffer.byteLength(line) > MAX_LINE_BYTES)
          return fail('TOO_LONG', `lines are limited to ${MAX_LINE_BYTES} bytes`, true);
        // One message at a time, in order: a claim must be checked before the next line is read.
        busy = busy.then(() => handle(line)).catch((err: unknown) => log.warn('tray request failed', { error: err }));
      }
    });
    send({ type: 'hello', protocol: CHANNEL_PROTOCOL, nonce, claimDir });
  };

  const server: Server = createServer(serve);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  // Anyone may connect; who they are is what the claim proves.
  if (!windows) await chmod(path, 0o666);
  log.info('tray channel listening', { path });
  return {
    path,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (!windows) await unlink(path).catch(() => {});
    },
  };
}
