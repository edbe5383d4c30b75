// What one update step costs (issue 11), measured beside a baseline in the same run, rounds interleaved:
//   node --import tsx scripts/measure-update-client.ts [MiB] [rounds]
// The real server (in this process, as the tests start it) serves a random installer of MiB MiB from its feed; each
// round measures, in turn: the baseline (a plain fetch of the file to nowhere, then SHA-512 of the bytes in memory),
// the update step's download + verify (streamed to disk, hashed on the way, renamed), the re-verify before install,
// and a check that finds nothing new (signed index fetched and verified). CPU is this process's (agent and server
// together), wall is elapsed; medians over the rounds, with the load average before and after.
import { createHash, randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryLogger } from '../agent/log.js';
import { createHttpTransport } from '../agent/transport/http.js';
import { verifyDownloaded } from '../agent/update/download.js';
import { runUpdateStep } from '../agent/update/step.js';
import { statePath } from '../agent/state/names.js';
import { createTestApp } from '../test/server/helpers.js';
import { entry, indexYaml, publish } from '../test/agent/update/helpers.js';

const MIB = Number(process.argv[2] ?? 100);
const ROUNDS = Number(process.argv[3] ?? 5);
const NAME = 'appwacht_9.0.0_amd64.deb';

async function measure(work: () => Promise<unknown>): Promise<{ cpu: number; wall: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await work();
  const c = process.cpuUsage(c0);
  return { cpu: (c.user + c.system) / 1000, wall: performance.now() - t0 };
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const load0 = loadavg();
const t = await createTestApp('sqlite');
await t.app.listen({ port: 0, host: '127.0.0.1' });
const serverUrl = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
const installer = randomBytes(MIB * 1024 * 1024);
await publish(t.dataDir, 'stable', indexYaml('9.0.0', [entry(NAME, installer)]), { [NAME]: installer });
const transport = await createHttpTransport({ env: {} });
const work = await mkdtemp(join(tmpdir(), 'appwacht-measure-update-'));
const port = { kinds: async () => ['deb' as const], command: () => ({ file: 'true', args: [] }) };
const settings = { enabled: true, channel: 'stable', checkEveryHours: 6, installWindow: { from: '03:00', to: '03:01' } };
const rows: Record<string, { cpu: number[]; wall: number[] }> = {};
const add = (k: string, m: { cpu: number; wall: number }) => {
  rows[k] ??= { cpu: [], wall: [] };
  rows[k].cpu.push(m.cpu);
  rows[k].wall.push(m.wall);
};

for (let r = 0; r < ROUNDS; r++) {
  add(
    'baseline: fetch to nowhere + sha512 in memory',
    await measure(async () => {
      const res = await transport.fetch(`${serverUrl}/updates/stable/${NAME}`);
      const chunks: Uint8Array[] = [];
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) chunks.push(chunk);
      const bytes = Buffer.concat(chunks);
      createHash('sha512').update(bytes).digest('base64');
    }),
  );
  const stateDir = await mkdtemp(join(work, 'state-'));
  // Noon, outside the 03:00 window: the step downloads and verifies, then waits.
  const noon = new Date(2026, 11, 5, 12, 0);
  const options = {
    stateDir,
    serverUrl,
    fetch: transport.fetch,
    policyPublicKey: t.secrets.publicKey,
    settings,
    os: 'linux' as const,
    arch: 'x64',
    port,
    current: '0.2.0',
    log: memoryLogger('error'),
    now: () => noon,
  };
  add('update step: check + download + verify', await measure(() => runUpdateStep(options)));
  add(
    'verify again before install',
    await measure(() => verifyDownloaded(join(statePath(stateDir, 'updates'), NAME), { name: NAME, ...entry(NAME, installer) })),
  );
  add(
    'update step: check, nothing new',
    await measure(() => runUpdateStep({ ...options, current: '9.0.0', now: () => new Date(noon.getTime() + 7 * 3_600_000) })),
  );
  await rm(stateDir, { recursive: true, force: true });
}
const load1 = loadavg();
console.log(
  `installer ${MIB} MiB, ${ROUNDS} rounds, load ${load0.map((l) => l.toFixed(2)).join(' ')} → ${load1.map((l) => l.toFixed(2)).join(' ')}`,
);
for (const [k, v] of Object.entries(rows))
  console.log(
    `${k.padEnd(48)} CPU ${median(v.cpu).toFixed(0).padStart(6)} ms   wall ${median(v.wall).toFixed(0).padStart(6)} ms`,
  );
await transport.close();
await t.close();
await rm(work, { recursive: true, force: true });
