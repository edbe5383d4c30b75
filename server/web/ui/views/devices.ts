import { useState } from 'preact/hooks';
import { API, get, query } from '../api.js';
import { date, t, type Key } from '../i18n.js';
import { Failure, href, html, StateBadge, useLoad } from '../ui.js';

export interface DeviceApp {
  ruleId: string;
  appId: string;
  name: string;
  action: 'ban' | 'warn';
  evidence: string[];
  firstSeenAt: string;
}
export interface DeviceSummary {
  id: string;
  state?: string;
  hostname: string;
  os: string;
  osVersion: string;
  osUser: string;
  agentVersion: string;
  enrolledAt: string;
  lastSeenAt: string;
  lastScannedAt: string | null;
  status: string;
  deadline: string | null;
  policyVersion: number | null;
  retiredAt: string | null;
  apps: DeviceApp[];
}

const STATES = ['compliant', 'violation', 'overdue', 'blocked', 'stale', 'exempt', 'never', 'warning', 'unknown', 'retired'];
const SEEN: [string, Key, number][] = [
  ['', 'lastSeenAny', 0],
  ['1', 'lastSeenDay', 1],
  ['7', 'lastSeenWeek', 7],
  ['30', 'lastSeenMonth', 30],
];

/** The filters live in the URL (#/devices?state=…): a filtered list can be bookmarked and the back button works. */
export function DevicesView({ params }: { params: URLSearchParams }) {
  const p = Object.fromEntries(params.entries());
  const [cursors, setCursors] = useState<string[]>([]); // cursors of the pages before the current one
  const cursor = cursors[cursors.length - 1];
  const filter = {
    search: p.q,
    state: p.state,
    os: p.os,
    app: p.app,
    policyVersion: p.policy,
    lastSeenBefore: p.seen ? new Date(Date.now() - Number(p.seen) * 86_400_000).toISOString() : undefined,
    sort: p.sort ?? 'lastSeen',
    order: p.order ?? 'desc',
  };
  const key = JSON.stringify({ ...filter, lastSeenBefore: p.seen });
  const list = useLoad(
    () => get<{ items: DeviceSummary[]; nextCursor: string | null }>(`devices${query({ ...filter, limit: 50, cursor })}`),
    [key, cursor],
  );
  const set = (name: string, value: string) => {
    setCursors([]);
    location.hash = href('devices', { ...p, [name]: value });
  };
  const onSearch = (e: Event) => {
    e.preventDefault();
    set('q', String(new FormData(e.target as HTMLFormElement).get('q') ?? '').trim());
  };
  const select = (name: string, label: Key, options: [string, string][], fallback = '') =>
    html`<label
      >${t(label)}
      <select
        name=${name}
        value=${p[name] ?? fallback}
        onChange=${(e: Event) => set(name, (e.target as HTMLSelectElement).value)}
      >
        ${options.map(([v, text]) => html`<option value=${v}>${text}</option>`)}
      </select></label
    >`;
  const items = list.data?.items ?? [];
  return html`<h1>${t('devices')}</h1>
    <form class="filters" role="search" onSubmit=${onSearch}>
      <label>${t('search')} <input type="search" name="q" value=${p.q ?? ''} /></label>
      <button type="submit">${t('filter')}</button>
      ${select('state', 'state', [['', t('anyValue')], ...STATES.map((s) => [s, t(`state.${s}` as Key)] as [string, string])])}
      ${select('os', 'os', [
        ['', t('anyValue')],
        ['windows', 'Windows'],
        ['macos', 'macOS'],
        ['linux', 'Linux'],
      ])}
      <label
        >${t('app')}
        <input
          name="app"
          value=${p.app ?? ''}
          size="12"
          pattern="[a-z0-9][a-z0-9-]*"
          onChange=${(e: Event) => set('app', (e.target as HTMLInputElement).value.trim())}
      /></label>
      ${select(
        'seen',
        'lastSeen',
        SEEN.map(([v, k]) => [v, t(k)]),
      )}
      <label
        >${t('policyVersion')}
        <input
          name="policy"
          type="number"
          min="1"
          value=${p.policy ?? ''}
          size="4"
          onChange=${(e: Event) => set('policy', (e.target as HTMLInputElement).value)}
      /></label>
      ${select(
        'sort',
        'sort',
        (['lastSeen', 'hostname', 'enrolledAt', 'status'] as const).map((s) => [s, t(`sort.${s}`)]),
        'lastSeen',
      )}
      ${select(
        'order',
        'order',
        [
          ['desc', t('desc')],
          ['asc', t('asc')],
        ],
        'desc',
      )}
      <a class="button secondary" href=${`${API}devices.csv${query({ ...filter })}`} download>${t('exportCsv')}</a>
    </form>
    <${Failure} error=${list.error} />
    <table class="devices" aria-label=${t('deviceList')} aria-busy=${list.data === null ? 'true' : 'false'}>
      <thead>
        <tr>
          <th scope="col">${t('hostname')}</th>
          <th scope="col">${t('user')}</th>
          <th scope="col">${t('state')}</th>
          <th scope="col">${t('os')}</th>
          <th scope="col">${t('apps')}</th>
          <th scope="col">${t('lastSeen')}</th>
          <th scope="col">${t('policyVersion')}</th>
        </tr>
      </thead>
      <tbody>
        ${items.map(
          (d) =>
            html`<tr>
              <td><a href=${href(`devices/${d.id}`)}>${d.hostname}</a></td>
              <td>${d.osUser}</td>
              <td><${StateBadge} state=${d.state ?? d.status} /></td>
              <td>${d.os} ${d.osVersion}</td>
              <td>${d.apps.map((a) => a.name).join(', ')}</td>
              <td>${date(d.lastSeenAt)}</td>
              <td>${d.policyVersion ?? '—'}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    ${list.data && items.length === 0 && html`<p class="muted" role="status">${t('noDevices')}</p>`}
    <nav class="pager" aria-label=${t('deviceList')}>
      <button type="button" class="secondary" disabled=${cursors.length === 0} onClick=${() => setCursors(cursors.slice(0, -1))}>
        ${t('prev')}
      </button>
      <span>${t('page', { n: cursors.length + 1 })}</span>
      <button
        type="button"
        class="secondary"
        disabled=${!list.data?.nextCursor}
        onClick=${() => list.data?.nextCursor && setCursors([...cursors, list.data.nextCursor])}
      >
        ${t('next')}
      </button>
    </nav>`;
}
