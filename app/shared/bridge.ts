import type {
  ComplianceStatus,
  CoverageGap,
  Lang,
  LadderView,
  Localized,
  OsName,
  Report,
  RuleAction,
  Scope,
  SourceKind,
} from '../../protocol/index.js';

/**
 * THE STATUS WINDOW'S BRIDGE — the exact type of what `app/preload/preload.ts` exposes as `window.appwacht` through
 * `contextBridge.exposeInMainWorld('appwacht', …)`. The preload implements it (`satisfies Bridge`), the renderer uses it,
 * and the renderer's tests inject a stand-in of this same type. Named functions only; every value crossing it is plain
 * serialisable data (structured clone: no class instances, no Dates — times are ISO strings, no functions except the
 * unsubscribe that `onStateChanged` returns). The renderer never passes a URL, a path or a command to the main process.
 */
export interface Bridge {
  /** The window's whole state as main last assembled it (agent state, policy, ladder, check in progress). */
  getState(): Promise<AppState>;
  /**
   * Asks the agent for a check now (machine mode: the tray channel's `check-now`). Resolves as soon as the agent
   * accepted or refused; the result itself arrives through `onStateChanged`.
   */
  checkNow(): Promise<CheckNowResult>;
  /** The last report exactly as it was sent, when, and the queue; null while none was sent or queued. */
  getLastReport(): Promise<LastReportView | null>;
  /** The employee's choice of language (tray menu and window alike); main stores it and sends a new state. */
  setLanguage(lang: Lang): Promise<void>;
  /**
   * Opens the organisation's own support contact of that kind, as the signed policy names it (mailto:, tel:, https:).
   * Main takes the address from the policy, never from the renderer; a kind the policy does not name does nothing.
   */
  openContact(kind: ContactKind): Promise<void>;
  /** Called with every new state (a check finished, the agent or server went away, language changed). Returns unsubscribe. */
  onStateChanged(listener: (state: AppState) => void): () => void;
}

/** The name the preload exposes the bridge under: `window.appwacht`. */
export const BRIDGE_KEY = 'appwacht';

export type ContactKind = 'email' | 'phone' | 'url';

/**
 * The one word for where the device stands, chosen by main (the same function picks the tray icon):
 * - `unchecked`: no check has finished yet;
 * - `compliant`: the last complete check found nothing;
 * - `warning`: only apps the policy warns about;
 * - `banned`: a banned app is found, its deadline is ahead (ladder `notice`, or no ladder known yet);
 * - `overdue`: a banned app is found and its deadline has passed (ladder `overdue`, or past the deadline locally);
 * - `blocked`: the server says mail, contacts and calendar sync are blocked (ladder `blocked`);
 * - `incomplete`: no banned app found, but the check could not see enough to say the device is clean (status unknown);
 * - `offline`: the agent (machine service) cannot be reached, or it cannot reach the server;
 * - `policy-problem`: no valid policy (expired, rejected, or never received).
 * Where several hold, main picks the most urgent for the employee: blocked > overdue > banned > policy-problem >
 * offline > warning > incomplete > unchecked > compliant. The window shows the others too (findings, server, policy).
 */
export type Condition =
  'unchecked' | 'compliant' | 'warning' | 'banned' | 'overdue' | 'blocked' | 'incomplete' | 'offline' | 'policy-problem';

export const CONDITIONS = [
  'unchecked',
  'compliant',
  'warning',
  'banned',
  'overdue',
  'blocked',
  'incomplete',
  'offline',
  'policy-problem',
] as const satisfies readonly Condition[];

