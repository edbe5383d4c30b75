import { z } from 'zod';
import { OsName } from './common.js';

export const HostFacts = z.strictObject({
  hostname: z.string().min(1).max(255),
  os: OsName,
  osVersion: z.string().max(100),
  osUser: z.string().min(1).max(256),
  agentVersion: z.string().min(1).max(50),
  /** SHA-256 (hex) of the platform machine id (MachineGuid, IOPlatformUUID, /etc/machine-id): stable per machine, re-enrolling never makes a twin. */
  machineId: z.string().regex(/^[0-9a-f]{64}$/),
});
export type HostFacts = z.infer<typeof HostFacts>;

export const EnrollRequest = z.strictObject({
  enrollmentSecret: z.string().min(16).max(200),
  host: HostFacts,
});
export type EnrollRequest = z.infer<typeof EnrollRequest>;

export const EnrollResponse = z.strictObject({
  deviceId: z.uuid(),
  /** Shown once; the server keeps only its hash. Sent as `Authorization: Bearer <token>`. */
  deviceToken: z.string().min(32).max(200),
  /**
   * Set (with HTTP 202) when this machine already has a device and the request did not carry that device's current
   * token: the token works once an administrator approves; until then calls with it answer 403 ENROLLMENT_PENDING.
   */
  pendingApproval: z.literal(true).optional(),
});
export type EnrollResponse = z.infer<typeof EnrollResponse>;
