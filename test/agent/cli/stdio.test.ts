/**
 * descriptorWriter (agent/cli/stdio.ts): the CLI's output written to the inherited descriptor, with process.stdout as
 * the way on for whatever a direct write cannot finish. Real child processes on real pipes: a blocking one, and a
 * non-blocking one that fills up (EAGAIN), where the rest has to go through the stream in order.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { REPO } from '../../helpers/cli.js';

/** 1 MiB and more of numbered lines with German text, so that order, completeness and UTF-8 are all checked. */
const LINES = 30_000;
const expected = Array.from({ length: LINES }, (_, i) => `${i} Prüfung läuft – Zustand ok\n`).join('');

// The child writes the lines through descriptorWriter(1), 10,000 lines (330 kB, more than a pipe holds) a call, then says on stderr whether the writer ever
// took process.stdout (a trap on its getter). It runs the built module (npm run build) on plain Node.
const childScript = `
const { descriptorWriter } = await import(${JSON.stringify(join(REPO, 'dist', 'agent', 'cli', 'stdio.js'))});
const stdout = Object.getOwnPropertyDescriptor(process, 'stdout');
let how = 'direct';
Object.defineProperty(process, 'stdout', { ...stdout, get() { how = 'via-stream'; return stdout.get.call(process); } });
const write = descriptorWriter(1);
process.stderr.write('ready\\n');
let chunk = '';
for (let i = 0; i < ${LINES}; i++) {
  chunk += i + ' Prüfung läuft – Zustand ok\\n';
  if (i % 10000 === 9999) { write(chunk); chunk = ''; }
}
write(chunk);
process.stderr.write(how);
`;

/** Runs the child; reads its stdout only 300 ms after it says it starts writing, so that the pipe fills up first. */
async function runChild(argv: string[]): Promise<{ stdout: string; stderr: string; code: number | null }> {
  const child = spawn(argv[0]!, argv.slice(1), { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const writing = new Promise<void>((resolve) =>
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      if (stderr.includes('ready\n')) resolve();
    }),
  );
  const chunks: Buffer[] = [];
  const closed = new Promise<number | null>((r) => child.on('close', r));
  await Promise.race([writing, closed]);
  await delay(300);
  child.stdout.on('data', (c: Buffer) => chunks.push(c));
  const code = await closed;
  return { stdout: Buffer.concat(chunks).toString('utf8'), stderr, code };
}

const node = [process.execPath, '--input-type=module', '-e', childScript];

describe('descriptorWriter', () => {
  it('ends quietly when the reader has gone (EPIPE), as `appwacht inventory --json | head` expects', async () => {
    const child = spawn(process.execPath, [join(REPO, 'bin', 'appwacht.js'), 'inventory', '--json'], {
      cwd: REPO,
      env: { ...process.env, LANG: 'C.UTF-8' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    // Read the first chunk, then close our end of the pipe, as head does.
    const first = await new Promise<Buffer>((resolve) => child.stdout.once('data', resolve));
    child.stdout.destroy();
    const code = await new Promise<number | null>((r) => child.on('close', r));
    assert.match(first.toString(), /^\{/);
    assert.equal(stderr, '', 'no "Unhandled \'error\' event" and no stack');
    assert.equal(code, 0);
  });

  it('writes everything, in order, to a blocking pipe, without process.stdout', async () => {
    const { stdout, stderr, code } = await runChild(node);
    assert.equal(code, 0, stderr);
    assert.equal(stdout.length, expected.length);
    assert.ok(stdout === expected, 'the bytes arrived complete and in order');
    assert.match(stderr, /direct$/);
  });

  it('goes on through process.stdout when a non-blocking pipe is full (EAGAIN), losing and reordering nothing', async (t) => {
    // Node has no fcntl; python3 sets O_NONBLOCK on the pipe and then becomes the node process (exec keeps the flag).
    if (spawnSync('python3', ['-c', 'import os; os.set_blocking']).status !== 0)
      return t.skip('needs python3 to hand the child a non-blocking stdout (.ci/run installs it with the other tools)');
    const viaPython = [
      'python3',
      '-c',
      'import os, sys; os.set_blocking(1, False); os.execv(sys.argv[1], sys.argv[1:])',
      ...node,
    ];
    const { stdout, stderr, code } = await runChild(viaPython);
    assert.equal(code, 0, stderr);
    assert.match(stderr, /via-stream$/, 'the full pipe sent the writer on through the stream');
    assert.equal(stdout.length, expected.length);
    assert.ok(stdout === expected, 'the bytes arrived complete and in order');
  });
});
