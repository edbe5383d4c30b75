// Checks the bundled policy, assets/default-policy.json, against the protocol's schema and the catalog; run by
// `npm run build`. The agent uses the file as is (agent/policy/default-policy.ts), so a broken one must stop the build.
// Usage: node --import tsx scripts/check-default-policy.ts [file]   (default: the bundled one)
import { readFileSync } from 'node:fs';
import { parseDefaultPolicy } from '../agent/policy/default-policy-check.js';

const file = process.argv[2] ?? new URL('../assets/default-policy.json', import.meta.url);
try {
  parseDefaultPolicy(readFileSync(file, 'utf8'));
} catch (err) {
  console.error(`check-default-policy: ${(err as Error).message}`);
  process.exit(1);
}
