/**
 * Multi-service containers (Ferdium, Franz, Rambox, Beeper …): catalog entries of their own, banned by no default,
 * explained in both languages wherever a finding is shown.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Policy } from '../../../protocol/index.js';
import { catalog, containerExplanation, getCatalogApp } from '../../../agent/catalog/index.js';
import { formatScan } from '../../../agent/cli/format-scan.js';
import type { InstalledApp } from '../../../agent/inventory/types.js';
import { loadDefaultPolicy } from '../../../agent/policy/default-policy.js';
import { evaluate } from '../../../agent/policy/evaluate.js';
import { seenAll } from '../../helpers/seen-all.js';
import type { ScanResult } from '../../../agent/scan.js';

const containers = catalog.filter((a) => a.container);
const NOW = new Date('2026-09-01T00:00:00Z');

describe('multi-service containers', () => {
  it('are in the catalog: Ferdium, Franz, Rambox and Beeper at least', () => {
    for (const id of ['ferdium', 'franz', 'rambox', 'beeper'])
      assert.ok(getCatalogApp(id)?.container, `${id} is no container entry`);
  });

  it('name the catalog services they host and explain themselves in German and English', () => {
    for (const app of containers) {
      const { hosts, why } = app.container!;
      assert.ok(hosts.length >= 2, `${app.id}: hosts`);
      for (const h of hosts) assert.ok(getCatalogApp(h) && !getCatalogApp(h)!.container, `${app.id}: ${h} is no catalog service`);
      assert.match(why.de, new RegExp(`^${app.name} ist eine Sammel-App: .*nicht von vornherein verboten`));
      assert.match(why.en, new RegExp(`^${app.name} is a multi-service container: .*not banned by default`));
      assert.equal(containerExplanation(app.id, 'de'), why.de);
    }
    assert.equal(containerExplanation('whatsapp', 'en'), undefined, 'an ordinary messenger has no container text');
    assert.equal(containerExplanation('no-such-app', 'de'), undefined);
  });

  it('are in no default ban list, so a Ferdium install alone leaves the device compliant', () => {
    const policy = loadDefaultPolicy();
    const named = new Set(policy.rules.map((r) => r.app));
    for (const app of containers) assert.ok(!named.has(app.id), `${app.id} is in the default policy`);
    const ferdium: InstalledApp = {
      name: 'Ferdium',
      source: 'flatpak',
      scope: 'machine',
      ids: { flatpakId: 'org.ferdium.Ferdium' },
    };
    assert.equal(
      evaluate({ os: 'linux', apps: [ferdium], processes: [], sources: seenAll('linux') }, policy, NOW).state.status,
      'compliant',
    );
  });

  it('can be warned about knowingly, and the scan output says why', () => {
    const base = loadDefaultPolicy();
    const policy = Policy.parse({
      ...base,
      rules: [...base.rules, { id: 'ferdium', app: 'ferdium', action: 'warn', deadline: '2026-09-15T00:00:00+02:00' }],
    });
    const ferdiumMac: InstalledApp = {
      name: 'Ferdium',
      source: 'bundle',
      scope: 'machine',
      ids: { bundleId: 'com.ferdium.ferdium-app' },
      location: '/Applications/Ferdium.app',
    };
    const evaluation = evaluate({ os: 'macos', apps: [ferdiumMac], processes: [], sources: seenAll('macos') }, policy, NOW);
    assert.equal(evaluation.state.status, 'warning');
    const result = { evaluation, policy, inventory: { sources: [] }, scannedAt: NOW } as unknown as ScanResult;
    const de = formatScan(result, 'bundled', 'de');
    assert.match(
      de,
      /✗ Ferdium\n\s+Ferdium ist eine Sammel-App: Sie öffnet Dienste wie WhatsApp, Telegram, Messenger, Discord und Signal/,
    );
    assert.match(formatScan(result, 'bundled', 'en'), /Ferdium is a multi-service container/);
  });
});
