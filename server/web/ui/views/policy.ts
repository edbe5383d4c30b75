import { diffLines } from 'diff';
import { useEffect, useState } from 'preact/hooks';
import type { RequestFailed } from '../api.js';
import { call, get, query } from '../api.js';
import { UPDATE_CHANNEL_PATTERN } from '../../../../protocol/updates.js';
import { date, num, t, type Key } from '../i18n.js';
import { Failure, html, Loading, Outcome, Section, useLoad } from '../ui.js';

interface Rule {
  id: string;
  app?: string;
  custom?: { name: string };
  action: 'ban' | 'warn';
  deadline: string;
  clients?: 'all' | 'official';
  message?: { de: string; en: string };
}
interface Policy {
  version: number;
  issuedAt: string;
  expiresAt?: string;
  message: { de: string; en: string };
  rules: Rule[];
  intervals: { scanMinutes: number; heartbeatMinutes: number; policyRefreshMinutes: number };
  escalation: {
    reportOnly: boolean;
    mailWarningAfterDays: number;
    blockAfterDays: number;
    staleAfterHours: number;
    reminderEveryDays?: number;
  };
  updates?: { enabled: boolean; channel: string; checkEveryHours: number; installWindow?: { from: string; to: string } };
  [k: string]: unknown;
}

/** What switching automatic updates on for the first time starts from: the stable channel, at night. */
const UPDATE_DEFAULTS = { channel: 'stable', checkEveryHours: 6, installWindow: { from: '22:00', to: '05:00' } };
interface VersionDetail {
  version: number;
  keyId: string;
  createdAt: string;
  createdBy: string;
  policy: Policy;
}
interface CatalogApp {
  id: string;
  name: string;
  vendor: string;
  matches: Partial<Record<'windows' | 'macos' | 'linux', Record<string, string[]>>>;
}

const day = (iso: string) => (Number.isNaN(Date.parse(iso)) ? '' : new Date(iso).toISOString().slice(0, 10));

/** A draft is the policy without what the server assigns (version, issuedAt) or renews by itself (the default expiry). */
function toDraft(p: Policy): Policy {
  const copy = structuredClone(p);
  delete (copy as Partial<Policy>).expiresAt;
  return copy;
}

/** App ids of rules that are new or changed in `next`: the devices that have them are what the change touches. */
function changedApps(prev: Policy, next: Policy): string[] {
  const before = new Map(prev.rules.map((r) => [r.id, JSON.stringify(r)]));
  return [...new Set(next.rules.filter((r) => r.app && before.get(r.id) !== JSON.stringify(r)).map((r) => r.app!))];
}

function Diff({ a, b }: { a: number; b: number }) {
  const both = useLoad(() => Promise.all([get<VersionDetail>(`policies/${a}`), get<VersionDetail>(`policies/${b}`)]), [a, b]);
  if (both.error) return html`<${Failure} error=${both.error} />`;
  if (!both.data) return html`<${Loading} />`;
  const strip = (p: Policy) => JSON.stringify({ ...p, issuedAt: undefined, expiresAt: undefined }, null, 2);
  const parts = diffLines(strip(both.data[0].policy), strip(both.data[1].policy));
  return html`<h3>${t('diffOf', { a, b })}</h3>
    <pre class="diff" tabindex="0">
${parts.map((p) =>
        p.added
          ? html`<ins>${p.value.replace(/^/gm, '+ ')}</ins>`
          : p.removed
            ? html`<del>${p.value.replace(/^/gm, '- ')}</del>`
            : html`<span>${p.value.replace(/^/gm, '  ')}</span>`,
      )}</pre>`;
}

function Matches({ app }: { app: CatalogApp | undefined }) {
  if (!app) return null;
  return html`<details>
    <summary>${t('matches')}</summary>
    <dl class="matches">
      ${(['windows', 'macos', 'linux'] as const).map(
        (os) =>
          html`<dt>${os}</dt>
            <dd>
              ${Object.entries(app.matches[os] ?? {}).map(([kind, values]) => html`<div><b>${kind}</b>: ${values.join(', ')}</div>`)}
            </dd>`,
      )}
    </dl>
  </details>`;
}

