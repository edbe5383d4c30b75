/**
 * Pure: the tray's facts from what each host gives — the machine agent's answer on the tray channel (machine mode) or
 * `appwacht status --json`'s object of the agent this app hosts (per-user mode). No electron here.
 */
import type { StateMessage } from '../../agent/channel/messages.js';
import type { statusJson } from '../../agent/runtime/status.js';
import type { TrayFacts } from './tray-model.js';

export type StatusJson = ReturnType<typeof statusJson>;

/** The machine agent could not be asked (not installed, stopped, channel refused): the tray says so and keeps trying. */
export function unreachableFacts(appVersion: string): TrayFacts {
  return { reachable: false, mode: 'machine', lastCheck: null, policy: null, server: null, deviceId: null, appVersion };
}

export function factsFromChannel(s: StateMessage, appVersion: string): TrayFacts {
  return {
    reachable: s.agent.running,
    mode: 'machine',
    lastCheck: s.lastCheck && {
      at: s.lastCheck.at,
      status: s.lastCheck.status,
      findings: s.lastCheck.findings.map((f) => ({ name: f.name, action: f.action, deadline: f.deadline })),
    },
    policy: s.policy && { version: s.policy.version, organization: s.policy.organization, expired: s.policy.expired },
    server: s.server ?? null,
    deviceId: s.deviceId ?? null,
    appVersion,
  };
}

export function factsFromStatus(s: StatusJson, appVersion: string): TrayFacts {
  const c = s.compliance;
  return {
    reachable: true,
    mode: 'user',
    lastCheck: c && {
      at: c.scannedAt,
      status: c.status,
      findings: c.findings.map((f) => ({ name: f.name, action: f.action, deadline: findingDeadline(c, f.action) })),
    },
    policy: s.policy && { version: s.policy.version, organization: s.policy.organization, expired: s.policy.expired },
    server: s.server,
    deviceId: s.enrollment?.deviceId ?? null,
    appVersion,
  };
}

/** The state file keeps one deadline for the device (the earliest of the banned apps), not one per finding. */
function findingDeadline(c: NonNullable<StatusJson['compliance']>, action: 'ban' | 'warn'): string {
  return action === 'ban' ? (c.deadline ?? '') : '';
}
