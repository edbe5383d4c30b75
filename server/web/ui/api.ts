/**
 * The dashboard's one door to the server. URLs are relative to the page (…/admin/), so the dashboard works behind a
 * reverse proxy at any sub-path. The session cookie is HttpOnly; the CSRF token lives in memory only and goes with
 * every state-changing call.
 */
import { signal } from './state.js';

export const API = '../api/v1/admin/';

export interface ApiError {
  statusCode: number;
  code: string;
  message: string;
}

export class RequestFailed extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface Session {
  username: string;
  role: 'admin' | 'readonly';
  via: 'session' | 'token';
  csrfToken: string | null;
}

let csrf: string | null = null;
/** The logged-in admin; null shows the login form. `expired` keeps the page under the login dialog. */
export const session = signal<{ who: Session | null; expired: boolean }>({ who: null, expired: false });
/** Set while the server cannot be reached; the shell shows it and GETs are retried. */
export const offline = signal(false);

const SAFE = new Set(['GET', 'HEAD']);

async function send(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (!SAFE.has(method) && csrf) headers['x-csrf-token'] = csrf;
  const init: RequestInit = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) init.body = JSON.stringify(body);
  return fetch(API + path, init);
}

/**
 * One API call. A lost connection is retried for reads (the server may be restarting) and reported for writes, which
 * must not happen twice behind the admin's back. A 401 opens the login dialog over the page; a CSRF refusal fetches a
 * fresh token and tries once more.
 */
export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response | null = null;
  for (let attempt = 0; ; attempt++) {
    try {
      res = await send(method, path, body);
      offline.set(false);
      break;
    } catch (err) {
      offline.set(true);
      if (!SAFE.has(method) || attempt >= 20) throw new RequestFailed(0, 'OFFLINE', String(err));
      await new Promise((r) => setTimeout(r, Math.min(500 * 2 ** attempt, 5000)));
    }
  }
  if (res.status === 403 && !SAFE.has(method)) {
    const e = (await res
      .clone()
      .json()
      .catch(() => null)) as ApiError | null;
    if (e?.code === 'CSRF_INVALID' && (await refreshSession())) res = await send(method, path, body);
  }
  if (res.status === 401 && path !== 'login') {
    session.set({ who: session.get().who, expired: true });
  }
  if (res.status === 204) return null as T;
  const data = (await res.json().catch(() => null)) as unknown;
  if (!res.ok) {
    const e = data as Partial<ApiError> | null;
    throw new RequestFailed(res.status, e?.code ?? 'HTTP_' + res.status, e?.message ?? res.statusText);
  }
  return data as T;
}

export const get = <T>(path: string) => call<T>('GET', path);

/** Asks who is logged in (and for a fresh CSRF token); false when nobody is. */
export async function refreshSession(): Promise<boolean> {
  const res = await send('GET', 'session').catch(() => null);
  if (!res?.ok) return false;
  const who = (await res.json()) as Session;
  csrf = who.csrfToken;
  session.set({ who, expired: false });
  return true;
}

export async function login(username: string, password: string): Promise<void> {
  const who = await call<Session>('POST', 'login', { username, password });
  csrf = who.csrfToken;
  session.set({ who, expired: false });
}

export async function logout(): Promise<void> {
  await call('POST', 'logout').catch(() => undefined);
  csrf = null;
  session.set({ who: null, expired: false });
}

/** `?a=1&b=x` from an object, leaving out empty values. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
