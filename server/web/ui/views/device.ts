import { useState } from 'preact/hooks';
import type { RequestFailed } from '../api.js';
import { call, get } from '../api.js';
import { date, t, type Key } from '../i18n.js';
import { Failure, href, html, Loading, Outcome, Section, StateBadge, useLoad } from '../ui.js';
import type { DeviceSummary } from './devices.js';

interface Occurrence {
  source: string;
  scope: string;
  name: string;
  version?: string;
  location?: string;
  user?: string;
  matchedBy: string;
}
interface ReportBody {
  findings?: {
    ruleId: string;
    name: string;
    action: string;
    installs: Occurrence[];
    processes: { pid: number; name: string; path?: string }[];
  }[];
}
interface Detail extends DeviceSummary {
  machineId: string;
  lastReportId: string | null;
  ladder: Record<string, string | number | null> | null;
  reports: {
    items: {
      reportId: string;
      receivedAt: string;
      scannedAt: string;
      kind: string;
      status: string;
      policyVersion: number | null;
      report: ReportBody;
    }[];
    nextCursor: string | null;
  };
}

/** The ladder's times in the order they happen; only those that did happen are shown. */
const LADDER_EVENTS = [
  'failingSince',
  'staleSince',
  'unknownSince',
  'deadline',
  'warnedAt',
  'remindedAt',
  'blockedAt',
  'exemptUntil',
  'clearedAt',
];

function ExemptionForm({ deviceId, done }: { deviceId: string; done: () => void }) {
  const [ok, setOk] = useState<string | null>(null);
  const [error, setError] = useState<RequestFailed | null>(null);
  const tomorrow = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
  const submit = async (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.target as HTMLFormElement);
    const until = new Date(`${String(f.get('until'))}T23:59:59`);
    try {
      const r = await call<{ until: string }>('POST', 'exemptions', {
        deviceId,
        reason: String(f.get('reason')),
        until: until.toISOString(),
      });
      setError(null);
      setOk(t('granted', { date: date(r.until) }));
      done();
    } catch (err) {
      setOk(null);
      setError(err as RequestFailed);
    }
  };
  return html`<form class="inline-form" onSubmit=${submit} aria-label=${t('grantExemption')}>
    <label>${t('reason')} <input name="reason" required minlength="3" maxlength="500" size="30" /></label>
    <label>${t('until')} <input name="until" type="date" required value=${tomorrow} /></label>
    <button type="submit">${t('grant')}</button>
    <${Outcome} ok=${ok} error=${error} />
  </form>`;
}

