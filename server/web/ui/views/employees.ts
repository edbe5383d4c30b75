import { get, query } from '../api.js';
import { date, t, type Key } from '../i18n.js';
import { Failure, href, html, Loading, Section, STATE_ICON, useLoad } from '../ui.js';

interface EmployeeSummary {
  email: string;
  devices: number;
  worstStep: string;
  decision: 'allow' | 'deny';
  blockedSince: string | null;
}
interface EmployeeDetail {
  email: string;
  decision: { decision: 'allow' | 'deny'; since: string | null };
  devices: {
    id: string;
    hostname: string;
    os: string;
    osUser: string;
    lastSeenAt: string;
    retiredAt: string | null;
    ladder: { step: string; why: string };
  }[];
  exemptions: { id: string; reason: string; until: string; active: boolean }[];
  mails: { id: number; kind: string; status: string; createdAt: string; sentAt: string | null }[];
}

const STEP_STATE: Record<string, string> = {
  compliant: 'compliant',
  notice: 'violation',
  overdue: 'overdue',
  blocked: 'blocked',
};
const Step = ({ step }: { step: string }) =>
  html`<span class=${`badge s-${STEP_STATE[step] ?? 'unknown'}`}
    ><span aria-hidden="true" class="icon">${STATE_ICON[STEP_STATE[step] ?? 'unknown']}</span> ${t(`step.${step}` as Key)}</span
  >`;
const Decision = ({ d }: { d: 'allow' | 'deny' }) =>
  html`<span class=${`badge s-${d === 'allow' ? 'compliant' : 'blocked'}`}
    ><span aria-hidden="true" class="icon">${d === 'allow' ? '✓' : '✖'}</span> ${t(`decision.${d}`)}</span
  >`;

function Employee({ email }: { email: string }) {
  const e = useLoad(() => get<EmployeeDetail>(`employees/${encodeURIComponent(email)}`), [email]);
  if (e.error) return html`<${Failure} error=${e.error} />`;
  if (!e.data) return html`<${Loading} />`;
  const x = e.data;
  return html`<p><a href=${href('employees')}>← ${t('back')}</a></p>
    <h1>${x.email}</h1>
    <p>${t('decision')}: <${Decision} d=${x.decision.decision} /> ${x.decision.since && date(x.decision.since)}</p>
    <${Section} title=${t('devices')} id="emp-devices">
      <table>
        <thead>
          <tr>
            <th scope="col">${t('hostname')}</th>
            <th scope="col">${t('user')}</th>
            <th scope="col">${t('worstStep')}</th>
            <th scope="col">${t('why')}</th>
            <th scope="col">${t('lastSeen')}</th>
          </tr>
        </thead>
        <tbody>
          ${x.devices.map(
            (d) =>
              html`<tr>
                <td><a href=${href(`devices/${d.id}`)}>${d.hostname}</a></td>
                <td>${d.osUser}</td>
                <td><${Step} step=${d.ladder.step} /></td>
                <td><code>${d.ladder.why}</code></td>
                <td>${date(d.lastSeenAt)}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    <//>
    <${Section} title=${t('exemptions')} id="emp-ex">
      ${
        x.exemptions.length === 0
          ? html`<p class="muted">${t('none')}</p>`
          : html`<ul>
              ${x.exemptions.map((m) => html`<li>${m.reason} — ${t('until')} ${date(m.until)} ${m.active ? `(${t('active')})` : ''}</li>`)}
            </ul>`
      }
    <//>
    <${Section} title=${t('mails')} id="emp-mails">
      ${
        x.mails.length === 0
          ? html`<p class="muted">${t('none')}</p>`
          : html`<ul>
              ${x.mails.map((m) => html`<li>${date(m.createdAt)}: ${m.kind} — ${m.status}</li>`)}
            </ul>`
      }
    <//>`;
}

export function EmployeesView({ email, params }: { email: string | null; params: URLSearchParams }) {
  const prefix = params.get('prefix') ?? '';
  const blocked = params.get('blocked') ?? '';
  const list = useLoad(
    () =>
      email ? Promise.resolve(null) : get<{ items: EmployeeSummary[] }>(`employees${query({ prefix, blocked, limit: 100 })}`),
    [email, prefix, blocked],
  );
  const unmapped = useLoad(
    () =>
      email
        ? Promise.resolve(null)
        : get<{ items: { osUser: string; devices: number; hostname: string; lastSeenAt: string }[] }>('employees/unmapped'),
    [email],
  );
  if (email) return html`<${Employee} email=${email} />`;
  const submit = (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.target as HTMLFormElement);
    location.hash = href('employees', { prefix: String(f.get('prefix') ?? '').trim(), blocked: f.get('blocked') ? 'true' : '' });
  };
  return html`<h1>${t('employees')}</h1>
    <form class="filters" role="search" onSubmit=${submit}>
      <label>${t('prefix')} <input name="prefix" type="search" value=${prefix} /></label>
      <label class="check"><input type="checkbox" name="blocked" checked=${blocked === 'true'} /> ${t('onlyBlocked')}</label>
      <button type="submit">${t('filter')}</button>
    </form>
    <${Failure} error=${list.error} />
    ${
      list.data &&
      html`<table aria-label=${t('employees')}>
        <thead>
          <tr>
            <th scope="col">${t('email')}</th>
            <th scope="col">${t('devices')}</th>
            <th scope="col">${t('worstStep')}</th>
            <th scope="col">${t('decision')}</th>
          </tr>
        </thead>
        <tbody>
          ${list.data.items.map(
            (e) =>
              html`<tr>
                <td><a href=${href(`employees/${encodeURIComponent(e.email)}`)}>${e.email}</a></td>
                <td>${e.devices}</td>
                <td><${Step} step=${e.worstStep} /></td>
                <td><${Decision} d=${e.decision} /> ${e.blockedSince && date(e.blockedSince)}</td>
              </tr>`,
          )}
        </tbody>
      </table>`
    }
    <${Section} title=${t('unmapped')} id="unmapped">
      <${Failure} error=${unmapped.error} />
      ${
        unmapped.data &&
        (unmapped.data.items.length === 0
          ? html`<p class="muted">${t('none')}</p>`
          : html`<table>
              <thead>
                <tr>
                  <th scope="col">${t('user')}</th>
                  <th scope="col">${t('devices')}</th>
                  <th scope="col">${t('hostname')}</th>
                  <th scope="col">${t('lastSeen')}</th>
                </tr>
              </thead>
              <tbody>
                ${unmapped.data.items.map(
                  (u) =>
                    html`<tr>
                      <td>${u.osUser}</td>
                      <td>${u.devices}</td>
                      <td>${u.hostname}</td>
                      <td>${date(u.lastSeenAt)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`)
      }
    <//>`;
}
