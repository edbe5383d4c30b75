/**
 * The admin dashboard: Preact components written with htm (tagged templates, no JSX step), bundled by esbuild into
 * dist/web and served by the Appwacht server itself. Preact escapes every text it renders; nothing here sets HTML.
 */
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { render } from 'preact';
import { useState } from 'preact/hooks';
import { login, logout, offline, refreshSession, RequestFailed, session } from './api.js';
import { lang, setLang, t, type Key, type Lang } from './i18n.js';
import { useSignal } from './state.js';
import { html, useRoute } from './ui.js';
import { AuditView } from './views/audit.js';
import { DeviceView } from './views/device.js';
import { DevicesView } from './views/devices.js';
import { EmployeesView } from './views/employees.js';
import { ExemptionsView } from './views/exemptions.js';
import { OverviewView } from './views/overview.js';
import { PolicyView } from './views/policy.js';
import { SettingsView } from './views/settings.js';

const SCREENS: [string, Key][] = [
  ['', 'overview'],
  ['devices', 'devices'],
  ['employees', 'employees'],
  ['policy', 'policy'],
  ['exemptions', 'exemptions'],
  ['audit', 'audit'],
  ['settings', 'settings'],
];

function LoginForm({ expired }: { expired: boolean }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.target as HTMLFormElement);
    setBusy(true);
    try {
      await login(String(f.get('username')), String(f.get('password')));
    } catch (err) {
      setError(err instanceof RequestFailed && err.status === 401 ? t('loginFailed') : String((err as Error).message));
    } finally {
      setBusy(false);
    }
  };
  return html`<form class="login card" onSubmit=${submit} aria-labelledby="login-title">
    <h1 id="login-title">${t('loginTitle')}</h1>
    ${expired && html`<p class="note" role="status">${t('sessionExpired')}</p>`}
    <label>${t('username')} <input name="username" autocomplete="username" required /></label>
    <label>${t('password')} <input name="password" type="password" autocomplete="current-password" required /></label>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    <button type="submit" disabled=${busy}>${t('login')}</button>
  </form>`;
}

function LangSwitch() {
  const current = useSignal(lang);
  return html`<label class="lang"
    >${t('language')}
    <select value=${current} onChange=${(e: Event) => setLang((e.target as HTMLSelectElement).value as Lang)}>
      <option value="de">Deutsch</option>
      <option value="en">English</option>
    </select></label
  >`;
}

function Screen() {
  const route = useRoute();
  const [first, second] = route.parts;
  switch (first) {
    case 'devices':
      return second ? html`<${DeviceView} id=${second} />` : html`<${DevicesView} params=${route.params} />`;
    case 'employees':
      return html`<${EmployeesView} email=${second ?? null} params=${route.params} />`;
    case 'policy':
      return html`<${PolicyView} />`;
    case 'exemptions':
      return html`<${ExemptionsView} />`;
    case 'audit':
      return html`<${AuditView} />`;
    case 'settings':
      return html`<${SettingsView} />`;
    default:
      return html`<${OverviewView} />`;
  }
}

function App() {
  useSignal(lang); // every text follows a language switch
  const s = useSignal(session);
  const isOffline = useSignal(offline);
  const route = useRoute();
  if (!s.who) return html`<main id="main"><${LangSwitch} /><${LoginForm} expired=${false} /></main>`;
  const current = route.parts[0] ?? '';
  return html`<a
      class="skip"
      href="#main"
      onClick=${(e: Event) => {
        e.preventDefault();
        document.getElementById('main')?.focus();
      }}
      >${t('skip')}</a
    >
    <header class="top">
      <span class="brand">Appwacht</span>
      <nav aria-label=${t('nav')}>
        <ul>
          ${SCREENS.map(
            ([path, key]) =>
              html`<li><a href=${`#/${path}`} aria-current=${current === path ? 'page' : undefined}>${t(key)}</a></li>`,
          )}
        </ul>
      </nav>
      <span class="who">${t('signedInAs', { user: s.who.username })}</span>
      <${LangSwitch} />
      <button type="button" class="secondary" onClick=${() => void logout()}>${t('logout')}</button>
    </header>
    ${isOffline && html`<p class="banner error" role="alert">${t('offline')}</p>`}
    ${s.who.role === 'readonly' && html`<p class="banner note">${t('readOnly')}</p>`}
    <main id="main" tabindex="-1"><${Screen} /></main>
    ${
      s.expired &&
      html`<div class="overlay" role="dialog" aria-modal="true" aria-labelledby="login-title">
        <${LoginForm} expired=${true} />
      </div>`
    }`;
}

const root = document.getElementById('root')!;
void refreshSession().finally(() => {
  root.textContent = '';
  render(html`<${App} />`, root);
});
