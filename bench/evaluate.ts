/**
 * npm run bench:evaluate — evaluation of a well-used office laptop's inventory: ~3,000 installed apps and
 * 300 processes against 15 catalog rules, per OS. Baseline in the same run: one bare pass over the same
 * records that lower-cases each identifier and looks it up in a Set — the least any matcher has to do.
 */
import { ESSENTIAL_SOURCES, type OsName, type Policy } from '../protocol/index.js';
import { catalog } from '../agent/catalog/index.js';
import type { InstalledApp, RunningProcess } from '../agent/inventory/types.js';
import { compilePolicy, evaluate } from '../agent/policy/evaluate.js';
import { fmt, median, table } from './lib.js';

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
  // Every essential source read: the complete-scan path, the one that can answer compliant.
  const sources = ESSENTIAL_SOURCES[os].map((id) => ({ id, ok: true, count: apps.length }));
  return { os, apps, processes, sources };
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

function timeSync(runs: number, fn: () => unknown): number[] {
  for (let i = 0; i < 20; i++) fn(); // warm-up (JIT)
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    times.push(performance.now() - start);
  }
  return times;
}

const now = new Date('2026-09-01T00:00:00Z');
const t0 = performance.now();
compilePolicy(policy);
const compileMs = performance.now() - t0;
const rows: (string | number)[][] = [['os', 'baseline', 'evaluate', 'ratio', 'findings']];
for (const os of ['linux', 'windows', 'macos'] as const) {
  const inv = inventory(os);
  const wanted = new Set(['org.telegram.desktop.desktop', 'net.whatsapp.whatsapp']);
  const baseline = timeSync(200, () => {
    let hits = 0;
    for (const a of inv.apps) for (const id of Object.values(a.ids)) if (id && wanted.has(id.toLowerCase())) hits++;
    for (const p of inv.processes) if (wanted.has(p.name.toLowerCase())) hits++;
    return hits;
  });
  let findings = 0;
  const times = timeSync(200, () => (findings = evaluate(inv, policy, now).findings.length));
  if (findings !== 1) throw new Error(`expected exactly Telegram to be found, got ${findings} findings`);
  rows.push([
    os,
    fmt(median(baseline) * 1000) + ' µs',
    fmt(median(times) * 1000) + ' µs',
    (median(times) / median(baseline)).toFixed(1),
    findings,
  ]);
}
console.log(
  `bench:evaluate — ${policy.rules.length} rules, 3,002 apps, 301 processes, median of 200 runs; policy compiled once in ${fmt(compileMs)} ms`,
);
console.log(table(rows));
