import type { IncomingMessage } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import type { Fetch, FetchBody, FetchResponse } from './errors.js';

// Not `import … from 'node:http'`: an ES import of node:http evaluates all its exports, and its WebSocket getter loads
// Node's internal undici (+14 MiB RSS) — what this module exists to avoid. node:https (with node:tls and OpenSSL's
// context, +5 MiB RSS over node:http) is loaded with the first https request: an http:// server never needs it.
const { Agent: HttpAgent, request: httpRequest } = process.getBuiltinModule('node:http');

/**
 * The transport's fetch over node:http/https, for the direct connection (no proxy).
 *
 * MEMORY: Node's global fetch loads Node's internal undici on its first call, ~20 MiB of resident memory and ~45 ms of
 * CPU in a turn process (bench/turn.ts: peak RSS 112 → 92 MiB, CPU 266 → 220 ms), and its HTTP parser is WebAssembly,
 * which a turn started with --jitless (supervisor.ts) does not have. node:http is part of what every turn loads.
 *
 * It does what the agent's callers ask of fetch (api-client.ts, update/): method, headers, a string body, an abort
 * signal, no redirects followed (the caller sees the 3xx: a redirect would carry the token elsewhere), and answers with
 * the status, the headers and the body as a FetchBody (read with a size limit by the callers).
 */
export interface NodeFetchOptions {
  /** The trust store for https (Node's default store when absent). */
  ca?: string[];
  /** TCP + TLS handshake bound; the callers bound the whole call with their own deadline. */
  connectTimeoutMs: number;
}

export interface NodeFetch {
  fetch: Fetch;
  /** Closes the pooled connections. */
  close(): void;
}

/** A failure before any answer, wrapped as Node's fetch does ("fetch failed", the real error as the cause). */
function fetchFailed(cause: unknown): Error {
  return new TypeError('fetch failed', { cause });
}

/** The answer's own stream as the body: its iterator ends with the error it was destroyed with (an abort's reason). */
function bodyOf(message: IncomingMessage): FetchBody {
  return {
    [Symbol.asyncIterator]: () => message[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>,
    cancel: async () => void message.destroy(),
  };
}

function headerGetter(message: IncomingMessage): FetchResponse['headers'] {
  return {
    get(name: string): string | null {
      const value = message.headers[name.toLowerCase()];
      if (value === undefined) return null;
      return Array.isArray(value) ? value.join(', ') : value;
    },
  };
}

function headersOf(init: RequestInit | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const given = init?.headers;
  if (!given) return out;
  if (Array.isArray(given)) for (const [k, v] of given) out[k!.toLowerCase()] = v!;
  else if (typeof (given as Headers).forEach === 'function') (given as Headers).forEach((v, k) => (out[k.toLowerCase()] = v));
  else for (const [k, v] of Object.entries(given)) out[k.toLowerCase()] = v;
  return out;
}

export function createNodeFetch(options: NodeFetchOptions): NodeFetch {
  // Keep-alive within one process (a turn's refresh and delivery go to the same server), closed at its end.
  const httpAgent = new HttpAgent({ keepAlive: true });
  let httpsAgent: HttpsAgent | undefined;

  const fetch: Fetch = (input, init) =>
    new Promise<FetchResponse>((resolve, reject) => {
      let url: URL;
      try {
        url = new URL(input);
      } catch (err) {
        return reject(new TypeError(`invalid URL: ${input}`, { cause: err }));
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:')
        return reject(fetchFailed(new Error(`unsupported protocol ${url.protocol}`)));
      const signal = init?.signal ?? undefined;
      if (signal?.aborted) return reject(signal.reason);
      const body = typeof init?.body === 'string' ? init.body : undefined;
      if (init?.body != null && body === undefined) return reject(new TypeError('only a string body is supported'));
      const headers = headersOf(init);
      if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
      const https = url.protocol === 'https:';
      const requestOptions = { method: init?.method ?? 'GET', headers };
      let request: ReturnType<typeof httpRequest>;
      if (https) {
        const { Agent, request: httpsRequest } = process.getBuiltinModule('node:https');
        httpsAgent ??= new Agent({ keepAlive: true, ...(options.ca ? { ca: options.ca } : {}) });
        request = httpsRequest(url, { ...requestOptions, agent: httpsAgent });
      } else request = httpRequest(url, { ...requestOptions, agent: httpAgent });

      let answered: IncomingMessage | undefined;
      // The body stream, once there, ends with the signal's reason (TimeoutError, AbortError), as fetch's does.
      const onAbort = () => {
        const reason = signal!.reason instanceof Error ? signal!.reason : new Error('aborted');
        if (answered) answered.destroy(reason);
        request.destroy(reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => signal?.removeEventListener('abort', onAbort);

      request.on('socket', (socket) => {
        if (!socket.connecting) return; // a pooled connection
        const timer = setTimeout(
          () =>
            request.destroy(
              Object.assign(new Error(`connect timeout after ${options.connectTimeoutMs} ms`), {
                code: 'UND_ERR_CONNECT_TIMEOUT',
              }),
            ),
          options.connectTimeoutMs,
        );
        socket.once(https ? 'secureConnect' : 'connect', () => clearTimeout(timer));
        socket.once('close', () => clearTimeout(timer));
      });
      request.on('error', (err) => {
        if (answered) return; // the body stream carries it
        done();
        // An abort is said as the signal's reason (TimeoutError, AbortError), as fetch does.
        reject(signal?.aborted ? signal.reason : fetchFailed(err));
      });
      request.on('response', (message) => {
        answered = message;
        message.on('close', done);
        const bodyless = request.method === 'HEAD' || message.statusCode === 204 || message.statusCode === 304;
        if (bodyless) message.resume();
        resolve({
          status: message.statusCode ?? 0,
          headers: headerGetter(message),
          body: bodyless ? null : bodyOf(message),
        });
      });
      request.end(body);
    });

  return {
    fetch,
    close() {
      httpAgent.destroy();
      httpsAgent?.destroy();
    },
  };
}
