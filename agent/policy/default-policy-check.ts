import { describeIssues } from '../../protocol/issues.js';
import { Policy } from '../../protocol/policy.js';
import { getCatalogApp } from '../catalog/index.js';
import { AppwachtError } from '../errors.js';

/** The bundled policy is broken: a build bug, never a user error. */
export class DefaultPolicyError extends AppwachtError {}

/**
 * Checks a text meant as the bundled policy (assets/default-policy.json): the protocol's schema, and only apps the
 * catalog knows. The build runs this on the real file (scripts/check-default-policy.ts); tests feed it broken variants.
 */
export function parseDefaultPolicy(text: string, origin = 'assets/default-policy.json'): Policy {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new DefaultPolicyError('DEFAULT_POLICY_INVALID', `${origin} is not valid JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const result = Policy.safeParse(json);
  if (!result.success)
    throw new DefaultPolicyError(
      'DEFAULT_POLICY_INVALID',
      `${origin} is not a valid policy: ${describeIssues(result.error, Infinity)}`,
    );
  const unknown = result.data.rules.filter((r) => r.app !== undefined && !getCatalogApp(r.app)).map((r) => r.app);
  if (unknown.length)
    throw new DefaultPolicyError(
      'DEFAULT_POLICY_INVALID',
      `${origin} names apps the catalog does not know: ${unknown.join(', ')}`,
    );
  return result.data;
}
