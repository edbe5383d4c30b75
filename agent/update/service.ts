import type { Policy } from '../../protocol/index.js';
import { currentOs } from '../inventory/current-os.js';
import type { Logger } from '../log.js';
import type { Fetch } from '../transport/errors.js';
import { AGENT_VERSION } from '../version.js';
import { installerPort } from './installer.js';
import { runUpdateStep } from './step.js';

export interface MachineUpdateWiring {
  stateDir: string;
  serverUrl: string;
  fetch: Fetch;
  policyPublicKey: string;
  /** IT's managed UpdateChannel: this device follows it instead of the policy's channel (a pilot group). */
  channel?: string;
  log: Logger;
}

/**
 * The update step as the machine service's turn runs it (runtime/context.ts loads this module only when an update
 * step is due and the policy enables updates): this OS, this architecture, this OS's installer port, this version.
 */
export async function machineUpdateStep(w: MachineUpdateWiring, policy: Policy, signal: AbortSignal): Promise<number | null> {
  const os = currentOs();
  return runUpdateStep({
    stateDir: w.stateDir,
    serverUrl: w.serverUrl,
    fetch: w.fetch,
    policyPublicKey: w.policyPublicKey,
    settings: policy.updates && w.channel !== undefined ? { ...policy.updates, channel: w.channel } : policy.updates,
    os,
    arch: process.arch,
    port: await installerPort(os),
    current: AGENT_VERSION,
    log: w.log,
    signal,
  });
}
