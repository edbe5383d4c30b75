import { readFile } from 'node:fs/promises';
import type { Fetch, FetchResponse } from './errors.js';
import { createNodeFetch } from './node-fetch.js';
import { envValue, proxyRoutes, TransportConfigError } from './proxy.js';

export { TransportConfigError, usesProxy } from './proxy.js';

export interface HttpFetchOptions {
  /** PEM file with one or more extra CA certificates (the organisation's intranet CA). */
  caFile?: string;
  /** Proxy for all requests; without it HTTPS_PROXY / HTTP_PROXY / NO_PROXY (either case) apply. */
  proxy?: string;
  /** Where the proxy variables are read from (tests pass their own). */
  env?: NodeJS.ProcessEnv;
}

/** TCP + TLS handshake; an intranet server that does not answer in this time is down (undici's default: the same). */
const CONNECT_TIMEOUT_MS = 10_000;
/**
 * Time to the response headers, and between body chunks, on undici's fetch. On node-fetch.ts a call is bounded by
 * the API client's deadline per call.
 */
const RESPONSE_TIMEOUT_MS = 30_000;

export interface HttpTransport {
  fetch: Fetch;
  /** Closes pooled connections (end of a CLI command, tests). */
  close(): Promise<void>;
}

/**
 * The trust store the agent starts from. Passing `ca` to TLS replaces Node's default store, so the defaults are
 * listed explicitly and the CA file is *added* to them. Node ≥ 22.15 can tell us its effective default store
 * (bundled roots, plus the OS store under --use-system-ca, plus NODE_EXTRA_CA_CERTS); older Node only has the bundled roots.
 */
export function trustedCertificates(extraPem?: string): string[] {
  // Loaded here, not at the top: a turn that talks plain http without a CA file never needs node:tls (~4 MiB RSS).
  const tls = process.getBuiltinModule('node:tls');
  const get = (tls as { getCACertificates?: (type: 'default') => string[] }).getCACertificates;
  const defaults = typeof get === 'function' ? get('default') : [...tls.rootCertificates];
  return extraPem === undefined ? defaults : [...defaults, extraPem];
}

async function readCaFile(path: string): Promise<string> {
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (err) {
    throw new TransportConfigError('CA_FILE_UNREADABLE', `cannot read the CA file ${path} (caFile): ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----'))
    throw new TransportConfigError('CA_FILE_INVALID', `the CA file ${path} (caFile) holds no PEM certificate`);
  return pem;
}

/**
 * The headless agent's transport. Without a proxy: node:http/https (node-fetch.ts), with the CA file added to the
 * default roots — not Node's global fetch, which loads Node's internal undici (~20 MiB in a turn). With a proxy:
 * undici's fetch over an EnvHttpProxyAgent, which sends each request directly or through the proxy as the proxy
 * settings and NO_PROXY say; undici is the agent's largest module (1.1 MB, ~130 ms of CPU to load; BENCHMARKS.md,
 * "Start-up"), so it is loaded only then. The configured proxy wins over the variables; NO_PROXY applies to both. The
 * CA list is used for the server, for the tunnel through the proxy, and for an https proxy.
 */
export async function createHttpTransport(options: HttpFetchOptions = {}): Promise<HttpTransport> {
  const env = options.env ?? process.env;
  const ca = options.caFile ? trustedCertificates(await readCaFile(options.caFile)) : undefined;
  const { httpProxy, httpsProxy } = proxyRoutes({ ...(options.proxy !== undefined ? { proxy: options.proxy } : {}), env });
  if (!httpProxy && !httpsProxy) {
    const direct = createNodeFetch({ ...(ca ? { ca } : {}), connectTimeoutMs: CONNECT_TIMEOUT_MS });
    return { fetch: direct.fetch, close: async () => direct.close() };
  }

  // undici is CommonJS: in the CLI bundle its chunk has only a default export (module.exports), so named imports are
  // undefined there ("EnvHttpProxyAgent is not a constructor"); Node's own import has both.
  const imported = await import('undici');
  const { EnvHttpProxyAgent, fetch: undiciFetch } = (imported.default ?? imported) as unknown as typeof imported;
  const tlsOptions = { ...(ca ? { ca } : {}), timeout: CONNECT_TIMEOUT_MS };
  const dispatcher = new EnvHttpProxyAgent({
    // Explicit values (an empty string means "none") so the injected env is what counts, not process.env.
    httpProxy: httpProxy ?? '',
    httpsProxy: httpsProxy ?? '',
    noProxy: envValue(env, 'no_proxy') ?? '',
    connect: tlsOptions,
    requestTls: tlsOptions,
    proxyTls: tlsOptions,
    headersTimeout: RESPONSE_TIMEOUT_MS,
    bodyTimeout: RESPONSE_TIMEOUT_MS,
    // Plain http is forwarded (GET http://host/…) as curl does; only https is tunnelled with CONNECT. Many corporate
    // proxies allow CONNECT to port 443 only, so tunnelling an http:// intranet server would be refused.
    proxyTunnel: false,
  });
  const fetch: Fetch = (input, init) =>
    // undici's fetch and the DOM lib describe the same Request/Response; only their TypeScript declarations differ.
    undiciFetch(input, { ...(init as object), dispatcher }) as unknown as Promise<FetchResponse>;
  return { fetch, close: () => dispatcher.close() };
}
