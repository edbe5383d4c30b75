import { randomUUID } from 'node:crypto';
import type { HostFacts } from '../../protocol/enrollment.js';
import type { Repos } from '../context.js';
import { conflict, HttpError, notFound } from '../errors.js';

/**
 * Who may hold a machine's device (issue 14, finding 1). The enrollment secret is on every laptop and a machine id can
 * be computed by any local user (and is the same on cloned images), so neither proves anything about a machine that
 * already has a device. Taking one over needs the device's current token, or an admin approving a recorded request.
 */
export type EnrollOutcome =
  | { kind: 'new'; deviceId: string }
  /** The caller proved itself with the device's current token: same device, the new token replaces the old one. */
  | { kind: 'renewed'; deviceId: string }
  /** A known machine without proof: the new token works once an admin approves `requestId`. */
  | { kind: 'pending'; deviceId: string; requestId: string };

/** More open requests for one machine than this are refused (429): the admin list stays readable under a flood. */
export const MAX_PENDING_PER_MACHINE = 5;

export interface EnrollInput {
  host: HostFacts;
  /** Hash of the token the caller presented (Authorization), if any. */
  presentedTokenHash: string | null;
  newTokenHash: string;
  ip: string;
  now: number;
}

/** Call inside `ctx.tx`: the device row, the request and the audit entry change together. */
export async function enrollMachine(repos: Repos, input: EnrollInput): Promise<EnrollOutcome> {
  const { devices, audit: log, enrollmentRequests: requests } = repos;
  const { host, now } = input;
  const details = { hostname: host.hostname, os: host.os, osUser: host.osUser, agentVersion: host.agentVersion, ip: input.ip };
  const audit = (action: string, deviceId: string, extra: object = {}) =>
    log.append({
      at: now,
      actor: `device:${deviceId}`,
      action,
      target: `device:${deviceId}`,
      details: { ...details, ...extra },
    });

  if (input.presentedTokenHash !== null) {
    const holder = await devices.findIdByTokenHash(input.presentedTokenHash);
    const device = holder === undefined ? undefined : await devices.get(holder);
    // A token proves only its own device: another device's token says nothing about this machine.
    if (device && device.machine_id === host.machineId) {
      await devices.replaceToken(device.id, host, input.newTokenHash, now);
      await audit('device.reenroll', device.id, { proof: 'token' });
      return { kind: 'renewed', deviceId: device.id };
    }
  }

  const { id, reenrolled } = await devices.enroll(host, input.newTokenHash, now);
  if (!reenrolled) {
    await audit('device.enroll', id);
    return { kind: 'new', deviceId: id };
  }

  if ((await requests.countPendingFor(host.machineId)) >= MAX_PENDING_PER_MACHINE)
    throw new HttpError(
      429,
      'TOO_MANY_PENDING_ENROLLMENTS',
      'this machine already waits for an administrator to approve its enrollment; ask IT',
    );
  const requestId = randomUUID();
  await requests.create({
    id: requestId,
    machine_id: host.machineId,
    device_id: id,
    token_hash: input.newTokenHash,
    hostname: host.hostname,
    os: host.os,
    os_version: host.osVersion,
    os_user: host.osUser,
    agent_version: host.agentVersion,
    ip: input.ip,
    requested_at: now,
  });
  await audit('device.reenroll.request', id, { requestId });
  return { kind: 'pending', deviceId: id, requestId };
}

/**
 * An admin's decision on a pending request. Approving hands the request's token to the device (its old token dies);
 * denying kills the request's token. Call inside `ctx.tx`. Throws 404 / 409 HttpErrors.
 */
export async function decideEnrollmentRequest(
  repos: Repos,
  id: string,
  decision: 'approved' | 'denied',
  actor: string,
  now: number,
): Promise<{ deviceId: string }> {
  const requests = repos.enrollmentRequests;
  const request = await requests.get(id);
  if (!request) throw notFound('no such enrollment request');
  if (!(await requests.decide(id, decision, now, actor)))
    throw conflict('ENROLLMENT_REQUEST_DECIDED', `this request was already ${request.status}`);
  if (decision === 'approved') {
    const host: HostFacts = {
      hostname: request.hostname,
      os: request.os,
      osVersion: request.os_version,
      osUser: request.os_user,
      agentVersion: request.agent_version,
      machineId: request.machine_id,
    };
    await repos.devices.replaceToken(request.device_id, host, request.token_hash, now);
  }
  await repos.audit.append({
    at: now,
    actor,
    action: decision === 'approved' ? 'device.reenroll.approve' : 'device.reenroll.deny',
    target: `device:${request.device_id}`,
    details: { requestId: id, hostname: request.hostname, osUser: request.os_user, ip: request.ip },
  });
  return { deviceId: request.device_id };
}
