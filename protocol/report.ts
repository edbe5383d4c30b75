import { z } from 'zod';
import { INT4_MAX, IsoDateTime, Scope, Slug, SourceKind } from './common.js';
import { LadderView } from './ladder.js';
import { RuleAction } from './policy.js';

/** Which identifier made the match: exact ids come before anchored names. */
export const MatchedBy = z.enum([
  'bundleId',
  'appxName',
  'appxFamily',
  'uninstallKey',
  'flatpakId',
  'snapName',
  'package',
  'desktopId',
  'name',
  'process',
]);
export type MatchedBy = z.infer<typeof MatchedBy>;

/** One install of a banned app, as the agent saw it. */
export const Occurrence = z.strictObject({
  source: SourceKind,
  scope: Scope,
  name: z.string().max(300),
  version: z.string().max(100).optional(),
  location: z.string().max(1000).optional(),
  user: z.string().max(256).optional(),
  matchedBy: MatchedBy,
});
export type Occurrence = z.infer<typeof Occurrence>;

export const ProcessEvidence = z.strictObject({
  pid: z.number().int().min(0),
  name: z.string().max(300),
  path: z.string().max(1000).optional(),
});
export type ProcessEvidence = z.infer<typeof ProcessEvidence>;

/** A banned app found on the device. Only apps the policy asks about are ever reported. */
export const Finding = z.strictObject({
  ruleId: Slug,
  appId: Slug,
  name: z.string().max(300),
  action: RuleAction,
  deadline: IsoDateTime,
  evidence: z
    .array(z.enum(['installed', 'running']))
    .min(1)
    .max(2),
  installs: z.array(Occurrence).max(50),
  processes: z.array(ProcessEvidence).max(50),
});
export type Finding = z.infer<typeof Finding>;

/**
 * compliant: nothing found in a complete scan; warning: only apps the policy warns about; violation: a banned app;
 * unknown: no banned app found, but the scan could not see enough to say the device is clean (see coverage.ts).
 */
export const ComplianceStatus = z.enum(['compliant', 'warning', 'violation', 'unknown']);
export type ComplianceStatus = z.infer<typeof ComplianceStatus>;

/** Why a scan could not vouch for a clean device. Codes, not prose: agent and server word them each in their language. */
export const CoverageGap = z.strictObject({
  code: z.enum([
    /** An essential source could not be read, or only in part (`source` names it). */
    'SOURCE_FAILED',
    /** An essential source of the device's OS is not among the report's sources. */
    'SOURCE_MISSING',
    /** The scan lists no source at all. */
    'NO_SOURCES',
    /** Every source worked and none found a single application: no real system looks like that. */
    'NOTHING_FOUND',
    /** Linux: neither a dpkg nor an rpm database was found (not a system tree, or a package manager we do not read). */
    'NO_PACKAGE_DATABASE',
  ]),
  source: z.string().min(1).max(40).optional(),
});
export type CoverageGap = z.infer<typeof CoverageGap>;

export const ComplianceState = z.strictObject({
  status: ComplianceStatus,
  /** What the scan could not see (present when incomplete; a violation found elsewhere may carry them too). */
  gaps: z.array(CoverageGap).max(60).optional(),
  /** Earliest deadline among the banned apps found (absent when compliant). */
  deadline: IsoDateTime.optional(),
  pastDeadline: z.boolean(),
  /** Whole days since that deadline, 0 before it. */
  daysPastDeadline: z.number().int().min(0),
});
export type ComplianceState = z.infer<typeof ComplianceState>;

/** Whether each inventory source could be read, without its contents. */
export const SourceStatus = z.strictObject({
  id: z.string().min(1).max(40),
  /** false when the source failed or could be read only in part (then its records still count as evidence). */
  ok: z.boolean(),
  error: z.string().max(300).optional(),
});
export type SourceStatus = z.infer<typeof SourceStatus>;

export const Report = z.strictObject({
  /** Chosen by the agent; a retry carries the same id and is stored once. */
  reportId: z.uuid(),
  kind: z.enum(['change', 'heartbeat']),
  scannedAt: IsoDateTime,
  agentVersion: z.string().min(1).max(50),
  /** null while the agent runs on its bundled policy (local mode). */
  policyVersion: z.number().int().min(0).max(INT4_MAX).nullable(),
  state: ComplianceState,
  findings: z.array(Finding).max(100),
  sources: z.array(SourceStatus).max(50),
});
export type Report = z.infer<typeof Report>;

export const ReportAck = z.strictObject({
  reportId: z.uuid(),
  /** false when this id was stored before (a retry): still a success for the agent. */
  stored: z.boolean(),
  /** Where the device stands on the escalation ladder after this report (absent for a replay). */
  ladder: LadderView.optional(),
});
export type ReportAck = z.infer<typeof ReportAck>;