export interface AppState {
  condition: Condition;
  /** The language the window speaks (the employee's choice, else the OS language). */
  lang: Lang;
  /** The OS the removal steps are for. */
  os: OsName;
  /** When main assembled this state (ISO). */
  updatedAt: string;
  /** The account the agent serves this tray (machine mode: as the tray channel's welcome said); null when unknown. */
  user: string | null;
  agent: {
    /** machine: the machine service over the tray channel; user: a per-user agent (weaker, see `appwacht status`). */
    mode: 'machine' | 'user';
    /** Whether the tray could talk to the agent just now. */
    reachable: boolean;
    version: string | null;
  };
  server: {
    /** The server's base URL; null in local mode (bundled policy, nothing reported). */
    url: string | null;
    /** The last successful exchange with the server (report delivered or policy fetched); null if never. */
    lastContactAt: string | null;
    /** The last failure talking to it, in the agent's words (not translated); null when the last exchange worked. */
    lastError: string | null;
  };
  policy: {
    version: number;
    organization: string;
    expired: boolean;
    expiresAt: string | null;
    /** The policy's message to employees, both languages. */
    message: Localized | null;
  } | null;
  /** The organisation's support contact from the signed policy; null when there is no policy. */
  support: { email?: string; phone?: string; url?: string } | null;
  /** The last check as it concerns this account; null before the first. */
  lastCheck: {
    at: string;
    status: ComplianceStatus;
    /** What the check could not see (status `unknown`, or a violation found with gaps beside it). */
    gaps: CoverageGap[];
    /** Earliest deadline among the banned apps found. */
    deadline: string | null;
    findings: AppFinding[];
  } | null;
  /** Where the device stands on the escalation ladder, as the server said in its last report answer; null if unknown. */
  ladder: { view: LadderView; receivedAt: string } | null;
  check: {
    /** A check asked for through `checkNow` is under way. */
    running: boolean;
    /** The agent limits check-now (once a minute per account): the earliest time another is accepted (ISO), else null. */
    notBefore: string | null;
  };
  /** Facts IT uses to find the laptop (systeminformation), as sent at enrolment/heartbeat; null when not collected. */
  device: { id: string | null; facts: HostFacts | null };
}

/** What identifies the laptop for IT; each field absent when the OS did not say. */
export interface HostFacts {
  manufacturer?: string;
  model?: string;
  serial?: string;
  os?: string;
  osBuild?: string;
  hostname?: string;
}

/** One banned or warned-about app found for this account (the tray channel's TrayFinding, with source kinds typed). */
export interface AppFinding {
  appId: string;
  name: string;
  action: RuleAction;
  deadline: string;
  evidence: ('installed' | 'running')[];
  installs: AppInstall[];
  processes: { pid: number; name: string }[];
  /** The policy rule's own message, if it has one. */
  message: Localized | null;
  /** For a multi-service container (Ferdium, Rambox …): why it matters (the catalog's `container.why`). */
  containerNote: Localized | null;
}

export interface AppInstall {
  source: SourceKind;
  scope: Scope;
  /** The name the source gave it (display name; dpkg/rpm: the package name). */
  name: string;
  /** Where it lives: bundle path, AppImage path, flatpak/snap folder, install location. */
  location?: string;
  /**
   * The identifier a removal command needs, when the agent knows it: package name (dpkg/rpm), flatpak id, snap name,
   * AppX package name. The renderer shows a command only for an id that passes its own strict check.
   */
  id?: string;
  user?: string;
}

export type CheckNowResult =
  | { outcome: 'accepted' }
  /** The agent takes one check-now per minute per account. */
  | { outcome: 'rate-limited'; retryAfterMs: number }
  /** The agent cannot be reached; `message` in the agent's words. */
  | { outcome: 'unavailable'; message: string };

export interface LastReportView {
  /** The report exactly as it went to the server (what the window pretty-prints); null when it cannot be shown. */
  report: Report | null;
  /** Why a delivered report is not shown: too large to keep a copy, the copy unreadable, or it names other accounts. */
  notShown?: 'too-large' | 'unreadable' | 'other-accounts';
  /** When the server confirmed it (ISO); null while it is still queued. */
  deliveredAt: string | null;
  /** Reports waiting in the outbox to be sent (the server unreachable, or just committed). */
  queue: { count: number; oldestAt: string | null };
}

declare global {
  interface Window {
    /** Present in the status window only: the preload's bridge. */
    appwacht: Bridge;
  }
}
