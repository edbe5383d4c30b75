/**
 * A tiny measurement, not a benchmark suite: ~3,000 installed apps and 300 processes against 15 catalog rules,
 * the size of a well-used office laptop. The figure is printed as a test diagnostic; the assertion only guards
 * against an order-of-magnitude regression (a shared CI machine is noisy).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { OsName, Policy } from '../../../protocol/index.js';
import { catalog } from '../../../agent/catalog/index.js';
import type { InstalledApp, RunningProcess } from '../../../agent/inventory/types.js';
import { compilePolicy, evaluate } from '../../../agent/policy/evaluate.js';

function inventory(os: OsName) {
  const apps: InstalledApp[] = [];
  for (let i = 0; i < 3000; i++) {
    const kind = i % 4;
    if (kind === 0)
      apps.push({
        name: `Vendor ${i} Tool ${i % 97}.${i % 13}`,
        publisher: `Vendor ${i % 211} GmbH`,
        source: 'registry',
        scope: 'machine',
        ids: { uninstallKey: `{${i.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000}` },
      });
    else if (kind === 1)
      apps.push({
        name: `lib-package-${i}`,
        version: `1.${i}`,
        source: 'dpkg',
        scope: 'machine',
        ids: { packageName: `lib-package-${i}` },
      });
    else if (kind === 2)
      apps.push({ name: `Some App ${i}`, source: 'bundle', scope: 'machine', ids: { bundleId: `com.example.app${i}` } });
    else
      apps.push({ name: `App ${i}`, source: 'desktop-entry', scope: 'user', ids: { desktopId: `org.example.App${i}.desktop` } });
  }
  apps.push({
    name: 'Telegram Desktop',
    source: 'desktop-entry',
    scope: 'machine',
    ids: { desktopId: 'org.telegram.desktop.desktop' },
  });
  apps.push({
    name: 'SignalRGB',
    publisher: 'WhirlwindFX',
    source: 'registry',
    scope: 'user',
    ids: { uninstallKey: 'SignalRgb' },
  });
  const processes: RunningProcess[] = Array.from({ length: 300 }, (_, i) => ({
    pid: 100 + i,
    name: `proc-${i}`,
    path: `/usr/bin/proc-${i}`,
  }));
  processes.push({ pid: 9999, name: 'telegram-deskto' });
  return { os, apps, processes };
}

const policy: Policy = {
  schema: 1,
  version: 1,
  issuedAt: '2026-06-01T00:00:00+02:00',
  organization: { name: 'Bench', support: { email: 'it@example.org' } },
  message: { de: 'x', en: 'x' },
  rules: catalog
    .slice(0, 15)
    .map((a) => ({ id: a.id, app: a.id, action: 'ban' as const, deadline: '2026-09-15T00:00:00+02:00' })),
  intervals: { scanMinutes: 15, heartbeatMinutes: 60, policyRefreshMinutes: 60 },
  escalation: { reportOnly: false, mailWarningAfterDays: 0, blockAfterDays: 14, staleAfterHours: 72 },
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

it('evaluates ~3,000 apps × 15 rules in well under a few milliseconds', (t) => {
  const now = new Date('2026-09-01T00:00:00Z');
  const t0 = performance.now();
  compilePolicy(policy);
  const compileMs = performance.now() - t0;
  for (const os of ['linux', 'windows', 'macos'] as const) {
    const inv = inventory(os);
    for (let i = 0; i < 20; i++) evaluate(inv, policy, now); // warm-up (JIT)
    const times: number[] = [];
    let findings = 0;
    for (let i = 0; i < 100; i++) {
      const start = performance.now();
      findings = evaluate(inv, policy, now).findings.length;
      times.push(performance.now() - start);
    }
    const med = median(times);
    t.diagnostic(
      `${os}: ${inv.apps.length} apps, ${inv.processes.length} processes, ${policy.rules.length} rules: median ${med.toFixed(3)} ms, min ${Math.min(...times).toFixed(3)} ms over 100 runs (compile once: ${compileMs.toFixed(2)} ms)`,
    );
    assert.equal(findings, 1, 'Telegram found (by its desktop id), SignalRGB never');
    assert.ok(med < 10, `median ${med} ms`);
  }
});