function Preview({ draft, names }: { draft: Policy; names: Map<string, CatalogApp> }) {
  const banned = draft.rules.filter((r) => r.action === 'ban');
  return html`<div class="columns">
    ${(['de', 'en'] as const).map(
      (l) =>
        html`<div class="preview" lang=${l}>
          <h3>${l === 'de' ? t('messageDe') : t('messageEn')}</h3>
          <p>${draft.message[l]}</p>
          <ul>
            ${banned.map((r) => html`<li>${r.custom?.name ?? names.get(r.app ?? '')?.name ?? r.app} — ${date(r.deadline, false)}${r.message ? `: ${r.message[l]}` : ''}</li>`)}
          </ul>
        </div>`,
    )}
  </div>`;
}

function Editor({
  current,
  catalog,
  published,
}: {
  current: VersionDetail;
  catalog: CatalogApp[];
  published: (version: number) => void;
}) {
  const [draft, setDraft] = useState<Policy>(() => toDraft(current.policy));
  const [confirm, setConfirm] = useState<{ active: number; affected: number } | null>(null);
  const [error, setError] = useState<RequestFailed | null>(null);
  const byId = new Map(catalog.map((a) => [a.id, a]));
  const update = (fn: (d: Policy) => void) => {
    const next = structuredClone(draft);
    fn(next);
    setDraft(next);
  };
  const setRule = (i: number, patch: Partial<Rule>) => update((d) => Object.assign(d.rules[i]!, patch));
  /** A number field; an optional one (`required` false) left empty is left out of the policy (the agent's default). */
  const numField = (path: 'escalation' | 'intervals', key: string, label: Key, min: number, required = true) =>
    html`<label
      >${t(label)}
      <input
        type="number"
        min=${min}
        required=${required}
        value=${(draft[path] as Record<string, number>)[key] ?? ''}
        onChange=${(e: Event) =>
          update((d) => {
            const raw = (e.target as HTMLInputElement).value;
            const group = d[path] as Record<string, number>;
            if (raw === '' && !required) delete group[key];
            else group[key] = Number(raw);
          })}
    /></label>`;
  const ask = async (e: Event) => {
    e.preventDefault();
    try {
      setConfirm(
        await get<{ active: number; affected: number }>(
          `policy-impact${query({ apps: changedApps(current.policy, draft).join(',') })}`,
        ),
      );
      setError(null);
    } catch (err) {
      setError(err as RequestFailed);
    }
  };
  const publish = async () => {
    try {
      // The next version number goes along: if another admin published meanwhile, the server answers 409.
      const r = await call<VersionDetail>('POST', 'policies', { ...draft, version: current.version + 1 });
      setConfirm(null);
      setError(null);
      published(r.version);
    } catch (err) {
      setConfirm(null);
      setError(err as RequestFailed);
    }
  };
  const unused = catalog.find((a) => !draft.rules.some((r) => r.id === a.id));
  return html`<form class="editor" onSubmit=${ask} aria-label=${t('editor')}>
    <h3>${t('rules')}</h3>
    <table>
      <thead>
        <tr>
          <th scope="col">${t('app')}</th>
          <th scope="col">${t('action')}</th>
          <th scope="col">${t('deadline')}</th>
          <th scope="col">${t('clients')}</th>
          <th scope="col"><span class="sr-only">${t('removeRule')}</span></th>
        </tr>
      </thead>
      <tbody>
        ${draft.rules.map((r, i) =>
          r.custom
            ? html`<tr>
                <td colspan="5">${t('customRule')}: ${r.custom.name} (${t(`action.${r.action}`)}, ${date(r.deadline, false)})</td>
              </tr>`
            : html`<tr>
                <td>
                  <select
                    aria-label=${`${t('app')} ${i + 1}`}
                    value=${r.app}
                    onChange=${(e: Event) => {
                      const app = (e.target as HTMLSelectElement).value;
                      setRule(i, { app, id: app });
                    }}
                  >
                    ${catalog.map((a) => html`<option value=${a.id}>${a.name}</option>`)}
                  </select>
                  <${Matches} app=${byId.get(r.app ?? '')} />
                </td>
                <td>
                  <select
                    aria-label=${`${t('action')} ${i + 1}`}
                    value=${r.action}
                    onChange=${(e: Event) => setRule(i, { action: (e.target as HTMLSelectElement).value as Rule['action'] })}
                  >
                    <option value="ban">${t('action.ban')}</option>
                    <option value="warn">${t('action.warn')}</option>
                  </select>
                </td>
                <td>
                  <input
                    type="date"
                    required
                    aria-label=${`${t('deadline')} ${i + 1}`}
                    value=${day(r.deadline)}
                    onChange=${(e: Event) => {
                      const v = (e.target as HTMLInputElement).value;
                      if (v) setRule(i, { deadline: new Date(`${v}T00:00:00`).toISOString() });
                    }}
                  />
                </td>
                <td>
                  <select
                    aria-label=${`${t('clients')} ${i + 1}`}
                    value=${r.clients ?? 'all'}
                    onChange=${(e: Event) => setRule(i, { clients: (e.target as HTMLSelectElement).value as Rule['clients'] })}
                  >
                    <option value="all">${t('clients.all')}</option>
                    <option value="official">${t('clients.official')}</option>
                  </select>
                </td>
                <td>
                  <button type="button" class="secondary" onClick=${() => update((d) => d.rules.splice(i, 1))}>
                    ${t('removeRule')}
                  </button>
                </td>
              </tr>`,
        )}
      </tbody>
    </table>
    ${
      unused &&
      html`<button
        type="button"
        class="secondary"
        onClick=${() =>
          update((d) =>
            d.rules.push({
              id: unused.id,
              app: unused.id,
              action: 'ban',
              deadline: new Date(Date.now() + 30 * 86_400_000).toISOString(),
            }),
          )}
      >
        ${t('addRule')}
      </button>`
    }
    <fieldset>
      <legend>${t('escalation')}</legend>
      <label class="check"
        ><input
          type="checkbox"
          checked=${draft.escalation.reportOnly}
          onChange=${(e: Event) => update((d) => (d.escalation.reportOnly = (e.target as HTMLInputElement).checked))}
        />
        ${t('reportOnly')}</label
      >
      ${numField('escalation', 'mailWarningAfterDays', 'mailWarningAfterDays', 0)}
      ${numField('escalation', 'blockAfterDays', 'blockAfterDays', 0)}
      ${numField('escalation', 'reminderEveryDays', 'reminderEveryDays', 0, false)}
      ${numField('escalation', 'staleAfterHours', 'staleAfterHours', 1)}
    </fieldset>
    <fieldset>
      <legend>${t('intervals')}</legend>
      ${numField('intervals', 'scanMinutes', 'scanMinutes', 1)}
      ${numField('intervals', 'heartbeatMinutes', 'heartbeatMinutes', 5)}
      ${numField('intervals', 'policyRefreshMinutes', 'policyRefreshMinutes', 5)}
    </fieldset>
    <fieldset>
      <legend>${t('updates')}</legend>
      <label class="check"
        ><input
          type="checkbox"
          checked=${draft.updates?.enabled ?? false}
          onChange=${(e: Event) =>
            update((d) => {
              const on = (e.target as HTMLInputElement).checked;
              // Switched off again before publishing: no block at all if the published policy had none, because
              // agents older than the block refuse a policy that carries it.
              if (!on && !current.policy.updates) delete d.updates;
              else d.updates = { ...UPDATE_DEFAULTS, ...d.updates, enabled: on };
            })}
        />
        ${t('updatesEnabled')}</label
      >
      ${
        draft.updates?.enabled
          ? html`<label
                >${t('updateChannel')}
                <input
                  required
                  pattern=${UPDATE_CHANNEL_PATTERN.source.slice(1, -1)}
                  value=${draft.updates.channel}
                  onChange=${(e: Event) => update((d) => (d.updates!.channel = (e.target as HTMLInputElement).value))}
              /></label>
              <label
                >${t('updateCheckEveryHours')}
                <input
                  type="number"
                  min="1"
                  max="720"
                  required
                  value=${draft.updates.checkEveryHours}
                  onChange=${(e: Event) =>
                    update((d) => (d.updates!.checkEveryHours = Number((e.target as HTMLInputElement).value)))}
              /></label>
              ${(['from', 'to'] as const).map(
                (end) =>
                  html`<label
                    >${end === 'from' ? t('updateWindowFrom') : t('updateWindowTo')}
                    <input
                      type="time"
                      value=${draft.updates!.installWindow?.[end] ?? ''}
                      onChange=${(e: Event) =>
                        update((d) => {
                          const value = (e.target as HTMLInputElement).value;
                          const window = { ...(d.updates!.installWindow ?? { from: '', to: '' }), [end]: value };
                          // Both empty: no window, the update installs as soon as it is verified.
                          if (!window.from && !window.to) delete d.updates!.installWindow;
                          else d.updates!.installWindow = window;
                        })}
                  /></label>`,
              )}`
          : null
      }
      <p class="muted">${t('updatesHint')}</p>
    </fieldset>
    <fieldset>
      <legend>${t('messages')}</legend>
      ${(['de', 'en'] as const).map(
        (l) =>
          html`<label
            >${l === 'de' ? t('messageDe') : t('messageEn')}
            <textarea
              lang=${l}
              rows="4"
              required
              maxlength="2000"
              value=${draft.message[l]}
              onInput=${(e: Event) => update((d) => (d.message[l] = (e.target as HTMLTextAreaElement).value))}
            ></textarea>
          </label>`,
      )}
    </fieldset>
    <h3>${t('preview')}</h3>
    <${Preview} draft=${draft} names=${byId} />
    ${
      confirm
        ? html`<div class="confirm" role="alertdialog" aria-labelledby="publish-q">
            <p id="publish-q">
              ${t('publishConfirm', { v: current.version + 1, total: num(confirm.active), n: num(confirm.affected) })}
            </p>
            <button type="button" onClick=${publish}>${t('confirm')}</button>
            <button type="button" class="secondary" onClick=${() => setConfirm(null)}>${t('cancel')}</button>
          </div>`
        : html`<button type="submit">${t('publish')}</button>`
    }
    ${error?.status === 409 ? html`<p class="error" role="alert">${t('conflict')}</p>` : html`<${Outcome} ok=${null} error=${error} />`}
  </form>`;
}

