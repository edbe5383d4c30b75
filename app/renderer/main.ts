import type { Lang } from '../../protocol/index.js';
import type { AppState, Bridge, CheckNowResult, LastReportView } from '../shared/bridge.js';
import { formatMoment, TEXTS } from './texts.js';
import { renderWindow, type UiNote } from './view.js';

/**
 * The status window's controller: asks the bridge, paints, repaints on every state the main process sends. Repainting
 * rebuilds the page, so it puts keyboard focus and opened <details> back where they were (by element id).
 */
export function start(bridge: Bridge, root: HTMLElement, announcer: HTMLElement): void {
  let state: AppState | null = null;
  let report: LastReportView | null = null;
  let note: UiNote | null = null;
  let first = true;

  const paint = () => {
    if (!state) return;
    const t = TEXTS[state.lang];
    const focused = document.activeElement?.id;
    const open = new Set(Array.from(root.querySelectorAll('details[open]'), (d) => d.id));
    root.replaceChildren(
      renderWindow(state, report, note, { checkNow, setLanguage, openContact: (k) => void bridge.openContact(k) }),
    );
    document.documentElement.lang = state.lang;
    document.title = t.title;
    for (const id of open) root.querySelector<HTMLDetailsElement>(`details#${id}`)?.setAttribute('open', '');
    if (focused) document.getElementById(focused)?.focus();
    if (first && location.hash === '#reported') document.getElementById('reported')?.focus();
    first = false;
  };

  const say = (n: UiNote | null) => {
    note = n;
    announcer.textContent = n?.text ?? '';
    paint();
  };

  const load = async (s?: AppState) => {
    try {
      const [next, last] = await Promise.all([s ?? bridge.getState(), bridge.getLastReport()]);
      state = next;
      report = last;
      paint();
    } catch (err) {
      failed(root, err);
    }
  };

  async function checkNow() {
    if (!state) return;
    const t = TEXTS[state.lang];
    let result: CheckNowResult;
    try {
      result = await bridge.checkNow();
    } catch (err) {
      result = { outcome: 'unavailable', message: err instanceof Error ? err.message : String(err) };
    }
    if (result.outcome === 'accepted') say({ text: t.checkAccepted, tone: 'info' });
    else if (result.outcome === 'rate-limited')
      say({
        text: t.checkRateLimited(formatMoment(new Date(Date.now() + result.retryAfterMs).toISOString(), state.lang)),
        tone: 'error',
      });
    else say({ text: t.checkUnavailable(result.message), tone: 'error' });
  }

  function setLanguage(lang: Lang) {
    void bridge.setLanguage(lang);
  }

  // The tray's "What is reported…" opens index.html#reported; on a window already open, only the hash changes.
  window.addEventListener('hashchange', () => {
    if (location.hash === '#reported') document.getElementById('reported')?.focus();
  });

  bridge.onStateChanged((s) => {
    // A finished check replaces the "check started" note; the state itself now says the result, and a new condition is
    // announced to screen readers (the page's one live region survives repaints).
    if (state?.lastCheck?.at !== s.lastCheck?.at) note = null;
    if (state && state.condition !== s.condition) announcer.textContent = TEXTS[s.lang].headline[s.condition];
    void load(s);
  });
  void load();
}

/** The bridge itself failed (a bug in main or preload): say so in both languages rather than show a blank window. */
function failed(root: HTMLElement, err: unknown) {
  const message = err instanceof Error ? err.message : String(err);
  const p = (lang: Lang, text: string) => {
    const el = document.createElement('p');
    el.lang = lang;
    el.textContent = text;
    return el;
  };
  root.replaceChildren(
    p('de', `Der Status kann nicht angezeigt werden: ${message}`),
    p('en', `The status cannot be shown: ${message}`),
  );
}

const root = document.getElementById('app');
const announcer = document.getElementById('announce');
if (root && announcer) {
  if (typeof window.appwacht === 'object' && window.appwacht) start(window.appwacht, root, announcer);
  else failed(root, new Error('no bridge (window.appwacht)'));
}
