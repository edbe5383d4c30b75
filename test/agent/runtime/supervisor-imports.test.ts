/**
 * What stays resident: the modules the `appwacht run` process (the supervisor) loads, recorded by a loader hook
 * (test/fixtures/runtime/record-imports.mjs) while the real CLI runs a real turn, against the list agent/runtime/README.md
 * declares (resident-modules.test.ts checks the same list against the source imports). The CLI is a bundle (dist/cli/),
 * so the hook sees its chunks; loadedSources() names the source files in them. The memory goal (< 60 MB idle, see
 * BENCHMARKS.md bench:agent) holds only while zod, undici and the inventory stay out of it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadedSources } from '../../helpers/loaded-sources.js';
import { residentModules } from '../../helpers/resident-modules.js';

const REPO = new URL('../../../', import.meta.url).pathname;

describe('the supervisor’s module graph', () => {
  it('holds no zod, undici, yaml, inventory or protocol schemas — its turns do', async (t) => {
    if (!existsSync(join(REPO, 'dist', 'cli', 'meta.json')))
      throw new Error('dist/ is missing: run "npm run build" first (npm test does)');
    const dir = await mkdtemp(join(tmpdir(), 'appwacht-imports-'));
    try {
      const stateDir = join(dir, 'state');
      await mkdir(stateDir);
      const out = join(dir, 'imports.txt');
      const child = spawn(
        process.execPath,
        [
          '--import',
          join(REPO, 'test', 'fixtures', 'runtime', 'record-imports.mjs'),
          join(REPO, 'bin', 'appwacht.js'),
          'run',
          ...['--root', join(REPO, 'test', 'fixtures', 'linux', 'laptop'), '--os', 'linux', '--no-notifications'],
          // The live process watch runs in the supervisor: it is part of what must stay light.
          ...['--processes', process.platform === 'linux' ? 'live' : 'off'],
        ],
        {
          cwd: REPO,
          env: { ...process.env, HOME: dir, APPWACHT_STATE_DIR: stateDir, APPWACHT_RECORD_IMPORTS: out, LANG: 'de_DE.UTF-8' },
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      let log = '';
      child.stderr.on('data', (c: Buffer) => (log += c.toString()));
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      for (let i = 0; i < 1200 && !log.includes('"turn done"'); i++) await new Promise((r) => setTimeout(r, 25));
      child.kill('SIGTERM');
      assert.equal(await exited, 0, log.slice(-2000));
      assert.match(log, /"turn done"/, 'a real turn ran');

      const rows = (await readFile(out, 'utf8'))
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const [pid, url] = l.split(' ') as [string, string];
          return { pid: Number(pid), url };
        });
      const supervisor = loadedSources(rows.filter((r) => r.pid === child.pid).map((r) => r.url));
      const turns = loadedSources(rows.filter((r) => r.pid !== child.pid).map((r) => r.url));
      assert.ok(supervisor.includes('agent/runtime/supervisor.ts'), 'the recorder saw the supervisor');
      assert.ok(
        turns.some((u) => /^node_modules\/zod\//.test(u)),
        'the recorder sees zod where it is loaded (a turn): an empty list would prove nothing',
      );
      // Our sources (the launcher bin/appwacht.js aside): each must be declared.
      const ours = supervisor.filter((u) => u.endsWith('.ts'));
      const declared = residentModules();
      assert.deepEqual(
        ours.filter((m) => !declared.has(m)),
        [],
        'loaded by the supervisor but not declared in agent/runtime/README.md',
      );
      const packages = supervisor.filter((u) => u.startsWith('node_modules/'));
      assert.deepEqual(packages, [], 'the supervisor loads no package (no zod, undici, yaml, ps-list on Linux, …)');
      t.diagnostic(`the supervisor loaded ${ours.length} files of ours`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
