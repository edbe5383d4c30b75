import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Policy, describeIssues } from '../../protocol/index.js';
import { getCatalogApp } from '../catalog/index.js';
import { AppwachtError } from '../errors.js';

/** The bundled policy is broken: a build bug, never a user error. */
export class DefaultPolicyError extends AppwachtError {}

const FILE = join('assets', 'default-policy.json');

/**
 * The folder that holds assets/: the repository root when run from source (agent/policy/ → ../..), one level higher
 * when run from the compiled dist/agent/policy/. Looked up instead of hard-coded so both layouts work.
 */
function findDefaultPolicyFile(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, FILE);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new DefaultPolicyError('DEFAULT_POLICY_MISSING', `bundled ${FILE} not found above ${fileURLToPath(import.meta.url)}`);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Validates the bundled policy text; exported for tests that feed it broken variants. */
export function parseDefaultPolicy(text: string, origin = FILE): Policy {
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

let cached: Policy | undefined;

/**
 * The policy the agent runs on in local mode (before enrollment, or without a server): what the city named, banned by
 * 15 September 2026. Its support contacts are example.org placeholders; the real ones arrive with the server's signed
 * policy. Validated on load and frozen (it is shared); a broken bundled policy throws DefaultPolicyError.
 */
export function loadDefaultPolicy(): Policy {
  cached ??= deepFreeze(parseDefaultPolicy(readFileSync(findDefaultPolicyFile(), 'utf8')));
  return cached;
}
