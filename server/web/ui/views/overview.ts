import uPlot from 'uplot';
import { useEffect, useRef } from 'preact/hooks';
import { get } from '../api.js';
import { date, lang, num, t } from '../i18n.js';
import { Failure, href, html, Loading, Section, StateBadge, useLoad } from '../ui.js';

type Counts = Record<string, number>;
interface Overview {
  counts: Counts;
  history: { day: string; counts: Partial<Counts> }[];
  topApps: { appId: string; name: string; devices: number }[];
  silent: { id: string; hostname: string; os: string; osUser: string; lastSeenAt: string }[];
  staleAfterHours: number;
  policyVersion: number | null;
}

/** The states the overview counts, in the order an admin reads them (worst last is how the ladder climbs). */
export const OVERVIEW_STATES = ['compliant', 'violation', 'overdue', 'blocked', 'stale', 'exempt', 'never'] as const;
const FAILING = ['violation', 'overdue', 'blocked'];

function Chart({ history }: { history: Overview['history'] }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!box.current || history.length === 0) return;
    const xs = history.map((h) => Date.parse(`${h.day}T12:00:00Z`) / 1000);
    const ok = history.map((h) => h.counts.compliant ?? 0);
    const bad = history.map((h) => FAILING.reduce((s, k) => s + (h.counts[k as keyof Counts] ?? 0), 0));
    const plot = new uPlot(
      {
        width: Math.max(300, box.current.clientWidth - 8),
        height: 220,
        scales: { x: { time: true } },
        series: [
          { label: t('when'), value: (_u, v) => (v === null ? '—' : date(new Date(v * 1000).toISOString(), false)) },
          { label: t('chartCompliant'), stroke: '#1b6e20', width: 2 },
          { label: t('chartFailing'), stroke: '#a4161a', width: 2, dash: [6, 4] },
        ],
        // Axis labels in the chosen locale (uPlot's own are US-English).
        axes: [
          { values: (_u, vals) => vals.map((v) => date(new Date(v * 1000).toISOString(), false)) },
          { values: (_u, vals) => vals.map((v) => num(v)) },
        ],
      },
      [xs, ok, bad],
      box.current,
    );
    return () => plot.destroy();
  }, [history, lang.get()]);
  if (history.length === 0) return html`<p class="muted">${t('noHistory')}</p>`;
  // The chart is a picture for sighted users; the table under it says the same in words.
  return html`<div ref=${box} class="chart" aria-hidden="true"></div>
    <details>
      <summary>${t('complianceOverTime')} (${history.length})</summary>
      <table>
        <thead>
          <tr>
            <th scope="col">${t('when')}</th>
            <th scope="col">${t('chartCompliant')}</th>
            <th scope="col">${t('chartFailing')}</th>
          </tr>
        </thead>
        <tbody>
          ${history.map(
            (h) =>
              html`<tr>
                <td>${date(h.day, false)}</td>
                <td>${num(h.counts.compliant ?? 0)}</td>
                <td>${num(FAILING.reduce((s, k) => s + (h.counts[k as keyof Counts] ?? 0), 0))}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </details>`;
}

export function OverviewView() {
  const o = useLoad(() => get<Overview>('overview'), []);
  if (o.error) return html`<${Failure} error=${o.error} />`;
  if (!o.data) return html`<${Loading} />`;
  const d = o.data;
  const total = Object.entries(d.counts)
    .filter(([k]) => k !== 'retired')
    .reduce((s, [, n]) => s + n, 0);
  return html`<h1>${t('overview')}</h1>
    <${Section} title=${`${t('fleet')}: ${t('devicesCount', { n: total })}`} id="fleet">
      <ul class="tiles">
        ${OVERVIEW_STATES.map(
          (s) =>
            html`<li>
              <a class="tile" href=${href('devices', { state: s })}>
                <span class="count">${num(d.counts[s] ?? 0)}</span>
                <${StateBadge} state=${s} />
              </a>
            </li>`,
        )}
      </ul>
    <//>
    <${Section} title=${t('complianceOverTime')} id="chart"><${Chart} history=${d.history} /><//>
    <div class="columns">
      <${Section} title=${t('topApps')} id="top">
        ${
          d.topApps.length === 0
            ? html`<p class="muted">${t('none')}</p>`
            : html`<table>
                <thead>
                  <tr>
                    <th scope="col">${t('app')}</th>
                    <th scope="col" class="n">${t('devices')}</th>
                  </tr>
                </thead>
                <tbody>
                  ${d.topApps.map(
                    (a) =>
                      html`<tr>
                        <td><a href=${href('devices', { app: a.appId })}>${a.name}</a></td>
                        <td class="n">${num(a.devices)}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>`
        }
      <//>
      <${Section} title=${t('silentDevices')} id="silent">
        <p class="muted">${t('silentHint', { h: d.staleAfterHours })}</p>
        ${
          d.silent.length === 0
            ? html`<p class="muted">${t('none')}</p>`
            : html`<table>
                <thead>
                  <tr>
                    <th scope="col">${t('hostname')}</th>
                    <th scope="col">${t('user')}</th>
                    <th scope="col">${t('lastSeen')}</th>
                  </tr>
                </thead>
                <tbody>
                  ${d.silent.map(
                    (s) =>
                      html`<tr>
                        <td><a href=${href(`devices/${s.id}`)}>${s.hostname}</a></td>
                        <td>${s.osUser}</td>
                        <td>${date(s.lastSeenAt)}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>`
        }
      <//>
    </div>`;
}
