import type { KeyObject } from 'node:crypto';
import { SignatureError, verifyPayload, type Policy, type SignedPolicy } from '../../protocol/index.js';
import { AppwachtError } from '../errors.js';
import { parsePolicyJson } from './policy-file.js';

/**
 * A signed policy the agent will not use. Codes: POLICY_UNSIGNED, POLICY_KEY_MISMATCH (signed by another key),
 * POLICY_BAD_SIGNATURE (tampered), POLICY_INVALID (signed, but not a policy this agent understands),
 * POLICY_EXPIRED, POLICY_OLDER (a lower version than the one in force: a replay or a rollback).
 */
export class PolicyRejectedError extends AppwachtError {}

/** Pure: checks the signature against the pinned key, then the payload against the Policy schema. */
export function openSignedPolicy(signed: SignedPolicy, publicKey: KeyObject): Policy {
  if (signed.signature.trim() === '') throw new PolicyRejectedError('POLICY_UNSIGNED', 'the policy carries no signature');
  let payload: string;
  try {
    payload = verifyPayload(signed, publicKey);
  } catch (err) {
    if (err instanceof SignatureError) {
      const code = err.code === 'KEY_MISMATCH' ? 'POLICY_KEY_MISMATCH' : 'POLICY_BAD_SIGNATURE';
      throw new PolicyRejectedError(code, err.message, { cause: err });
    }
    throw err;
  }
  try {
    return parsePolicyJson(payload, 'the signed policy');
  } catch (err) {
    throw new PolicyRejectedError('POLICY_INVALID', (err as Error).message, { cause: err });
  }
}

export function isExpired(policy: Policy, now: Date): boolean {
  return policy.expiresAt !== undefined && Date.parse(policy.expiresAt) <= now.getTime();
}

/**
 * Pure: may `candidate` replace the policy in force? Versions only go up; the same version must be the same document
 * (a re-signed copy is fine, different rules under an old number are not). An expired candidate is refused even when
 * newer: it tells of a server clock or signing problem, and the policy in force stays.
 */
export function checkSuccessor(
  candidate: { policy: Policy; payload: string },
  inForce: { policy: Policy; payload: string } | undefined,
  now: Date,
): void {
  if (isExpired(candidate.policy, now))
    throw new PolicyRejectedError(
      'POLICY_EXPIRED',
      `policy version ${candidate.policy.version} expired at ${candidate.policy.expiresAt}`,
    );
  if (!inForce) return;
  if (candidate.policy.version < inForce.policy.version)
    throw new PolicyRejectedError(
      'POLICY_OLDER',
      `policy version ${candidate.policy.version} is older than version ${inForce.policy.version} in force`,
    );
  if (candidate.policy.version === inForce.policy.version && candidate.payload !== inForce.payload)
    throw new PolicyRejectedError(
      'POLICY_OLDER',
      `policy version ${candidate.policy.version} differs from the version ${inForce.policy.version} in force without a new version number`,
    );
}
