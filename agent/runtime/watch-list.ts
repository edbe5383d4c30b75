import type { Policy } from '../../protocol/index.js';
import { getCatalogMatcher } from '../catalog/index.js';

/**
 * The executable names every rule of a policy names (catalog and custom), sorted and without repeats: what the
 * resident process watch matches against (process-watch.ts `watchMatchers`), so it needs neither catalog nor policy.
 * The same matchers the evaluation uses (policy/evaluate.ts compilePolicy); a rule for an unknown app names none.
 */
export function watchedProcessNames(policy: Policy): string[] {
  const names = new Set<string>();
  for (const rule of policy.rules) {
    const matcher = rule.custom ? rule.custom.match : rule.app ? getCatalogMatcher(rule.app, rule.clients ?? 'all') : undefined;
    for (const name of matcher?.processes ?? []) names.add(name);
  }
  return [...names].sort();
}
