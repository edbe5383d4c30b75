/**
 * npm run bench:scan — how long a scan of this machine takes, next to the raw tools it replaces, and how fast the CLI
 * answers as a whole process (Node's start, loading the bundle in dist/cli/, the work, the exit).
 *
 * Baselines (same run, same machine): `dpkg-query -W` followed by `ps -e`, i.e. the cheapest way to list installed
 * packages and processes from a shell; and `node -e 0`, Node's own start. Goals: the in-process scan within 1.5× of
 * the raw tools; `appwacht scan --json` as a whole process within 4× of them; `appwacht --help` and `appwacht status`
 * within 100 ms; every CLI run under 100 MB peak memory. The whole-process runs alternate (baseline, help, status,
 * scan, …) so that a change of the machine's load hits all of them alike.
 *
 * The processes run without NODE_EXTRA_CA_CERTS, as the installed service runs them (the agent has its own caFile
 * setting): Node 20 reads that file at every start (~50 ms here), Node ≥ 22 only when TLS first needs it. When it is set,
 * one extra row shows `node -e 0` with it. BENCH_NODE=/path/to/node adds the same rows for a second Node, interleaved
 * with the first (e.g. the Node 24 the installers ship, beside the Node 20 that runs the bench). BENCH_COMPARE=<another
 * checkout, built> adds its CLI's rows (before/after a change, in the same run). The enrolled scan reads the server's
 * signed policy from a state folder, as on an enrolled laptop; the other scan runs in local mode (bundled policy).
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { loadDefaultPolicy } from '../agent/policy/default-policy.js';
import { createFilePolicyStore } from '../agent/policy/store.js';
import { emptyState } from '../agent/runtime/state.js';
import { generateSigningKeys, signPayload } from '../protocol/signing.js';
import { scan } from '../agent/scan.js';
import { STATE_FILES } from '../agent/state/names.js';
import { fmt, median, runMeasured, table, timeRuns, type ProcessRun } from './lib.js';

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

// status reads a state folder of its own, with the state file a turn of the agent writes after this machine's scan
// (status reads and checks it, and formats its times; an empty folder would skip both).
const stateDir = await mkdtemp(join(tmpdir(), 'appwacht-bench-scan-'));
await writeFile(
  join(stateDir, STATE_FILES.runtimeState),
  JSON.stringify({
    ...emptyState(last!.scannedAt, process.pid, '0.1.0'),
    lastScan: {
      at: last!.scannedAt.toISOString(),
      durationMs: 30,
      trigger: 'interval',
      state: last!.evaluation.state,
      findings: last!.evaluation.findings.map((f) => ({ appId: f.appId, name: f.name, action: f.action, evidence: f.evidence })),
      failedSources: [],
    },
  }),
);
const { NODE_EXTRA_CA_CERTS: extraCaCerts, ...withoutExtraCerts } = process.env;
const env = { ...withoutExtraCerts, APPWACHT_STATE_DIR: stateDir };
// An enrolled laptop scans against the server's signed policy that its agent keeps: a state folder of its own with that
// cache (the bundled policy, signed here), and the key and server the agent is configured with. Saved as the agent
// saves it, with the checked marker (agent/policy/checked-marker.ts): this scan verifies the signature, which a scan in
// local mode does not need, and skips the schemas (zod) as on a laptop whose agent has run a turn since its last update.
const enrolledDir = await mkdtemp(join(tmpdir(), 'appwacht-bench-scan-enrolled-'));
const keys = generateSigningKeys();
await createFilePolicyStore(enrolledDir).save({
  signed: signPayload(JSON.stringify({ ...policy, issuedAt: new Date().toISOString() }), keys.privateKeyPem),
  receivedAt: new Date(),
});
const enrolledEnv = {
  ...env,
  APPWACHT_STATE_DIR: enrolledDir,
  APPWACHT_SERVER_URL: 'https://appwacht.intranet.example',
  APPWACHT_POLICY_PUBLIC_KEY: keys.publicKey,
};
// Its exit code says compliant or not (0, 1, 3); the output says which policy it used.
const enrolledScan = JSON.parse(
  spawnSync(process.execPath, [cli, 'scan', '--json'], { env: enrolledEnv, encoding: 'utf8' }).stdout,
) as { policy: { origin: string; note?: string } };
if (enrolledScan.policy.origin !== 'cache')
  throw new Error(`the enrolled scan did not use the cached signed policy: ${JSON.stringify(enrolledScan.policy)}`);
const secondNode = process.env.BENCH_NODE;
// BENCH_COMPARE=<another checkout, built>: its CLI's rows too, interleaved (e.g. main before a change).
const compare = process.env.BENCH_COMPARE;
const compareTag = compare
  ? ` (${execFileSync('git', ['-C', compare, 'log', '-1', '--format=%h'], { encoding: 'utf8' }).trim() || compare})`
  : '';
const nodeVersion = (node: string) => execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
interface Proc {
  label: string;
  cmd: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}
/** The Node start and the three CLI commands on one Node; `tag` names it in the labels when there are two. */
const nodeRows = (node: string, tag: string): Record<string, Proc> => ({
  [`node${tag}`]: { label: `baseline: node -e 0${tag}`, cmd: node, args: ['-e', '0'] },
  ...(extraCaCerts && {
    [`nodeCerts${tag}`]: {
      label: `node -e 0 with NODE_EXTRA_CA_CERTS as set here${tag}`,
      cmd: node,
      args: ['-e', '0'],
      env: { ...env, NODE_EXTRA_CA_CERTS: extraCaCerts },
    },
  }),
  ...cliRows(node, cli, tag),
});
/** The CLI commands of one checkout (`bin`: its bin/appwacht.js, built) on one Node. */
const cliRows = (node: string, bin: string, tag: string): Record<string, Proc> => ({
  [`help${tag}`]: { label: `appwacht --help${tag}`, cmd: node, args: [bin, '--help'] },
  [`status${tag}`]: { label: `appwacht status${tag}`, cmd: node, args: [bin, 'status'] },
  [`scan${tag}`]: { label: `appwacht scan --json${tag}`, cmd: node, args: [bin, 'scan', '--json'] },
  [`scanEnrolled${tag}`]: {
    label: `appwacht scan --json, enrolled${tag}`,
    cmd: node,
    args: [bin, 'scan', '--json'],
    env: enrolledEnv,
  },
});
const processes: Record<string, Proc> = {
  raw: {
    label: 'baseline: dpkg-query -W; ps -e (processes)',
    cmd: 'sh',
    args: ['-c', 'dpkg-query -W >/dev/null; ps -e >/dev/null'],
  },
  ...nodeRows(process.execPath, secondNode ? ` (${process.version})` : ''),
  ...(secondNode && nodeRows(secondNode, ` (${nodeVersion(secondNode)})`)),
  ...(compare && cliRows(process.execPath, join(compare, 'bin', 'appwacht.js'), compareTag)),
};
type Name = keyof typeof processes;
const whole = Object.fromEntries(Object.keys(processes).map((k) => [k, [] as ProcessRun[]])) as Record<Name, ProcessRun[]>;
for (let i = 0; i < Math.min(RUNS, 20) + 1; i++)
  for (const [name, p] of Object.entries(processes)) {
    const run = await runMeasured(p.cmd, p.args, p.env ?? env);
    if (i > 0) whole[name]!.push(run); // the first round warms the page cache (and a compile cache, where Node has one)
  }
