/**
 * The CLI's entry and each command are separate esbuild builds (scripts/bundle-cli.mjs); the entry tells a usage error
 * from other errors a command throws with `instanceof`, which holds only because agent/errors.ts is built once
 * (dist/cli/errors.js) and shared. With a copy per build, both would come out as "unexpected error" (still exit 2).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from '../../helpers/cli.js';

describe('errors a command throws, as the entry tells them', () => {
  it('a usage error raised inside the scan command: its message and the hint to its help', async () => {
    const { code, stderr } = await runCli(['scan', '--os', 'linux']);
    assert.equal(code, 2);
    assert.equal(stderr, 'appwacht: --os only applies together with --root\nSee: appwacht scan --help\n');
  });

  it('an AppwachtError raised inside the scan command: its message and its code, in German too', async () => {
    const { code, stderr } = await runCli(['scan', '--policy', '/nonexistent/policy.json', '--lang', 'de']);
    assert.equal(code, 2);
    assert.match(stderr, /^appwacht: .*\/nonexistent\/policy\.json.* \[POLICY_UNREADABLE\]\n$/);
    assert.doesNotMatch(stderr, /unerwarteter Fehler|unexpected error/);
  });
});
