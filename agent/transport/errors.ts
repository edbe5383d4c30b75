import { AppwachtError } from '../errors.js';

/**
 * How a call to the server failed, as the caller needs to branch on it:
 * - UNAUTHORIZED (401/403): the device token is gone or revoked → re-enroll, do not retry as is.
 * - REJECTED (other 4xx): the server will never accept this request → do not retry; keep it aside and say so.
 * - RATE_LIMITED (429): retry after `retryAfterMs`.
 * - UNAVAILABLE (5xx, network error, timeout, TLS failure): transient → retry with backoff.
 * - BAD_RESPONSE: the server answered something that is not the protocol → treat like UNAVAILABLE, log loudly.
 */
export type ServerErrorCode = 'UNAUTHORIZED' | 'REJECTED' | 'RATE_LIMITED' | 'UNAVAILABLE' | 'BAD_RESPONSE';

export class ServerError extends AppwachtError {
  declare readonly code: ServerErrorCode;
  constructor(
    code: ServerErrorCode,
    message: string,
    readonly details: { status?: number; retryAfterMs?: number; serverCode?: string } = {},
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }

  get transient(): boolean {
    return this.code === 'UNAVAILABLE' || this.code === 'RATE_LIMITED' || this.code === 'BAD_RESPONSE';
  }
}

/** What the agent reads of an answer: a fetch Response has it (Electron's net.fetch), and so has node-fetch.ts's. */
export interface FetchResponse {
  status: number;
  headers: { get(name: string): string | null };
  body: FetchBody | null;
}

/**
 * An answer's body, read chunk by chunk (`for await`) or let go (`cancel`). A web ReadableStream is one (fetch,
 * net.fetch, undici); node-fetch.ts hands over Node's own stream as one, because turning it into a web stream
 * (Readable.toWeb) loads six of Node's internal modules, ~8 ms of a turn's CPU (BENCHMARKS.md, "Start-up").
 */
export interface FetchBody extends AsyncIterable<Uint8Array> {
  cancel(reason?: unknown): Promise<void>;
}

/**
 * The transport port: a fetch-compatible function. The headless agent uses node:http/https (node-fetch.ts) with the
 * configured CA file, and undici's fetch through a proxy; the Electron app injects `net.fetch`, which brings the OS
 * proxy and trust store.
 */
export type Fetch = (input: string, init?: RequestInit) => Promise<FetchResponse>;
