/**
 * Which of Node's own modules a short CLI command loads. Node's builtins cost a start as much as our chunks do: an
 * ES-module import of `node:util` wakes 36 internal modules, process.stdout 20, the global `performance` 11. The bundle
 * takes builtins with process.getBuiltinModule (scripts/bundle-cli.mjs), output goes to the descriptor
 * (agent/cli/stdio.ts) and durations come from agent/clock.ts; these tests keep it so (BENCHMARKS.md, "Start-up").
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO } from '../../helpers/cli.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'appwacht-builtins-'));
});
after(() => rm(dir, { recursive: true, force: true }));

/** Runs `appwacht <args>` with stdout on a pipe; what it printed and the builtins it loaded (`NativeModule stream`…). */
async function run(args: string[]): Promise<{ stdout: string; builtins: string[] }> {
  const out = join(dir, `${args.join('_').replace(/\W/g, '')}.txt`);
  const child = spawn(
    process.execPath,
    ['-r', join(REPO, 'test', 'fixtures', 'runtime', 'record-builtins.cjs'), join(REPO, 'bin', 'appwacht.js'), ...args],
    {
      cwd: REPO,
      env: { ...process.env, HOME: dir, APPWACHT_STATE_DIR: join(dir, 'state'), APPWACHT_RECORD_BUILTINS: out, LANG: 'C.UTF-8' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((r) => child.on('close', r));
  assert.ok(code !== null && code <= 3, `appwacht ${args.join(' ')} exited ${code}: ${stderr}`);
  return { stdout, builtins: (await readFile(out, 'utf8')).split('\n') };
}

describe('Node builtins a CLI start loads', () => {
  for (const args of [['--help'], ['status'], ['scan', '--json']]) {
    it(`appwacht ${args.join(' ')}: no streams, worker_threads, perf_hooks or util's colours, and its output arrives`, async () => {
      const { stdout, builtins } = await run(args);
      assert.ok(stdout.length > 0, 'the command printed through the descriptor');
      assert.ok(
        builtins.includes('NativeModule internal/util/parse_args/parse_args'),
        'the recorder saw the CLI parse its arguments: an empty list would prove nothing',
      );
      assert.deepEqual(
        builtins.filter((m) => /^NativeModule (stream|worker_threads|perf_hooks|internal\/util\/colors|readline)$/.test(m)),
        [],
      );
    });
  }

  it('the bundle imports no builtin, statically or dynamically: each is taken with process.getBuiltinModule', async () => {
    const files = (await readdir(join(REPO, 'dist', 'cli'), { recursive: true }))
      .filter((name) => name.endsWith('.js'))
      .map((name) => join(REPO, 'dist', 'cli', name));
    let rewritten = 0;
    for (const file of files) {
      const code = await readFile(file, 'utf8');
      assert.doesNotMatch(code, /^import\b[^;]*["']node:[^"']+["'];$/m, file);
      assert.doesNotMatch(code, /\bimport\("node:/, file); // esbuild's form; JSDoc types say import('node:…')
      rewritten += code.match(/process\.getBuiltinModule\("node:/g)?.length ?? 0;
    }
    assert.ok(rewritten > 20, `the bundle takes its builtins with getBuiltinModule (${rewritten} places)`);
  });
});
