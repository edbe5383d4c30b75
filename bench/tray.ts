/**
 * The tray app's part of `npm run bench:agent` (also alone: BENCH_TRAY_ONLY=1 npm run bench:agent). Electron cannot run
 * here, so it measures what can be measured and prints Electron's own figures from public sources beside them:
 *   - the status window's page (dist/app/renderer, the renderer tests' stand-in bridge, the "banned" scenario) in
 *     Debian's Chromium: its JS heap after a GC (CDP Performance.getMetrics) and what opening it adds to the browser's
 *     processes (PSS from /proc/<pid>/smaps_rollup, summed over the Chromium process tree, before/after);
 *   - systeminformation's cost per call path on Linux (system(), osInfo()), cold in a fresh Node and warm, and the
 *     module's resident cost.
 * The window is closed (hidden) at idle, so its renderer is not resident then: what stays is Electron's main process
 * (a Node with Chromium's browser side), its GPU and network helpers.
 * Without Chromium (BENCH_CHROMIUM, default /usr/bin/chromium, missing or not starting) the page's figures are skipped
 * with a line saying why, and the bench ends normally.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { SCENARIOS } from '../test/app/renderer/scenarios.js';

const ROOT = new URL('..', import.meta.url).pathname;
/** Debian's Chromium; BENCH_CHROMIUM names another (or a missing one, to see the skip). */
const CHROMIUM = process.env.BENCH_CHROMIUM ?? '/usr/bin/chromium';
const mib = (kb: number) => (kb / 1024).toFixed(1);

