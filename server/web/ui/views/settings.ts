import { useState } from 'preact/hooks';
import type { RequestFailed } from '../api.js';
import { call, get } from '../api.js';
import { date, t } from '../i18n.js';
import { Failure, html, Outcome, PlainTable, Section, useLoad } from '../ui.js';

interface Settings {
  smtp: { server: string; from: string } | null;
  mailTemplate: string | null;
  webhook: { url: string } | null;
  decisionOnError: string;
  webhookLog: {
    id: number;
    createdAt: string;
    employee: string;
    status: string;
    attempts: number;
    lastStatus: number | null;
    lastError: string | null;
  }[];
}

/** One form's result line, and a runner that fills it. */
function useAction() {
  const [ok, setOk] = useState<string | null>(null);
  const [error, setError] = useState<RequestFailed | null>(null);
  const run = async <T>(work: () => Promise<T>, message: (r: T) => string) => {
    try {
      const r = await work();
      setError(null);
      setOk(message(r));
      return r;
    } catch (err) {
      setOk(null);
      setError(err as RequestFailed);
      return null;
    }
  };
  return { ok, error, run };
}

function Admins() {
  const list = useLoad(() => get<{ items: { id: string; username: string; role: string; createdAt: string }[] }>('admins'), []);
  const a = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const f = new FormData(form);
    void a
      .run(
        () => call('POST', 'admins', { username: f.get('username'), password: f.get('password'), role: f.get('role') }),
        () => t('saved'),
      )
      .then((r) => {
        if (r) {
          form.reset();
          list.reload();
        }
      });
  };
  return html`<${Section} title=${t('admins')} id="admins">
    <${Failure} error=${list.error} />
    <table>
      <thead>
        <tr>
          <th scope="col">${t('username')}</th>
          <th scope="col">${t('role')}</th>
          <th scope="col">${t('created')}</th>
        </tr>
      </thead>
      <tbody>
        ${(list.data?.items ?? []).map(
          (x) =>
            html`<tr>
              <td>${x.username}</td>
              <td>${t(`role.${x.role}` as 'role.admin')}</td>
              <td>${date(x.createdAt)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    <form class="inline-form" onSubmit=${submit} aria-label=${t('createAdmin')}>
      <label>${t('username')} <input name="username" required pattern="[A-Za-z0-9._@\\-]{1,64}" autocomplete="off" /></label>
      <label
        >${t('password')} <input name="password" type="password" required minlength="12" autocomplete="new-password"
      /></label>
      <label
        >${t('role')}
        <select name="role">
          <option value="readonly">${t('role.readonly')}</option>
          <option value="admin">${t('role.admin')}</option>
        </select></label
      >
      <button type="submit">${t('createAdmin')}</button>
    </form>
    <${Outcome} ok=${a.ok} error=${a.error} />
  <//>`;
}

function Tokens() {
  const list = useLoad(
    () =>
      get<{
        items: {
          id: string;
          name: string;
          createdAt: string;
          lastUsedAt: string | null;
          revokedAt: string | null;
          expiresAt: string;
        }[];
      }>('tokens'),
    [],
  );
  const a = useAction();
  const [secret, setSecret] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.target as HTMLFormElement);
    const r = await a.run(
      () => call<{ token: string }>('POST', 'tokens', { name: String(f.get('name')) }),
      () => t('saved'),
    );
    if (r) {
      setSecret(r.token);
      list.reload();
    }
  };
  return html`<${Section} title=${t('apiTokens')} id="tokens">
    <${Failure} error=${list.error} />
    <table>
      <thead>
        <tr>
          <th scope="col">${t('name')}</th>
          <th scope="col">${t('created')}</th>
          <th scope="col">${t('lastUsed')}</th>
          <th scope="col">${t('expires')}</th>
          <th scope="col"><span class="sr-only">${t('revoke')}</span></th>
        </tr>
      </thead>
      <tbody>
        ${(list.data?.items ?? []).map(
          (x) =>
            html`<tr>
              <td>${x.name}</td>
              <td>${date(x.createdAt)}</td>
              <td>${date(x.lastUsedAt)}</td>
              <td>${x.revokedAt ? `${t('revoke')}: ${date(x.revokedAt)}` : date(x.expiresAt)}</td>
              <td>
                ${
                  !x.revokedAt &&
                  html`<button
                    type="button"
                    class="secondary"
                    onClick=${() =>
                      a
                        .run(
                          () => call('DELETE', `tokens/${x.id}`),
                          () => t('saved'),
                        )
                        .then(list.reload)}
                  >
                    ${t('revoke')}
                  </button>`
                }
              </td>
            </tr>`,
        )}
      </tbody>
    </table>
    <form class="inline-form" onSubmit=${submit} aria-label=${t('createToken')}>
      <label>${t('name')} <input name="name" required maxlength="64" /></label>
      <button type="submit">${t('createToken')}</button>
    </form>
    ${secret && html`<p class="note" role="status">${t('tokenShown')} <code class="secret">${secret}</code></p>`}
    <${Outcome} ok=${a.ok} error=${a.error} />
  <//>`;
}

