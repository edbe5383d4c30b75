import { AppwachtError } from '../errors.js';

/*
 * The proxy settings, read without loading the transport: the turn process tells its supervisor whether it needs
 * undici (see usesProxy) before it loads anything of the network.
 */

/** The transport could not be set up as configured (unreadable CA file, bad proxy URL). */
export class TransportConfigError extends AppwachtError {}

export function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  return env[name.toLowerCase()] ?? env[name.toUpperCase()];
}

/**
 * A proxy setting as a URL undici accepts. "proxy.intranet:3128" without a scheme is common in HTTPS_PROXY and means
 * http, as curl reads it; anything else that is not an http(s) URL is a configuration error naming where it came from.
 */
export function proxyUrl(value: string | undefined, name: string): string | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(value.trim()) ? value.trim() : `http://${value.trim()}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TransportConfigError('PROXY_INVALID', `${name} "${value}" is not a URL`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '')
    throw new TransportConfigError('PROXY_INVALID', `${name} "${value}" must be an http:// or https:// proxy URL`);
  return url.href;
}

/**
 * The proxies the transport uses for http and https URLs: the configured one for both, else HTTP_PROXY / HTTPS_PROXY
 * (either case). Throws TransportConfigError on one that is not an http(s) URL.
 */
export function proxyRoutes(options: { proxy?: string; env?: NodeJS.ProcessEnv }): {
  httpProxy?: string;
  httpsProxy?: string;
} {
  const env = options.env ?? process.env;
  const proxy = proxyUrl(options.proxy, 'proxy');
  const httpProxy = proxy ?? proxyUrl(envValue(env, 'http_proxy'), 'HTTP_PROXY');
  const httpsProxy = proxy ?? proxyUrl(envValue(env, 'https_proxy'), 'HTTPS_PROXY');
  return { ...(httpProxy ? { httpProxy } : {}), ...(httpsProxy ? { httpsProxy } : {}) };
}

/**
 * Whether the transport goes through a proxy, i.e. needs undici, whose HTTP parser is WebAssembly — which a turn
 * started with --jitless lacks (supervisor.ts): the turn says so in its hello. Throws like proxyRoutes.
 */
export function usesProxy(options: { proxy?: string; env?: NodeJS.ProcessEnv }): boolean {
  const { httpProxy, httpsProxy } = proxyRoutes(options);
  return httpProxy !== undefined || httpsProxy !== undefined;
}
