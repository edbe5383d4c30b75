import type { Policy } from '../../protocol/policy.js';

/** Past its expiresAt? Zod-free (only a type import), so a scan that reads the cache without the schemas can ask too. */
export function isExpired(policy: Policy, now: Date): boolean {
  return policy.expiresAt !== undefined && Date.parse(policy.expiresAt) <= now.getTime();
}
