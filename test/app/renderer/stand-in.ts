/**
 * The stand-in for the preload in the renderer tests: an object of the preload's exact type (`satisfies Bridge`),
 * bundled by esbuild and injected before the page's script (Playwright's addInitScript), so the page sees
 * `window.appwacht` as it would in Electron. What stands in for main: a scenario (window.__scenario, set by the test)
 * with the states to hand out. Every value crosses through structuredClone, as Electron's contextBridge copies it, so a
 * scenario that is not plain serialisable data fails here as it would there.
 */
import type { AppState, Bridge, CheckNowResult, ContactKind, LastReportView } from '../../../app/shared/bridge.js';
import type { Lang } from '../../../protocol/index.js';

export interface Scenario {
  state: AppState;
  report: LastReportView | null;
  /** What checkNow answers, in order (the last one repeats); default: accepted. */
  checkResults?: CheckNowResult[];
  /** After an accepted check: the state with the check running, then this one, as main would send them. */
  afterCheck?: { state: AppState; report: LastReportView | null };
  /** getState rejects with this message (a broken main process). */
  failWith?: string;
}

export interface StandInLog {
  calls: { name: string; arg?: unknown }[];
  emit(state: AppState): void;
  /** Ends the check that checkNow started: hands out afterCheck's state, as main would when the agent's turn is done. */
  finishCheck(): void;
}

declare global {
  interface Window {
    __scenario: Scenario;
    __standIn: StandInLog;
  }
}

const scenario = window.__scenario;
let state = structuredClone(scenario.state);
let report = structuredClone(scenario.report);
const listeners = new Set<(s: AppState) => void>();
const results = [...(scenario.checkResults ?? [{ outcome: 'accepted' } as const])];
const log: StandInLog = {
  calls: [],
  emit(next) {
    state = structuredClone(next);
    for (const l of listeners) l(structuredClone(state));
  },
  finishCheck() {
    const after = scenario.afterCheck;
    if (!after) throw new Error('this scenario has no afterCheck');
    report = structuredClone(after.report);
    log.emit({ ...after.state, lang: state.lang });
  },
};

const bridge = {
  async getState() {
    log.calls.push({ name: 'getState' });
    if (scenario.failWith) throw new Error(scenario.failWith);
    return structuredClone(state);
  },
  async checkNow() {
    log.calls.push({ name: 'checkNow' });
    const result = results.length > 1 ? results.shift()! : results[0]!;
    if (result.outcome === 'accepted') setTimeout(() => log.emit({ ...state, check: { running: true, notBefore: null } }), 0);
    return structuredClone(result);
  },
  async getLastReport() {
    log.calls.push({ name: 'getLastReport' });
    return structuredClone(report);
  },
  async setLanguage(lang: Lang) {
    log.calls.push({ name: 'setLanguage', arg: lang });
    setTimeout(() => log.emit({ ...state, lang }), 10);
  },
  async openContact(kind: ContactKind) {
    log.calls.push({ name: 'openContact', arg: kind });
  },
  onStateChanged(listener: (s: AppState) => void) {
    log.calls.push({ name: 'onStateChanged' });
    listeners.add(listener);
    return () => void listeners.delete(listener);
  },
} satisfies Bridge;

// contextBridge hands the page a frozen copy; so does the stand-in.
window.appwacht = Object.freeze(bridge);
window.__standIn = log;
