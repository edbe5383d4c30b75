import type { Policy } from '../../protocol/policy.js';
import bundled from '../../assets/default-policy.json' with { type: 'json' };

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

let cached: Policy | undefined;

/**
 * The policy the agent runs on in local mode (before enrollment, or without a server): what the city named, banned by
 * 15 September 2026. Its support contacts are example.org placeholders; the real ones arrive with the server's signed
 * policy. Frozen, because it is shared.
 *
 * It is part of the program like the code beside it (imported, so the bundles carry it), and checked like code: by the
 * build (scripts/check-default-policy.ts, run by `npm run build`) and by its tests, against the protocol's schema and the
 * catalog (default-policy-check.ts). Not on every start: that check loads zod, which was a third of a scan's start-up.
 */
export function loadDefaultPolicy(): Policy {
  cached ??= deepFreeze(bundled as Policy);
  return cached;
}
