import type { LadderView } from '../../protocol/index.js';
import type { UpdateEvent } from '../update/record.js';

/**
 * THE TRAY CHANNEL — every message between the machine agent (root/SYSTEM, `appwacht run --system`) and a per-user tray
 * or `appwacht status` run by an employee. One JSON object per line (UTF-8, at most MAX_LINE_BYTES), over a Unix socket
 * (Linux, macOS: `<channel dir>/tray.sock`, mode 0666) or a named pipe (Windows: `\\.\pipe\appwacht-tray`).
 *
 * Who is asking: Node has no SO_PEERCRED/getpeereid and no well-kept npm package offers it without a native build, so
 * the peer proves its account the way the kernel already records it — by creating a file. The agent sends a random
 * nonce; the peer creates `<claim dir>/<nonce>` (a folder where anyone may create files but nobody may list, and only
 * the creator may delete: mode 1733, root's) with the content `appwacht-claim <nonce>`; the agent opens it without
 * following links, and the file's owner (fstat uid; on Windows the owner SID) is the peer's account. Only the kernel
 * sets a new file's owner; a hard link of someone else's file has a link count of 2 and is refused; the nonce is new per
 * connection and known only to that peer. The claim file is removed at once.
 *
 *   agent → peer  hello       { protocol: 1, nonce, claimDir }                    on connect
 *   peer → agent  claim       {}                                                  after creating the claim file
 *   agent → peer  welcome     { user, uid }                                       the account the agent now serves
 *   peer → agent  read-state  {}                                                  → state
 *   peer → agent  check-now   {}                                                  → check-accepted | error RATE_LIMITED
 *   peer → agent  read-last-report {}                                             → last-report
 *   agent → peer  error       { code, message, retryAfterMs? }                    NOT_IDENTIFIED, CLAIM_FAILED, REFUSED,
 *                                                                                 RATE_LIMITED, BAD_MESSAGE, TOO_LONG
 *
 * `last-report` carries the last report the server acknowledged exactly as it was sent (or why it cannot: none yet, too
 * large to keep, the file damaged, or it names another account's findings — then only root sees it, as nothing is cut
 * out of what is shown as sent), when it was delivered, and the outbox's length. It is asked for only when the status
 * window shows it, so the read-state poll stays small.
 *
 * Nothing else exists: no request changes the agent's settings, state, credential or policy, stops it, or reads another
 * account's findings. A non-root peer sees only installs in its own account and machine-wide ones, and its own
 * processes; root (the admin at a shell) sees everything. Three refused messages, a line over the limit or no claim
 * within CLAIM_TIMEOUT_MS end the connection.
 */

export const CHANNEL_PROTOCOL = 1;
export const MAX_LINE_BYTES = 4096;
export const CLAIM_TIMEOUT_MS = 5_000;
export const IDLE_TIMEOUT_MS = 60_000;
/** One check-now per account per this long; a check takes a turn (~1 s of CPU). */
export const CHECK_NOW_INTERVAL_MS = 60_000;
export const WINDOWS_PIPE = '\\\\.\\pipe\\appwacht-tray';
export const SOCKET_NAME = 'tray.sock';
export const CLAIM_DIR_NAME = 'claims';

export const claimContent = (nonce: string) => `appwacht-claim ${nonce}\n`;

export interface HelloMessage {
  type: 'hello';
  protocol: typeof CHANNEL_PROTOCOL;
  nonce: string;
  claimDir: string;
}

export interface WelcomeMessage {
  type: 'welcome';
  user: string;
  uid: number | string;
}

export type ErrorCode = 'NOT_IDENTIFIED' | 'CLAIM_FAILED' | 'REFUSED' | 'RATE_LIMITED' | 'BAD_MESSAGE' | 'TOO_LONG';

export interface ErrorMessage {
  type: 'error';
  code: ErrorCode;
  message: string;
  retryAfterMs?: number;
}

/** One banned app as one account may see it: only its own installs and machine-wide ones, only its own processes. */
export interface TrayFinding {
  appId: string;
  name: string;
  action: 'ban' | 'warn';
  deadline: string;
  evidence: ('installed' | 'running')[];
  installs: { source: string; scope: 'machine' | 'user'; name: string; location?: string; user?: string }[];
  processes: { pid: number; name: string }[];
}

/** Why `last-report` carries no report. */
export type LastReportUnknown = 'none' | 'too-large' | 'unreadable' | 'other-accounts';

export interface LastReportMessage {
  type: 'last-report';
  /** The report exactly as the agent posted it (JSON); null with `unknown` saying why. */
  report: Record<string, unknown> | null;
  unknown?: LastReportUnknown;
  /** When the server acknowledged it; null when no delivery is known. */
  deliveredAt: string | null;
  /** Reports waiting in the outbox; `oldestAt`: when the oldest was queued. */
  queue: { count: number; oldestAt: string | null };
}

export interface StateMessage {
  type: 'state';
  user: string;
  /** Always 'machine': the channel exists only in machine mode. */
  agentMode: 'machine';
  agent: { running: boolean; pid: number | null; version: string | null; startedAt: string | null };
  enrolled: boolean | null;
  /** For the tray's About: the server the agent reports to (null: local mode) and this device's id there. */
  server: string | null;
  deviceId: string | null;
  policy: {
    version: number;
    origin: string;
    expired: boolean;
    expiresAt: string | null;
    organization: string;
    /** The organisation's support contact and its message to employees, as the policy of the last check says. */
    support?: { email?: string; phone?: string; url?: string };
    message?: { de: string; en: string };
  } | null;
  /** The last check as it concerns this account (its own status, not the device's). */
  lastCheck: {
    at: string;
    /** unknown: nothing found for this account, but the check could not see enough (gaps) to call it clean. */
    status: 'compliant' | 'warning' | 'violation' | 'unknown';
    findings: TrayFinding[];
    /** What the check could not see (coverage gap codes, as in reports), when it said so. */
    gaps?: { code: string; source?: string }[];
  } | null;
  lastReport: { at: string; kind: string } | null;
  /** Where the server's last report answer put the device on the escalation ladder (shape checked; the tray re-validates); absent from an older agent. */
  ladder?: { view: LadderView; receivedAt: string } | null;
  /** The machine service's update client: what happened last (update.json, shape checked); absent from an older agent. */
  update?: UpdateEvent | null;
}

export type ToPeer =
  HelloMessage | WelcomeMessage | StateMessage | LastReportMessage | ErrorMessage | { type: 'check-accepted'; message: string };
export type FromPeer = { type: 'claim' } | { type: 'read-state' } | { type: 'check-now' } | { type: 'read-last-report' };
