import { randomUUID } from 'node:crypto';
import type { ComplianceState, Finding, Policy, Report } from '../../protocol/index.js';
import type { EvaluationSummary } from '../../agent/report/build.js';

/** Builders for protocol-valid findings, evaluations, reports and a policy; tests override what they care about. */

export const DEADLINE = '2026-03-01T12:00:00.000Z';

export function finding(appId: string, overrides: Partial<Finding> = {}): Finding {
  return {
    ruleId: `no-${appId}`,
    appId,
    name: appId.charAt(0).toUpperCase() + appId.slice(1),
    action: 'ban',
    deadline: DEADLINE,
    evidence: ['installed'],
    installs: [{ source: 'dpkg', scope: 'machine', name: `${appId}-desktop`, matchedBy: 'package' }],
    processes: [],
    ...overrides,
  };
}

export function evaluation(findings: Finding[], state: Partial<ComplianceState> = {}): EvaluationSummary {
  const banned = findings.some((f) => f.action === 'ban');
  const status = findings.length === 0 ? 'compliant' : banned ? 'violation' : 'warning';
  return {
    state: {
      status,
      ...(status === 'compliant' ? {} : { deadline: DEADLINE }),
      pastDeadline: false,
      daysPastDeadline: 0,
      ...state,
    },
    findings,
  };
}

export const COMPLIANT = evaluation([]);

export function report(overrides: Partial<Report> = {}): Report {
  return {
    reportId: randomUUID(),
    kind: 'change',
    scannedAt: new Date().toISOString(),
    agentVersion: '0.1.0-test',
    policyVersion: 3,
    state: { status: 'compliant', pastDeadline: false, daysPastDeadline: 0 },
    findings: [],
    sources: [{ id: 'dpkg', ok: true }],
    ...overrides,
  };
}

export function policy(overrides: Partial<Policy> = {}): Policy {
  return {
    schema: 1,
    version: 3,
    issuedAt: '2025-12-01T08:00:00.000Z',
    organization: {
      name: 'Stadt Musterstadt IT',
      support: { email: 'it-service@musterstadt.example', phone: '+49 30 1234-5678' },
    },
    message: {
      de: 'Messenger wie WhatsApp sind auf Dienstgeräten nicht DSGVO-konform.',
      en: 'Messengers such as WhatsApp are not GDPR-compliant on work devices.',
    },
    rules: [
      { id: 'no-whatsapp', app: 'whatsapp', action: 'ban', deadline: DEADLINE },
      { id: 'no-snapchat', app: 'snapchat', action: 'ban', deadline: DEADLINE },
    ],
    intervals: { scanMinutes: 15, heartbeatMinutes: 60, policyRefreshMinutes: 60 },
    escalation: { reportOnly: false, mailWarningAfterDays: 7, blockAfterDays: 14, staleAfterHours: 72 },
    ...overrides,
  };
}
