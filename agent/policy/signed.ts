import type { KeyObject } from 'node:crypto';
import { samePolicyContent, type Policy, type SignedPolicy } from '../../protocol/index.js';
import { isExpired } from './expiry.js';
import { parsePolicyJson } from './policy-file.js';
import { PolicyRejectedError, verifySignedPolicy } from './signature-check.js';

export { PolicyRejectedError } from './signature-check.js';
export { isExpired } from './expiry.js';

/** Pure: checks the signature against the pinned key, then the payload against the Policy schema. */
export function openSignedPolicy(signed: SignedPolicy, publicKey: KeyObject): Policy {
  const payload = verifySignedPolicy(signed, publicKey);
  try {
    return parsePolicyJson(payload, 'the signed policy');
  } catch (err) {
    throw new PolicyRejectedError('POLICY_INVALID', (err as Error).message, { cause: err });
  }
}

/**
 * Pure: may `candidate` replace the policy in force? Versions only go up, and never below the minimum IT pinned in the
 * managed config (`minVersion`): that is what protects a fresh agent, which has nothing in force yet, from an old signed
 * version replayed at it. The same version must be the same document, except for a renewal: the same content re-signed
 * with a later expiry (issuedAt and expiresAt move forward, nothing else changes). An expired candidate is refused even
 * when newer: it tells of a server clock or signing problem, or of a replay, and the policy in force stays.
 */
export function checkSuccessor(
  candidate: { policy: Policy; payload: string },
  inForce: { policy: Policy; payload: string } | undefined,
  now: Date,
  minVersion?: number,
): void {
  if (isExpired(candidate.policy, now))
    throw new PolicyRejectedError(
      'POLICY_EXPIRED',
      `policy version ${candidate.policy.version} expired at ${candidate.policy.expiresAt}`,
    );
  if (minVersion !== undefined && candidate.policy.version < minVersion)
    throw new PolicyRejectedError(
      'POLICY_OLDER',
      `policy version ${candidate.policy.version} is below the minimum version ${minVersion} set by IT`,
    );
  if (!inForce) return;
  if (candidate.policy.version < inForce.policy.version)
    throw new PolicyRejectedError(
      'POLICY_OLDER',
      `policy version ${candidate.policy.version} is older than version ${inForce.policy.version} in force`,
    );
  if (candidate.policy.version === inForce.policy.version && candidate.payload !== inForce.payload) {
    if (!samePolicyContent(candidate.policy, inForce.policy))
      throw new PolicyRejectedError(
        'POLICY_OLDER',
        `policy version ${candidate.policy.version} differs from the version ${inForce.policy.version} in force without a new version number`,
      );
    if (!extendsExpiry(candidate.policy, inForce.policy))
      throw new PolicyRejectedError(
        'POLICY_OLDER',
        `policy version ${candidate.policy.version} is an older signing (expires ${candidate.policy.expiresAt ?? 'never'}) than the one in force (expires ${inForce.policy.expiresAt ?? 'never'})`,
      );
  }
}

/** A renewal must not shorten the validity: an earlier signing replayed after a renewal is a rollback of the expiry. */
function extendsExpiry(candidate: Policy, inForce: Policy): boolean {
  if (candidate.expiresAt === undefined) return false;
  if (inForce.expiresAt === undefined) return true;
  return Date.parse(candidate.expiresAt) >= Date.parse(inForce.expiresAt);
}
