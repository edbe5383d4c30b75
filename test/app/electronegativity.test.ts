/**
 * @doyensec/electronegativity over app/ (its CLI, as CI would run it): no finding above LOW severity, unless it is
 * justified below. Each justification names the finding (check id, and the file where it points at one) and says why
 * it is not a problem; the test fails on any other finding, and says which justifications no longer match anything.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';

const JUSTIFIED: Record<string, string> = {
  // Electronegativity looks for a CSP in <meta> tags and in session.webRequest.onHeadersReceived. Ours is a response
  // header of every file of appwacht://status/ (app/main/window.ts rendererHandler, asserted in main-wiring.test.ts).
  CSP_GLOBAL_CHECK: 'the CSP is sent as a header by the appwacht:// protocol handler (window.ts), which the tool does not read',
  // The one openExternal: the URL is the signed policy's own support contact, built by contactUrl() (mailto:, tel:,
  // http(s) only, no credentials); the renderer names only a kind ('email' | 'phone' | 'url'), never a URL.
  'OPEN_EXTERNAL_JS_CHECK main/start.ts': 'opens only contactUrl(kind, policy.support), checked in contacts.ts',
};

const SEVERITY = ['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH'];

it('electronegativity: nothing above LOW severity in app/ that is not justified', { timeout: 180_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'aw-eneg-'));
  try {
    const out = join(dir, 'findings.csv');
    const bin = new URL('../../node_modules/@doyensec/electronegativity/dist/index.js', import.meta.url).pathname;
    // -e: the Electron version (otherwise it asks the network for Electron's releases); -r: paths relative to app/.
    const noNetwork = new URL('../helpers/no-network-got.mjs', import.meta.url).pathname;
    const run = spawnSync(
      process.execPath,
      ['--import', noNetwork, bin, '-i', 'app', '-o', out, '-r', '-v', 'false', '-e', '42.0.0'],
      {
        cwd: new URL('../..', import.meta.url).pathname,
        encoding: 'utf8',
        timeout: 170_000,
      },
    );
    assert.equal(run.status, 0, run.stderr);
    const rows = (await readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => {
        const [issue, severity, confidence, file, location] = line.split(',').map((c) => c.replace(/^"|"$/g, ''));
        return { issue: issue!, severity: severity!, confidence: confidence!, file: file!, location: location! };
      });
    const serious = rows.filter((r) => SEVERITY.indexOf(r.severity) > SEVERITY.indexOf('LOW'));
    const unjustified = serious.filter((r) => !JUSTIFIED[`${r.issue} ${r.file}`] && !JUSTIFIED[r.issue]);
    assert.deepEqual(unjustified, [], 'findings above LOW without a justification in this test');
    const used = new Set(serious.flatMap((r) => [`${r.issue} ${r.file}`, r.issue]));
    const stale = Object.keys(JUSTIFIED).filter((k) => !used.has(k));
    if (stale.length) console.log(`justifications that match no finding any more (remove them): ${stale.join(', ')}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