await rm(stateDir, { recursive: true, force: true });
await rm(enrolledDir, { recursive: true, force: true });
const wholeMs = (name: Name) => median(whole[name]!.map((r) => r.ms));
const cpuMs = (name: Name) => median(whole[name]!.map((r) => r.cpuMs));
const peakMiB = (name: Name) => Math.max(...whole[name]!.map((r) => r.maxRssKiB)) / 1024;
const cliRssMiB = Math.max(
  ...Object.keys(processes)
    .filter((n) => /^(help|status|scan)/.test(n))
    .map(peakMiB),
);

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
  ]),
);
const raw = wholeMs('raw');
console.log(
  `\nwhole processes, ${whole.raw!.length} rounds (median wall and CPU; ratio of the wall times to the raw tools; peak RSS)`,
);
console.log(
  table([
    ['process', 'median ms', 'min ms', 'ratio', 'CPU ms', 'peak MiB'],
    ...Object.keys(processes).map((name) => [
      processes[name]!.label,
      fmt(wholeMs(name)),
      fmt(Math.min(...whole[name]!.map((r) => r.ms))),
      (wholeMs(name) / raw).toFixed(2),
      fmt(cpuMs(name)),
      peakMiB(name).toFixed(1),
    ]),
  ]),
);
console.log(`CLI peak memory (max RSS over all help, status and scan runs): ${cliRssMiB.toFixed(1)} MiB`);
console.log('per source (last in-process run):');
console.log(table([['source', 'ms', 'records', 'ok'], ...inv.sources.map((s) => [s.id, s.ms, s.count, s.ok ? 'yes' : 'no'])]));
const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
console.log(`goals: in-process ≤ 1.5× baseline → ${met(mine / base <= 1.5)}; CLI < 100 MiB → ${met(cliRssMiB < 100)}`);
const tags = secondNode ? [` (${process.version})`, ` (${nodeVersion(secondNode)})`] : [''];
for (const t of compare ? [...tags, compareTag] : tags) {
  const scanRatio = wholeMs(`scan${t}`) / raw;
  const enrolledRatio = wholeMs(`scanEnrolled${t}`) / raw;
  console.log(
    `goals${t}: scan --json ≤ 4× the raw tools → ${met(scanRatio <= 4)} (${scanRatio.toFixed(2)}×; ` +
      `enrolled: ${met(enrolledRatio <= 4)}, ${enrolledRatio.toFixed(2)}×); ` +
      `--help ≤ 100 ms → ${met(wholeMs(`help${t}`) <= 100)} (${fmt(wholeMs(`help${t}`))}); ` +
      `status ≤ 100 ms → ${met(wholeMs(`status${t}`) <= 100)} (${fmt(wholeMs(`status${t}`))}; node -e 0 alone: ${fmt(wholeMs(`node${t === compareTag ? tags[0] : t}`))})`,
  );
}
console.log(
  `load average at the end: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
