import { statusWithGaps } from '../../protocol/coverage.js';
import type {
  ComplianceState,
  CoverageGap,
  Finding,
  Matcher,
  Occurrence,
  OsName,
  Policy,
  PolicyRule,
  ProcessEvidence,
} from '../../protocol/index.js';
import { getCatalogApp, getCatalogMatcher } from '../catalog/index.js';
import type { InstalledApp, RunningProcess } from '../inventory/types.js';
import { coverageGaps, type SourceOutcome } from './coverage.js';
import { MatcherSet } from './match.js';

/** The protocol caps each evidence list of a finding at 50 entries. */
const MAX_EVIDENCE = 50;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface EvaluationInput {
  os: OsName;
  apps: readonly InstalledApp[];
  processes: readonly RunningProcess[];
  /** Which sources were read: without the essential ones, finding nothing means nothing (coverage.ts). */
  sources: readonly SourceOutcome[];
}

export interface Evaluation {
  state: ComplianceState;
  /** One finding per rule that matched, in the policy's rule order. */
  findings: Finding[];
  /**
   * Catalog ids named by the policy that this agent's catalog does not know (a newer server than agent).
   * Those rules cannot be evaluated: they produce no finding and do not change the state; the caller should
   * say so (log, report) so that an outdated agent is noticed instead of reporting "compliant" in silence.
   */
  unknownApps: string[];
}

interface RuleTarget {
  rule: PolicyRule;
  appId: string;
  name: string;
}

interface CompiledPolicy {
  targets: RuleTarget[];
  set: MatcherSet;
  unknownApps: string[];
}

/** Policies are immutable once loaded, so the compiled index is kept per policy object. */
const compiled = new WeakMap<Policy, CompiledPolicy>();

/**
 * Resolves each rule to a matcher (catalog entry or custom) and builds one index over all of them.
 * A custom rule's finding carries the rule id as `appId`: it names no catalog app, and the rule id is a slug too.
 */
export function compilePolicy(policy: Policy): CompiledPolicy {
  const cached = compiled.get(policy);
  if (cached) return cached;
  const targets: RuleTarget[] = [];
  const matchers: Matcher[] = [];
  const unknown = new Set<string>();
  for (const rule of policy.rules) {
    if (rule.custom) {
      targets.push({ rule, appId: rule.id, name: rule.custom.name });
      matchers.push(rule.custom.match);
    } else if (rule.app) {
      const app = getCatalogApp(rule.app);
      const matcher = getCatalogMatcher(rule.app, rule.clients ?? 'all');
      if (!app || !matcher) {
        unknown.add(rule.app);
        continue;
      }
      targets.push({ rule, appId: app.id, name: app.name });
      matchers.push(matcher);
    }
  }
  const result = { targets, set: new MatcherSet(matchers), unknownApps: [...unknown] };
  compiled.set(policy, result);
  return result;
}

function cut(value: string | undefined, max: number): string | undefined {
  return value === undefined ? undefined : value.slice(0, max);
}

/** Only what the report needs about a matched install; fields are cut to the protocol's limits. */
function occurrence(app: InstalledApp, matchedBy: Occurrence['matchedBy']): Occurrence {
  const o: Occurrence = { source: app.source, scope: app.scope, name: app.name.slice(0, 300), matchedBy };
  if (app.version) o.version = cut(app.version, 100);
  if (app.location) o.location = cut(app.location, 1000);
  if (app.user) o.user = cut(app.user, 256);
  return o;
}

/** The command line is left out on purpose: it may carry file names, URLs or tokens the policy has no business with. */
function processEvidence(p: RunningProcess): ProcessEvidence {
  const e: ProcessEvidence = { pid: p.pid, name: p.name.slice(0, 300) };
  if (p.path) e.path = cut(p.path, 1000);
  return e;
}

function occurrenceKey(o: Occurrence): string {
  return [o.source, o.scope, o.name, o.version, o.location, o.user].join('\u0000');
}

/**
 * Fail-closed: what the findings say, unless the scan could not see enough (gaps) — then anything short of a banned
 * app found is unknown. Unknown carries no deadline: it is about the device's visibility, not about an app.
 */
function stateOf(findings: Finding[], gaps: CoverageGap[], now: Date): ComplianceState {
  const found = stateOfFindings(findings, now);
  const status = statusWithGaps(found.status, gaps);
  if (status === 'unknown') return { status, gaps, pastDeadline: false, daysPastDeadline: 0 };
  return gaps.length > 0 ? { ...found, gaps } : found;
}

function stateOfFindings(findings: Finding[], now: Date): ComplianceState {
  const bans = findings.filter((f) => f.action === 'ban');
  const relevant = bans.length ? bans : findings;
  if (relevant.length === 0) return { status: 'compliant', pastDeadline: false, daysPastDeadline: 0 };
  let earliest = relevant[0]!;
  for (const f of relevant) if (Date.parse(f.deadline) < Date.parse(earliest.deadline)) earliest = f;
  const overdueMs = now.getTime() - Date.parse(earliest.deadline);
  // Reached at the deadline's very instant: "by 15 September 00:00" means gone before then.
  const pastDeadline = overdueMs >= 0;
  return {
    status: bans.length ? 'violation' : 'warning',
    deadline: earliest.deadline,
    pastDeadline,
    daysPastDeadline: pastDeadline ? Math.floor(overdueMs / DAY_MS) : 0,
  };
}

/**
 * Pure: inventory × policy × now → compliance state and findings. The state is unknown when the scan could not see
 * enough (an essential source failed, nothing found at all) and no banned app turned up in what it did see. Findings carry only apps the policy asks about.
 * The same install seen twice (e.g. HKLM and WOW6432Node with identical values) is listed once; the same app seen by
 * two sources (dpkg and its .desktop entry) is listed once per source: both are evidence.
 */
export function evaluate(inventory: EvaluationInput, policy: Policy, now: Date): Evaluation {
  const { targets, set, unknownApps } = compilePolicy(policy);
  const installs = targets.map(() => new Map<string, Occurrence>());
  const running = targets.map(() => new Map<number, ProcessEvidence>());

  for (const app of inventory.apps) {
    for (const { index, matchedBy } of set.matchApp(app, inventory.os)) {
      const o = occurrence(app, matchedBy);
      const key = occurrenceKey(o);
      const list = installs[index]!;
      if (!list.has(key) && list.size < MAX_EVIDENCE) list.set(key, o);
    }
  }
  for (const proc of inventory.processes) {
    for (const index of set.matchProcess(proc, inventory.os)) {
      const list = running[index]!;
      if (!list.has(proc.pid) && list.size < MAX_EVIDENCE) list.set(proc.pid, processEvidence(proc));
    }
  }

  const findings: Finding[] = [];
  targets.forEach(({ rule, appId, name }, i) => {
    const found = [...installs[i]!.values()];
    const procs = [...running[i]!.values()];
    if (found.length === 0 && procs.length === 0) return;
    const evidence: Finding['evidence'] = [];
    if (found.length) evidence.push('installed');
    if (procs.length) evidence.push('running');
    findings.push({
      ruleId: rule.id,
      appId,
      name,
      action: rule.action,
      deadline: rule.deadline,
      evidence,
      installs: found,
      processes: procs,
    });
  });

  const gaps = coverageGaps({ os: inventory.os, installedCount: inventory.apps.length, sources: inventory.sources });
  return { state: stateOf(findings, gaps, now), findings, unknownApps };
}
