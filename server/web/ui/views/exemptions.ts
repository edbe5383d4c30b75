import { useState } from 'preact/hooks';
import type { RequestFailed } from '../api.js';
import { call, get } from '../api.js';
import { date, t } from '../i18n.js';
import { Failure, href, html, Loading, Outcome, Section, useLoad } from '../ui.js';

interface Exemption {
  id: string;
  deviceId: string | null;
  employee: string | null;
  reason: string;
  grantedBy: string;
  grantedAt: string;
  until: string;
  revokedAt: string | null;
  active: boolean;
}

export function ExemptionsView() {
  const [state, setState] = useState<'active' | 'all'>('active');
  const list = useLoad(() => get<{ items: Exemption[] }>(`exemptions?state=${state}`), [state]);
  const [ok, setOk] = useState<string | null>(null);
  const [error, setError] = useState<RequestFailed | null>(null);
  const act = async (work: () => Promise<unknown>, message: string) => {
    try {
      await work();
      setError(null);
      setOk(message);
      list.reload();
    } catch (err) {
      setOk(null);
      setError(err as RequestFailed);
    }
  };
  const grant = (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.target as HTMLFormElement);
    const until = new Date(`${String(f.get('until'))}T23:59:59`).toISOString();
    void act(
      () => call('POST', 'exemptions', { employee: String(f.get('employee')).trim(), reason: String(f.get('reason')), until }),
      t('granted', { date: date(until) }),
    );
  };
  return html`<h1>${t('exemptions')}</h1>
    <${Section} title=${t('grantExemption')} id="grant">
      <form class="inline-form" onSubmit=${grant}>
        <label>${t('email')} <input name="employee" type="email" required /></label>
        <label>${t('reason')} <input name="reason" required minlength="3" maxlength="500" /></label>
        <label>${t('until')} <input name="until" type="date" required /></label>
        <button type="submit">${t('grant')}</button>
      </form>
      <${Outcome} ok=${ok} error=${error} />
    <//>
    <label
      >${t('filter')}
      <select value=${state} onChange=${(e: Event) => setState((e.target as HTMLSelectElement).value as 'active' | 'all')}>
        <option value="active">${t('active')}</option>
        <option value="all">${t('all')}</option>
      </select></label
    >
    <${Failure} error=${list.error} />
    ${!list.data && !list.error && html`<${Loading} />`}
    ${
      list.data &&
      (list.data.items.length === 0
        ? html`<p class="muted">${t('none')}</p>`
        : html`<table aria-label=${t('exemptions')}>
            <thead>
              <tr>
                <th scope="col">${t('target')}</th>
                <th scope="col">${t('reason')}</th>
                <th scope="col">${t('until')}</th>
                <th scope="col">${t('grantedBy')}</th>
                <th scope="col">${t('state')}</th>
                <th scope="col"><span class="sr-only">${t('revoke')}</span></th>
              </tr>
            </thead>
            <tbody>
              ${list.data.items.map(
                (x) =>
                  html`<tr>
                    <td>
                      ${x.deviceId ? html`<a href=${href(`devices/${x.deviceId}`)}>${x.deviceId.slice(0, 8)}…</a>` : x.employee}
                    </td>
                    <td>${x.reason}</td>
                    <td>${date(x.until)}</td>
                    <td>${x.grantedBy} (${date(x.grantedAt)})</td>
                    <td>${x.active ? t('active') : '—'}</td>
                    <td>
                      ${
                        x.active &&
                        html`<button
                          type="button"
                          class="secondary"
                          onClick=${() => act(() => call('DELETE', `exemptions/${x.id}`), t('saved'))}
                        >
                          ${t('revoke')}
                        </button>`
                      }
                    </td>
                  </tr>`,
              )}
            </tbody>
          </table>`)
    }`;
}
