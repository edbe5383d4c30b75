import { join } from 'node:path';
import type { ComplianceState, Finding, Policy } from '../../protocol/index.js';
import { writeFileAtomic } from '../state/files.js';
import { STATE_FILES } from '../state/names.js';

/** In the machine agent's state folder (root-only): the last evaluation with the installs' users, for the tray channel. */
export const TRAY_VIEW_FILE = STATE_FILES.trayView;

/**
 * Machine mode's stand-in for desktop notifications (root has no desktop): after each evaluation the turn writes what the
 * tray channel needs to answer each account about its own findings. Only what the policy asks about, as in reports.
 */
export async function writeTrayView(
  stateDir: string,
  evaluation: { state: ComplianceState; findings: Finding[] },
  policy: Policy,
  at: Date,
): Promise<void> {
  const view = {
    format: 'appwacht-tray-view',
    at: at.toISOString(),
    policyExpiresAt: policy.expiresAt ?? null,
    // The status window shows whom to ask and the organisation's own words; the gaps say why a check is incomplete.
    support: policy.organization.support,
    message: policy.message,
    gaps: evaluation.state.gaps ?? [],
    findings: evaluation.findings,
  };
  await writeFileAtomic(join(stateDir, TRAY_VIEW_FILE), JSON.stringify(view) + '\n', 0o600);
}
