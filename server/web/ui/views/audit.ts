import { useState } from 'preact/hooks';
import { get, query } from '../api.js';
import { date, t } from '../i18n.js';
import { Failure, html, Loading, useLoad } from '../ui.js';

interface AuditItem {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  details: unknown;
}

export function AuditView() {
  const [filter, setFilter] = useState({ action: '', actor: '' });
  const [before, setBefore] = useState<number[]>([]);
  const list = useLoad(
    () =>
      get<{ items: AuditItem[]; nextBefore: number | null }>(
        `audit${query({ ...filter, before: before[before.length - 1], limit: 100 })}`,
      ),
    [filter, before],
  );
  const submit = (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.target as HTMLFormElement);
    setBefore([]);
    setFilter({ action: String(f.get('action') ?? '').trim(), actor: String(f.get('actor') ?? '').trim() });
  };
  return html`<h1>${t('audit')}</h1>
    <form class="filters" role="search" onSubmit=${submit}>
      <label>${t('action')} <input name="action" placeholder="policy.create" /></label>
      <label>${t('actor')} <input name="actor" placeholder="admin:admin" /></label>
      <button type="submit">${t('filter')}</button>
    </form>
    <${Failure} error=${list.error} />
    ${!list.data && !list.error && html`<${Loading} />`}
    ${
      list.data &&
      html`<table aria-label=${t('audit')}>
          <thead>
            <tr>
              <th scope="col">${t('when')}</th>
              <th scope="col">${t('actor')}</th>
              <th scope="col">${t('action')}</th>
              <th scope="col">${t('target')}</th>
              <th scope="col">${t('details')}</th>
            </tr>
          </thead>
          <tbody>
            ${list.data.items.map(
              (a) =>
                html`<tr>
                  <td>${date(a.at)}</td>
                  <td>${a.actor}</td>
                  <td>${a.action}</td>
                  <td>${a.target ?? '—'}</td>
                  <td><code>${a.details === null ? '' : JSON.stringify(a.details)}</code></td>
                </tr>`,
            )}
          </tbody>
        </table>
        <nav class="pager" aria-label=${t('audit')}>
          <button
            type="button"
            class="secondary"
            disabled=${!list.data.nextBefore}
            onClick=${() => list.data?.nextBefore && setBefore([...before, list.data.nextBefore])}
          >
            ${t('older')}
          </button>
        </nav>`
    }`;
}
