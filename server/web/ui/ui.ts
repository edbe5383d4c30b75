/** Small shared pieces of the dashboard: data loading, the state badge, messages, the route. */
import { html } from 'htm/preact';
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { RequestFailed } from './api.js';
import { t, type Key } from './i18n.js';

export { html };

export interface Loaded<T> {
  data: T | null;
  error: RequestFailed | null;
  reload(): void;
}

/** Runs `load` when `deps` change; keeps the last data while reloading (no flicker on a filter change). */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<RequestFailed | null>(null);
  const [tick, setTick] = useState(0);
  const seq = useRef(0);
  useEffect(() => {
    const mine = ++seq.current;
    load()
      .then((d) => {
        if (mine !== seq.current) return; // an older answer arriving late must not overwrite a newer one
        setData(d);
        setError(null);
      })
      .catch((e: unknown) => {
        if (mine !== seq.current) return;
        setError(e instanceof RequestFailed ? e : new RequestFailed(0, 'CLIENT', String(e)));
      });
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data, error, reload };
}

export const STATE_ICON: Record<string, string> = {
  compliant: '✓',
  violation: '⚠',
  overdue: '‼',
  blocked: '✖',
  stale: '◌',
  exempt: '⊙',
  never: '∅',
  warning: 'ℹ',
  unknown: '?',
  retired: '⊗',
};

/** A device state as icon + text; the colour only repeats what the words say. */
export function StateBadge({ state }: { state: string }) {
  return html`<span class=${`badge s-${state}`}
    ><span aria-hidden="true" class="icon">${STATE_ICON[state] ?? '?'}</span> ${t(`state.${state}` as Key)}</span
  >`;
}

export function Failure({ error }: { error: RequestFailed | null }) {
  if (!error) return null;
  if (error.status === 404 && error.code === 'NOT_FOUND') return html`<p class="note" role="status">${t('notAvailable')}</p>`;
  return html`<p class="error" role="alert">${t('error')}: ${error.message} (${error.code})</p>`;
}

export function Loading() {
  return html`<p class="muted" role="status">${t('loading')}</p>`;
}

export function Section({ title, children, id }: { title: string; children: ComponentChildren; id?: string }) {
  return html`<section class="card" aria-labelledby=${id ?? undefined}>
    <h2 id=${id}>${title}</h2>
    ${children}
  </section>`;
}

/** A table of plain values under a caption; with no rows it says so instead of showing an empty table. */
export function PlainTable({ caption, head, rows }: { caption: string; head: string[]; rows: ComponentChildren[][] }) {
  if (rows.length === 0) return html`<p>${caption}: ${t('none')}</p>`;
  return html`<table>
    <caption>
      ${caption}
    </caption>
    <thead>
      <tr>
        ${head.map((h) => html`<th scope="col">${h}</th>`)}
      </tr>
    </thead>
    <tbody>
      ${rows.map(
        (r) =>
          html`<tr>
            ${r.map((c) => html`<td>${c}</td>`)}
          </tr>`,
      )}
    </tbody>
  </table>`;
}

/** The current hash route: path parts and query. `#/devices/ID?state=blocked` → ['devices','ID'], {state:'blocked'}. */
export interface Route {
  parts: string[];
  params: URLSearchParams;
}
export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#\/?/, '');
  const [path = '', q = ''] = raw.split('?');
  return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(q) };
}
export function useRoute(): Route {
  const [route, setRoute] = useState(parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}
export function href(path: string, params: Record<string, string | number | undefined | null> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return `#/${path}${s ? `?${s}` : ''}`;
}

/** A result line after an action: success as status, failure as alert. */
export function Outcome({ ok, error }: { ok: string | null; error: RequestFailed | null }) {
  if (error) return html`<${Failure} error=${error} />`;
  if (ok) return html`<p class="ok" role="status"><span aria-hidden="true">✓</span> ${ok}</p>`;
  return null;
}
