import { constants } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { AppwachtError } from '../errors.js';
import { CHANNEL_PROTOCOL, claimContent, SOCKET_NAME, WINDOWS_PIPE, type HelloMessage, type ToPeer } from './messages.js';

export class TrayClientError extends AppwachtError {}

/** A connection to the machine agent, identified (the claim is done). `request` sends one line and waits for the answer. */
export interface TrayConnection {
  readonly user: string;
  request(message: unknown): Promise<ToPeer>;
  /** Sends a raw line (tests: oversized or malformed input). */
  raw(line: string): Promise<ToPeer | undefined>;
  close(): void;
}

/**
 * Connects to the tray channel in `dir` and proves the account it runs as (messages.ts): creates the claim file the
 * agent names, exclusively and without following links, then says `claim`.
 */
export async function connectTray(dir: string, timeoutMs = 10_000): Promise<TrayConnection> {
  const path = process.platform === 'win32' ? WINDOWS_PIPE : join(dir, SOCKET_NAME);
  const socket: Socket = connect(path);
  socket.setEncoding('utf8');
  const queue: ToPeer[] = [];
  const waiters: ((m: ToPeer | undefined) => void)[] = [];
  let buffer = '';
  let closed = false;
  const settleAll = () => {
    closed = true;
    for (const w of waiters.splice(0)) w(undefined);
  };
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const m = JSON.parse(buffer.slice(0, nl)) as ToPeer;
      buffer = buffer.slice(nl + 1);
      const w = waiters.shift();
      if (w) w(m);
      else queue.push(m);
    }
  });
  socket.on('close', settleAll);
  const failed = new Promise<never>((_, reject) =>
    socket.once('error', (err) =>
      reject(
        new TrayClientError('CHANNEL_UNAVAILABLE', `the machine agent cannot be reached at ${path}: ${err.message}`, {
          cause: err,
        }),
      ),
    ),
  );
  failed.catch(() => {});
  const next = (): Promise<ToPeer | undefined> => {
    const queued = queue.shift();
    if (queued) return Promise.resolve(queued);
    if (closed) return Promise.resolve(undefined);
    return Promise.race([
      new Promise<ToPeer | undefined>((resolve) => {
        waiters.push(resolve);
        setTimeout(() => resolve(undefined), timeoutMs).unref();
      }),
      failed,
    ]);
  };

  const hello = (await next()) as HelloMessage | undefined;
  if (hello?.type !== 'hello' || hello.protocol !== CHANNEL_PROTOCOL || !/^[0-9a-f]{32}$/.test(hello.nonce)) {
    socket.destroy();
    throw new TrayClientError('CHANNEL_PROTOCOL', 'the machine agent did not greet as expected');
  }
  const claimPath = join(hello.claimDir, hello.nonce);
  const handle = await open(claimPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    await handle.writeFile(claimContent(hello.nonce));
  } finally {
    await handle.close();
  }
  socket.write(JSON.stringify({ type: 'claim' }) + '\n');
  const welcome = await next();
  await unlink(claimPath).catch(() => {}); // the agent removes it; this is for an agent that failed before doing so
  if (welcome?.type !== 'welcome') {
    socket.destroy();
    throw new TrayClientError(
      'CHANNEL_REFUSED',
      `the machine agent did not accept the claim: ${welcome?.type === 'error' ? welcome.message : 'no answer'}`,
    );
  }
  const raw = (line: string) => {
    if (!closed) socket.write(line + '\n');
    return next();
  };
  return {
    user: welcome.user,
    raw,
    async request(message) {
      const answer = await raw(JSON.stringify(message));
      if (!answer) throw new TrayClientError('CHANNEL_CLOSED', 'the machine agent closed the connection');
      return answer;
    },
    close: () => socket.destroy(),
  };
}