function Mapping({ template }: { template: string | null }) {
  const a = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.target as HTMLFormElement);
    void a.run(
      () => call<{ imported: number }>('POST', 'employees/mapping', { csv: String(f.get('csv')) }),
      (r) => t('imported', { n: r.imported }),
    );
  };
  return html`<${Section} title=${t('mapping')} id="mapping">
    <p>APPWACHT_EMPLOYEE_MAIL_TEMPLATE: <code>${template ?? '—'}</code></p>
    <form onSubmit=${submit} aria-label=${t('importCsv')}>
      <label>${t('mappingHint')} <textarea name="csv" rows="5" required placeholder="os_user,email"></textarea></label>
      <button type="submit">${t('importCsv')}</button>
    </form>
    <${Outcome} ok=${a.ok} error=${a.error} />
  <//>`;
}

function MailTemplates() {
  const list = useLoad(
    () => get<{ items: { kind: string; lang: string; custom: boolean; subject: string }[] }>('mail-templates'),
    [],
  );
  return html`<${Section} title=${t('mailTemplates')} id="templates">
    <${Failure} error=${list.error} />
    ${
      list.data &&
      html`<table>
        <thead>
          <tr>
            <th scope="col">${t('kind')}</th>
            <th scope="col">${t('language')}</th>
            <th scope="col">Subject</th>
          </tr>
        </thead>
        <tbody>
          ${list.data.items.map(
            (m) =>
              html`<tr>
                <td>${m.kind}${m.custom ? ' *' : ''}</td>
                <td>${m.lang}</td>
                <td>${m.subject}</td>
              </tr>`,
          )}
        </tbody>
      </table>`
    }
  <//>`;
}

/** Send one test mail through the configured server: the answer (or the SMTP server's refusal) shows below. */
function SmtpTest() {
  const a = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.target as HTMLFormElement);
    void a.run(
      () => call<{ response: string }>('POST', 'settings/smtp-test', { to: f.get('to') }),
      (r) => t('smtpTestSent', { response: r.response }),
    );
  };
  return html`<form class="inline-form" onSubmit=${submit} aria-label=${t('smtpTest')}>
      <label>${t('smtpTestTo')} <input name="to" type="email" required maxlength="254" autocomplete="email" /></label>
      <button type="submit">${t('smtpTest')}</button>
    </form>
    <${Outcome} ok=${a.ok} error=${a.error} />`;
}

interface UpdatesOverview {
  feedFolder: string;
  releases: { channel: string; os: string; version?: string; releaseDate?: string; problem?: string }[];
  fleet: { agentVersion: string; os: string; devices: number }[];
}

/** What the update feed offers and which agent versions the fleet runs: how far a release has spread. */
function Updates() {
  const u = useLoad(() => get<UpdatesOverview>('updates'), []);
  const x = u.data;
  return html`<${Section} title=${t('updates')} id="updates">
    <${Failure} error=${u.error} />
    ${
      x &&
      html`<p class="muted">${t('updatesFolder', { folder: x.feedFolder })}</p>
        <${PlainTable}
          caption=${t('updatesReleases')}
          head=${[t('updateChannelShort'), t('os'), t('version'), t('error')]}
          rows=${x.releases.map((r) => [
            r.channel,
            r.os,
            `${r.version ?? '—'}${r.releaseDate ? ` (${date(r.releaseDate)})` : ''}`,
            r.problem ?? '',
          ])}
        />
        <${PlainTable}
          caption=${t('updatesFleet')}
          head=${[t('agentVersion'), t('os'), t('devices')]}
          rows=${x.fleet.map((f) => [f.agentVersion, f.os, f.devices])}
        />`
    }
  <//>`;
}

export function SettingsView() {
  const s = useLoad(() => get<Settings>('settings'), []);
  const x = s.data;
  return html`<h1>${t('settings')}</h1>
    <${Failure} error=${s.error} />
    ${
      x &&
      html`<${Section} title=${t('smtp')} id="smtp">
          <p>${x.smtp ? `${x.smtp.server} — ${x.smtp.from}` : '—'}</p>
          <p class="muted">${t('configuredByEnv', { vars: 'APPWACHT_SMTP_URL, APPWACHT_MAIL_FROM' })}</p>
          ${x.smtp && html`<${SmtpTest} />`}
        <//>
        <${Section} title=${t('webhooks')} id="webhooks">
          <p>${x.webhook?.url ?? '—'}</p>
          <p class="muted">${t('configuredByEnv', { vars: 'APPWACHT_WEBHOOK_URL, APPWACHT_WEBHOOK_SECRET' })}</p>
          ${
            x.webhookLog.length > 0 &&
            html`<table>
              <thead>
                <tr>
                  <th scope="col">${t('when')}</th>
                  <th scope="col">${t('employee')}</th>
                  <th scope="col">${t('status')}</th>
                  <th scope="col">HTTP</th>
                  <th scope="col">${t('error')}</th>
                </tr>
              </thead>
              <tbody>
                ${x.webhookLog.map(
                  (d) =>
                    html`<tr>
                      <td>${date(d.createdAt)}</td>
                      <td>${d.employee}</td>
                      <td>${d.status} (${d.attempts})</td>
                      <td>${d.lastStatus ?? '—'}</td>
                      <td>${d.lastError ?? ''}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
          }
        <//>
        <${Section} title=${t('decisionTokens')} id="decision">
          <p class="muted">
            ${t('configuredByEnv', { vars: 'APPWACHT_DOVECOT_TOKEN, APPWACHT_NGINX_TOKEN, APPWACHT_BLOCKLIST_TOKEN' })}
          </p>
        <//>
        <${Mapping} template=${x.mailTemplate} />`
    }
    <${MailTemplates} />
    <${Updates} />
    <${Tokens} />
    <${Admins} />`;
}