/** PSS (kB) of a process and all its descendants (shared pages counted once in total, not once per process). */
function treePss(pid: number): number {
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(d)]);
    } catch {
      // gone
    }
  }
  let total = 0;
  const walk = (p: number) => {
    try {
      total += Number(/Pss:\s+(\d+)/.exec(readFileSync(`/proc/${p}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
    } catch {
      // gone
    }
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(pid);
  return total;
}

/** Said instead of the renderer's figures: the bench ends normally without them (the agent's figures are printed). */
function rendererSkipped(why: string): string[] {
  return [`status window page: figures skipped, ${why}`];
}

async function rendererFigures(): Promise<string[]> {
  if (!existsSync(CHROMIUM)) return rendererSkipped(`no Chromium at ${CHROMIUM} (apt-get install chromium, or set BENCH_CHROMIUM)`);
  const out = mkdtempSync(join(tmpdir(), 'aw-bench-renderer-'));
  try {
    const built = spawnSync(process.execPath, [join(ROOT, 'scripts/bundle-renderer.mjs')], {
      env: { ...process.env, RENDERER_OUT: out },
      encoding: 'utf8',
    });
    if (built.status !== 0) return [`renderer: not built (${built.stderr.trim().slice(0, 200)})`];
    const standIn = (
      await build({
        entryPoints: [join(ROOT, 'test/app/renderer/stand-in.ts')],
        bundle: true,
        format: 'iife',
        write: false,
        platform: 'browser',
      })
    ).outputFiles[0]!.text;
    let browser: Awaited<ReturnType<typeof chromium.launch>>;
    try {
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking'],
      });
    } catch (err) {
      return rendererSkipped(`Chromium at ${CHROMIUM} did not start (${String((err as Error).message).split('\n')[0]!.slice(0, 200)})`);
    }
    try {
      // The browser process's pid: Playwright does not expose it; the newest chromium child of this process is it.
      const browserPid = Number(
        spawnSync('pgrep', ['-n', '-P', String(process.pid), 'chromium'], { encoding: 'utf8' }).stdout.trim() ||
          spawnSync('pgrep', ['-n', '-P', String(process.pid)], { encoding: 'utf8' }).stdout.trim(),
      );
      const blank = await browser.newContext();
      await (await blank.newPage()).goto('about:blank');
      await new Promise((r) => setTimeout(r, 1500));
      const before = treePss(browserPid);
      const context = await browser.newContext({ viewport: { width: 760, height: 1000 } });
      const page = await context.newPage();
      await page.addInitScript({ content: `window.__scenario = ${JSON.stringify(SCENARIOS.banned)};` });
      await page.addInitScript({ content: standIn });
      await page.goto(pathToFileURL(join(out, 'index.html')).href);
      await page.waitForLoadState('load');
      await new Promise((r) => setTimeout(r, 1500));
      const cdp = await context.newCDPSession(page);
      await cdp.send('HeapProfiler.collectGarbage');
      await cdp.send('Performance.enable');
      const { metrics } = await cdp.send('Performance.getMetrics');
      const m = (name: string) => metrics.find((x) => x.name === name)?.value ?? NaN;
      const after = treePss(browserPid);
      const version = browser.version();
      return [
        `status window page (Chromium ${version}, "banned" scenario, after GC): JS heap used ${(m('JSHeapUsedSize') / 1048576).toFixed(2)} MiB ` +
          `of ${(m('JSHeapTotalSize') / 1048576).toFixed(2)} MiB, ${m('Nodes')} DOM nodes`,
        `opening it adds ${mib(after - before)} MiB PSS to the Chromium process tree (${mib(before)} → ${mib(after)} MiB; ` +
          `headless, no GPU process)`,
      ];
    } finally {
      await browser.close();
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** systeminformation in a fresh Node: import, each call cold, then warm; resident memory before and after. */
function systemInformationFigures(): string[] {
  const script = `
    const t = () => performance.now();
    const rss0 = process.memoryUsage().rss;
    let a = t(); const si = (await import('systeminformation')).default; const imp = t() - a;
    const rss1 = process.memoryUsage().rss;
    a = t(); await si.system(); const sys1 = t() - a;
    a = t(); await si.osInfo(); const os1 = t() - a;
    a = t(); await si.system(); const sys2 = t() - a;
    a = t(); await si.osInfo(); const os2 = t() - a;
    const rss2 = process.memoryUsage().rss;
    console.log(JSON.stringify({ imp, sys1, os1, sys2, os2, rss0, rss1, rss2 }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) return [`systeminformation: failed (${r.stderr.trim().slice(0, 200)})`];
  const f = JSON.parse(r.stdout.trim()) as Record<string, number>;
  const ms = (v: number) => `${Math.round(v)} ms`;
  return [
    `systeminformation (Linux): import ${ms(f.imp!)}, +${((f.rss1! - f.rss0!) / 1048576).toFixed(1)} MiB RSS; ` +
      `system() cold ${ms(f.sys1!)} / warm ${ms(f.sys2!)}; osInfo() cold ${ms(f.os1!)} / warm ${ms(f.os2!)}; ` +
      `RSS after the calls ${(f.rss2! / 1048576).toFixed(1)} MiB`,
  ];
}

/** Electron's resident cost from public reports (Electron cannot run here); see BENCHMARKS.md for the sources. */
export const ELECTRON_PUBLIC_FIGURES = [
  'Electron, public figures (not measured here): a tray-only Electron app ~80 MB RAM across 4 processes on Windows ' +
    '(main, network service, one window, GPU; twinkle-tray maintainer, 2020); an empty Electron app ~40 MB on macOS, the ' +
    'quick-start window ~256 MB (electron/electron#8362, 2017); a heavier app on macOS arm64: main ~376 MB, GPU helper ' +
    '~155 MB, network helper ~62 MB RSS (macrocosm-os/iota#192, 2026). RSS counts Chromium’s shared pages once per process.',
];

export async function benchTray(supervisor?: { rssMiB: number; baselineMiB: number }): Promise<void> {
  console.log('\ntray app (Electron cannot run here: measured parts, and Electron’s own figures from public sources)');
  if (supervisor)
    console.log(
      `  beside it, same run: headless supervisor ${supervisor.rssMiB.toFixed(1)} MiB RSS (bare node ${supervisor.baselineMiB.toFixed(1)} MiB)`,
    );
  for (const line of [...(await rendererFigures()), ...systemInformationFigures(), ...ELECTRON_PUBLIC_FIGURES])
    console.log(`  ${line}`);
}
