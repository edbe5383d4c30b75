import { join } from 'node:path';

/**
 * Every file and folder the agent keeps in its state folder (state/paths.ts finds the folder), by name: the one place
 * these names are spelled. What each holds, who writes it and its mode: agent/state/README.md. Plain strings and
 * node:path only, so the resident supervisor can load it (agent/runtime/README.md).
 */
export const STATE_FILES = {
  /** The instance lock: one agent per state folder (state/lock.ts). */
  instanceLock: 'appwacht.lock',
  /** The turn lock: one turn at a time, also across a killed supervisor (runtime/turn-lock.ts). */
  turnLock: 'turn.lock',
  /** The device credentials from enrollment (enroll/token-store.ts). */
  device: 'device.json',
  /** The last signed policy the server sent, with its ETag (policy/store.ts). */
  policy: 'policy.json',
  /** Which bytes of policy.json this agent version checked in full: a scan may skip the schemas (policy/checked-marker.ts). */
  policyChecked: 'policy-checked.json',
  /** What the agent last did and saw, and the committed reports not yet queued (runtime/state.ts). */
  runtimeState: 'agent-state.json',
  /** What one turn hands the next (runtime/schedule.ts). */
  schedule: 'schedule.json',
  /** Which notifications were shown when (notify/service.ts). */
  notifications: 'notifications.json',
  /** What the machine service's turns leave for the employees' trays (channel/tray-view.ts). */
  trayView: 'tray-view.json',
  /** The last report the server acknowledged, exactly as sent, and when (report/last-delivered.ts). */
  lastDelivered: 'last-report.json',
  /** Where the server's last report answer put the device on the escalation ladder (report/last-delivered.ts). */
  ladder: 'ladder.json',
  /** The update client's record: last check, waiting download, install under way, last event (update/record.ts). */
  update: 'update.json',
  /** Installers downloaded and verified, the install helper's result and log (update/step.ts; machine service only). */
  updates: 'updates',
  /** Queued reports, one file each, and `rejected/` for those the server refused (outbox/outbox.ts). */
  outbox: 'outbox',
} as const;

export type StateFile = keyof typeof STATE_FILES;

/** `<state folder>/<the file's name>`. */
export function statePath(stateDir: string, file: StateFile): string {
  return join(stateDir, STATE_FILES[file]);
}
