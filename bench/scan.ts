/**
 * npm run bench:scan — how long a scan of this machine takes, next to the raw tools it replaces.
 *
 * Baseline (same run, same machine): `dpkg-query -W` followed by `ps -e`, i.e. the cheapest way to list
 * installed packages and processes from a shell. Goal: the in-process scan within 1.5× of it; the CLI
 * (a whole `appwacht scan --json` process, Node start-up included) under 100 MB peak memory.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { loadDefaultPolicy } from '../agent/policy/default-policy.js';
import { scan } from '../agent/scan.js';
import { fmt, median, runMeasured, table, timeRuns } from './lib.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 25);
const exec = promisify(execFile);
const cli = fileURLToPath(new URL('../bin/appwacht.js', import.meta.url));

const baseline = await timeRuns(RUNS, async () => {
  await exec('dpkg-query', ['-W'], { maxBuffer: 64 << 20 });
  await exec('ps', ['-e'], { maxBuffer: 64 << 20 });
});

const policy = loadDefaultPolicy();
let last: Awaited<ReturnType<typeof scan>> | undefined;
const inProcess = await timeRuns(RUNS, async () => {
  last = await scan({ policy });
});

const cliRuns = [];
for (let i = 0; i < Math.min(RUNS, 20); i++) cliRuns.push(await runMeasured(process.execPath, [cli, 'scan', '--json']));
const cliMs = cliRuns.map((r) => r.ms);
const cliRssMiB = Math.max(...cliRuns.map((r) => r.maxRssKiB)) / 1024;

const base = median(baseline);
const mine = median(inProcess);
const inv = last!.inventory;
console.log(`bench:scan on ${process.platform}, node ${process.version}, ${RUNS} runs each (median)`);
console.log(`inventory: ${inv.apps.length} apps from ${inv.sources.length} sources, ${inv.processes.length} processes`);
console.log(
  table([
    ['measure', 'median ms', 'min ms', 'ratio to baseline'],
    ['baseline: dpkg-query -W + ps -e', fmt(base), fmt(Math.min(...baseline)), '1.00'],
    ['appwacht scan, in process', fmt(mine), fmt(Math.min(...inProcess)), (mine / base).toFixed(2)],
    ['appwacht scan --json, whole CLI process', fmt(median(cliMs)), fmt(Math.min(...cliMs)), (median(cliMs) / base).toFixed(2)],
  ]),
);
console.log(`CLI peak memory (max RSS over ${cliRuns.length} runs): ${cliRssMiB.toFixed(1)} MiB`);
console.log('per source (last in-process run):');
console.log(table([['source', 'ms', 'records', 'ok'], ...inv.sources.map((s) => [s.id, s.ms, s.count, s.ok ? 'yes' : 'no'])]));
console.log(
  `goals: in-process ≤ 1.5× baseline → ${mine / base <= 1.5 ? 'met' : 'NOT met'}; CLI < 100 MiB → ${cliRssMiB < 100 ? 'met' : 'NOT met'}`,
);
