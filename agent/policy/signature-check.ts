import type { KeyObject } from 'node:crypto';
import type { SignedPolicy } from '../../protocol/policy.js';
import { SignatureError, verifyPayload } from '../../protocol/signing.js';
import { AppwachtError } from '../errors.js';

/**
 * A signed policy the agent will not use. Codes: POLICY_UNSIGNED, POLICY_KEY_MISMATCH (signed by another key),
 * POLICY_BAD_SIGNATURE (tampered), POLICY_INVALID (signed, but not a policy this agent understands),
 * POLICY_EXPIRED, POLICY_OLDER (a lower version than the one in force or than IT's minimum: a replay or a rollback).
 */
export class PolicyRejectedError extends AppwachtError {}

/**
 * Pure: the signed payload, if the signature is valid for the pinned key. The signature part of `openSignedPolicy`
 * (signed.ts), without the schema: this module loads no zod, so a scan whose cache the agent has already checked
 * (policy/checked-marker.ts) verifies the signature without it.
 */
export function verifySignedPolicy(signed: SignedPolicy, publicKey: KeyObject): string {
  if (signed.signature.trim() === '') throw new PolicyRejectedError('POLICY_UNSIGNED', 'the policy carries no signature');
  try {
    return verifyPayload(signed, publicKey);
  } catch (err) {
    if (err instanceof SignatureError) {
      const code = err.code === 'KEY_MISMATCH' ? 'POLICY_KEY_MISMATCH' : 'POLICY_BAD_SIGNATURE';
      throw new PolicyRejectedError(code, err.message, { cause: err });
    }
    throw err;
  }
}
