/**
 * Pure: the tray's facts from the state answer — the machine agent's on the tray channel (machine mode), or the same
 * view built in this process from the agent it hosts (per-user mode, user-agent.ts). No electron here.
 */
import type { StateMessage } from '../../agent/channel/messages.js';
import type { TrayFacts } from './tray-model.js';

/** The machine agent could not be asked (not installed, stopped, channel refused): the tray says so and keeps trying. */
export function unreachableFacts(appVersion: string): TrayFacts {
  return { reachable: false, mode: 'machine', lastCheck: null, policy: null, server: null, deviceId: null, appVersion };
}

export function factsFromState(s: StateMessage, appVersion: string, mode: TrayFacts['mode'] = 'machine'): TrayFacts {
  return {
    reachable: s.agent.running,
    mode,
    lastCheck: s.lastCheck && {
      at: s.lastCheck.at,
      status: s.lastCheck.status,
      findings: s.lastCheck.findings.map((f) => ({ name: f.name, action: f.action, deadline: f.deadline })),
    },
    ladder: s.ladder?.view ?? null,
    policy: s.policy && { version: s.policy.version, organization: s.policy.organization, expired: s.policy.expired },
    server: s.server ?? null,
    deviceId: s.deviceId ?? null,
    appVersion,
  };
}