export function DeviceView({ id }: { id: string }) {
  const d = useLoad(() => get<Detail>(`devices/${encodeURIComponent(id)}?reportsLimit=20`), [id]);
  const [confirming, setConfirming] = useState(false);
  const [actionError, setActionError] = useState<RequestFailed | null>(null);
  if (d.error)
    return html`<p><a href=${href('devices')}>← ${t('back')}</a></p>
      <${Failure} error=${d.error} />`;
  if (!d.data) return html`<${Loading} />`;
  const x = d.data;
  const last = x.reports.items[0];
  const findings = last?.report.findings ?? [];
  const retire = async () => {
    try {
      await call('POST', `devices/${encodeURIComponent(id)}/retire`);
      setActionError(null);
      setConfirming(false);
      d.reload();
    } catch (err) {
      setActionError(err as RequestFailed);
      setConfirming(false);
    }
  };
  const facts: [Key, string][] = [
    ['user', x.osUser],
    ['os', x.os],
    ['osVersion', x.osVersion],
    ['agentVersion', x.agentVersion],
    ['enrolledAt', date(x.enrolledAt)],
    ['lastSeen', date(x.lastSeenAt)],
    ['lastScan', date(x.lastScannedAt)],
    ['policyVersion', String(x.policyVersion ?? '—')],
    ['employee', String(x.ladder?.employee ?? '—')],
    ['machineId', x.machineId],
  ];
  return html`<p><a href=${href('devices')}>← ${t('back')}</a></p>
    <h1>${x.hostname} <${StateBadge} state=${x.state ?? x.status} /></h1>
    <div class="actions">
      ${
        x.retiredAt
          ? html`<p class="note">${t('retired', { date: date(x.retiredAt) })}</p>`
          : confirming
            ? html`<div class="confirm" role="alertdialog" aria-labelledby="retire-q">
                <p id="retire-q">${t('retireConfirm', { host: x.hostname })}</p>
                <button type="button" class="danger" onClick=${retire}>${t('confirm')}</button>
                <button type="button" class="secondary" onClick=${() => setConfirming(false)}>${t('cancel')}</button>
              </div>`
            : html`<button type="button" class="danger" onClick=${() => setConfirming(true)}>${t('retire')}</button>`
      }
      <${Failure} error=${actionError} />
    </div>
    ${!x.retiredAt && html`<${Section} title=${t('grantExemption')} id="exempt"><${ExemptionForm} deviceId=${x.id} done=${d.reload} /><//>`}
    <div class="columns">
      <${Section} title=${t('hostFacts')} id="facts">
        <dl class="facts">
          ${facts.map(
            ([k, v]) =>
              html`<dt>${t(k)}</dt>
                <dd>${v}</dd>`,
          )}
        </dl>
      <//>
      <${Section} title=${t('ladder')} id="ladder">
        ${
          x.ladder
            ? html`<p><strong>${t(`step.${x.ladder.step}` as Key)}</strong></p>
                <p class="muted">${t('ladder.technical')}: <code>${String(x.ladder.why || x.ladder.reason)}</code></p>
                <ol class="timeline">
                  ${LADDER_EVENTS.filter((k) => x.ladder![k])
                    .map((k) => [k, String(x.ladder![k])] as const)
                    .sort((a, b) => Date.parse(a[1]) - Date.parse(b[1]))
                    .map(([k, v]) => html`<li><time datetime=${v}>${date(v)}</time> ${t(`ladder.${k}` as Key)}</li>`)}
                </ol>`
            : html`<p class="muted">${t('none')}</p>`
        }
      <//>
    </div>
    <${Section} title=${t('findings')} id="findings">
      ${
        findings.length === 0
          ? html`<p class="muted">${t('none')}</p>`
          : html`<table>
              <thead>
                <tr>
                  <th scope="col">${t('app')}</th>
                  <th scope="col">${t('action')}</th>
                  <th scope="col">${t('foundWhere')}</th>
                </tr>
              </thead>
              <tbody>
                ${findings.map(
                  (f) =>
                    html`<tr>
                      <td>${f.name}</td>
                      <td>${t(`action.${f.action}` as Key)}</td>
                      <td>
                        <ul class="plain">
                          ${f.installs.map(
                            (i) =>
                              html`<li>
                                ${i.source} (${i.scope}${i.user ? `, ${i.user}` : ''}):
                                ${i.name}${i.version ? ` ${i.version}` : ''} ${i.location && html`<code>${i.location}</code>`}
                                <span class="muted">[${i.matchedBy}]</span>
                              </li>`,
                          )}
                          ${f.processes.map((p) => html`<li>process ${p.name} (pid ${p.pid}) ${p.path && html`<code>${p.path}</code>`}</li>`)}
                        </ul>
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }
    <//>
    <${Section} title=${t('reportHistory')} id="history">
      <table>
        <thead>
          <tr>
            <th scope="col">${t('received')}</th>
            <th scope="col">${t('scanned')}</th>
            <th scope="col">${t('kind')}</th>
            <th scope="col">${t('status')}</th>
            <th scope="col">${t('policyVersion')}</th>
          </tr>
        </thead>
        <tbody>
          ${x.reports.items.map(
            (r) =>
              html`<tr>
                <td>${date(r.receivedAt)}</td>
                <td>${date(r.scannedAt)}</td>
                <td>${r.kind}</td>
                <td>${r.status}</td>
                <td>${r.policyVersion ?? '—'}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    <//>
    <${Section} title=${t('lastPayload')} id="payload">
      ${last ? html`<pre class="payload" tabindex="0">${JSON.stringify(last.report, null, 2)}</pre>` : html`<p class="muted">${t('none')}</p>`}
    <//>`;
}
