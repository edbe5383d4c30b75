import { randomUUID } from 'node:crypto';
import { Report, describeIssues, type ComplianceState, type Finding, type SourceStatus } from '../../protocol/index.js';
import { AppwachtError } from '../errors.js';
import type { SourceReport } from '../inventory/index.js';

/** What the report needs from an evaluation; `evaluate()` returns a superset of this. */
export interface EvaluationSummary {
  state: ComplianceState;
  findings: Finding[];
}

export type ReportKind = Report['kind'];

export class ReportBuildError extends AppwachtError {}

const MAX_FINDINGS = 100;
const MAX_SOURCES = 50;

/** A source's outcome without its contents: the server learns that dpkg could not be read, not what is installed. */
export function toSourceStatus(source: SourceReport): SourceStatus {
  const status: SourceStatus = { id: source.id.slice(0, 40), ok: source.ok };
  if (!source.ok && source.error) status.error = `${source.error.code}: ${source.error.message}`.slice(0, 300);
  return status;
}

/**
 * Pure: one evaluation → one wire report with a fresh id. The id is chosen here, once, and travels with the
 * report through the outbox, so every retry carries the same id and the server stores it once.
 * The result is validated against the protocol, so a report that the server would reject never enters the outbox.
 */
export function buildReport(input: {
  evaluation: EvaluationSummary;
  /** null in local mode (bundled policy). */
  policyVersion: number | null;
  agentVersion: string;
  sources: readonly SourceReport[];
  kind: ReportKind;
  now: Date;
  newId?: () => string;
}): Report {
  const { evaluation, newId = randomUUID } = input;
  const report: Report = {
    reportId: newId(),
    kind: input.kind,
    scannedAt: input.now.toISOString(),
    agentVersion: input.agentVersion,
    policyVersion: input.policyVersion,
    state: evaluation.state,
    // The protocol caps both lists; the state above still says "violation" when findings are cut.
    findings: evaluation.findings.slice(0, MAX_FINDINGS),
    sources: input.sources.slice(0, MAX_SOURCES).map(toSourceStatus),
  };
  const checked = Report.safeParse(report);
  if (!checked.success)
    throw new ReportBuildError('REPORT_INVALID', `report does not match the protocol: ${describeIssues(checked.error)}`);
  return checked.data;
}

/**
 * The part of a compliance state that makes a report a *change* (kind 'change') rather than a heartbeat.
 *
 * Counts as a change: the status (compliant/warning/violation), the earliest deadline (the policy moved it),
 * crossing that deadline, and the set of banned apps found with their evidence (installed and/or running) —
 * so a banned app that is started, quit, installed or removed is reported at once.
 *
 * Does not count: `daysPastDeadline` ticking up (derivable from the deadline and time), pids, versions,
 * install paths, which sources could be read, and the policy version. These ride along on the next heartbeat.
 */
export interface StateFingerprint {
  status: ComplianceState['status'];
  deadline: string | null;
  pastDeadline: boolean;
  /** Sorted by appId; evidence sorted. */
  apps: { appId: string; evidence: string[] }[];
}

export function fingerprint(evaluation: EvaluationSummary): StateFingerprint {
  const evidence = new Map<string, Set<string>>();
  for (const f of evaluation.findings) {
    const set = evidence.get(f.appId) ?? new Set<string>();
    for (const e of f.evidence) set.add(e);
    evidence.set(f.appId, set);
  }
  return {
    status: evaluation.state.status,
    deadline: evaluation.state.deadline ?? null,
    pastDeadline: evaluation.state.pastDeadline,
    apps: [...evidence.keys()].sort().map((appId) => ({ appId, evidence: [...evidence.get(appId)!].sort() })),
  };
}

/**
 * Pure: what differs between two fingerprints, as short phrases for the log; empty when nothing did.
 * No previous fingerprint (first scan after start without a remembered state) is a change.
 */
export function stateChanges(previous: StateFingerprint | undefined, next: StateFingerprint): string[] {
  if (!previous) return ['first state'];
  const changes: string[] = [];
  if (previous.status !== next.status) changes.push(`status ${previous.status} → ${next.status}`);
  if (previous.deadline !== next.deadline) changes.push(`deadline ${previous.deadline ?? '-'} → ${next.deadline ?? '-'}`);
  if (previous.pastDeadline !== next.pastDeadline)
    changes.push(next.pastDeadline ? 'deadline passed' : 'deadline no longer passed');
  const before = new Map(previous.apps.map((a) => [a.appId, a.evidence.join('+')]));
  const after = new Map(next.apps.map((a) => [a.appId, a.evidence.join('+')]));
  for (const [appId, ev] of after) {
    const old = before.get(appId);
    if (old === undefined) changes.push(`found ${appId} (${ev})`);
    else if (old !== ev) changes.push(`${appId} ${old} → ${ev}`);
  }
  for (const appId of before.keys()) if (!after.has(appId)) changes.push(`gone ${appId}`);
  return changes;
}

export function stateChanged(previous: StateFingerprint | undefined, next: StateFingerprint): boolean {
  return stateChanges(previous, next).length > 0;
}