export function PolicyView() {
  const versions = useLoad(
    () => get<{ items: { version: number; createdAt: string; createdBy: string }[] }>('policies?limit=50'),
    [],
  );
  const latest = versions.data?.items[0]?.version;
  const current = useLoad(() => (latest ? get<VersionDetail>(`policies/${latest}`) : Promise.resolve(null)), [latest]);
  const catalog = useLoad(() => get<{ items: CatalogApp[] }>('catalog'), []);
  const [cmp, setCmp] = useState<[number, number] | null>(null);
  const [justPublished, setJustPublished] = useState<number | null>(null);
  const [pick, setPick] = useState<[number, number]>([0, 0]);
  useEffect(() => {
    const items = versions.data?.items ?? [];
    if (items.length > 0) setPick([items[Math.min(1, items.length - 1)]!.version, items[0]!.version]);
  }, [versions.data]);
  if (versions.error) return html`<${Failure} error=${versions.error} />`;
  if (!versions.data || !current.data || !catalog.data) return html`<${Loading} />`;
  const c = current.data;
  const items = versions.data.items;
  return html`<h1>${t('policy')}</h1>
    <${Section} title=${`${t('currentPolicy')}: ${t('version')} ${c.version}`} id="current">
      <p>${t('signedBy', { key: c.keyId, date: date(c.createdAt), who: c.createdBy })}</p>
      <p>${c.policy.rules.length} ${t('rules')} · ${t('reportOnly')}: ${c.policy.escalation.reportOnly ? t('yes') : t('no')}</p>
    <//>
    <${Section} title=${t('history')} id="history">
      <table>
        <thead>
          <tr>
            <th scope="col">${t('version')}</th>
            <th scope="col">${t('when')}</th>
            <th scope="col">${t('actor')}</th>
          </tr>
        </thead>
        <tbody>
          ${items.map(
            (v) =>
              html`<tr>
                <td>${v.version}</td>
                <td>${date(v.createdAt)}</td>
                <td>${v.createdBy}</td>
              </tr>`,
          )}
        </tbody>
      </table>
      <form
        class="filters"
        onSubmit=${(e: Event) => {
          e.preventDefault();
          setCmp(pick);
        }}
      >
        ${[0, 1].map(
          (i) =>
            html`<label
              >${t('version')} ${i === 0 ? 'A' : 'B'}
              <select
                value=${pick[i]}
                onChange=${(e: Event) => {
                  const next = [...pick] as [number, number];
                  next[i] = Number((e.target as HTMLSelectElement).value);
                  setPick(next);
                }}
              >
                ${items.map((v) => html`<option value=${v.version}>${v.version}</option>`)}
              </select></label
            >`,
        )}
        <button type="submit" class="secondary">${t('compare')}</button>
      </form>
      ${cmp && html`<${Diff} a=${cmp[0]} b=${cmp[1]} />`}
    <//>
    <${Section} title=${t('editor')} id="editor">
      ${justPublished && html`<p class="ok" role="status"><span aria-hidden="true">✓</span> ${t('published', { v: justPublished })}</p>`}
      <${Editor}
        key=${c.version}
        current=${c}
        catalog=${catalog.data.items}
        published=${(v: number) => {
          setJustPublished(v);
          versions.reload();
        }}
      />
    <//>`;
}
