/**
 * V8's compile cache (agent/cli/compile-cache.ts), seen from outside: real CLI processes, real folders. On Node ≥ 22.1
 * the CLI keeps the bundle's compiled code in a folder only its user can write; on Node 20, which has no such cache,
 * it writes nothing. The start-up it saves is measured by `npm run bench:scan`, not here.
 */
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import * as nodeModule from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../helpers/cli.js';

const nodeHasCache = typeof (nodeModule as { enableCompileCache?: unknown }).enableCompileCache === 'function';
const SKIP_OLD_NODE = `node ${process.version} has no compile cache; the run on the shipped Node in .ci/run checks this`;
let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'appwacht-compile-cache-'));
});
after(() => rm(dir, { recursive: true, force: true }));

/** The cache entries below `folder/compile-cache` (Node puts them in one subfolder per Node version). */
async function entries(folder: string): Promise<string[]> {
  const root = join(folder, 'compile-cache');
  const versions = await readdir(root).catch(() => []);
  return (await Promise.all(versions.map((v) => readdir(join(root, v))))).flat();
}

/** `appwacht scan --help`: loads the scan command's chunks (zod, the inventory), the part of the bundle the cache is for. */
async function scanHelp(env: NodeJS.ProcessEnv): Promise<void> {
  const { code, stdout, stderr } = await runCli(['scan', '--help'], { NODE_COMPILE_CACHE: '', HOME: join(dir, 'home'), ...env });
  assert.equal(code, 0, stderr);
  assert.match(stdout, /appwacht scan/);
}

describe('compile cache', () => {
  it(`is kept in the service's cache folder, owner-only${nodeHasCache ? '' : ' (Node < 22.1: not at all)'}`, async () => {
    const folder = join(dir, 'service');
    await scanHelp({ CACHE_DIRECTORY: folder });
    if (!nodeHasCache) {
      assert.deepEqual(await entries(folder), [], `node ${process.version} has no compile cache, so nothing is written`);
      return;
    }
    assert.ok((await entries(folder)).length > 0, 'the bundle compiled into the cache');
    if (process.platform !== 'win32') assert.equal((await stat(join(folder, 'compile-cache'))).mode & 0o777, 0o700);
  });

  it('is not used in a folder that others can write', async (t) => {
    if (!nodeHasCache) return t.skip(SKIP_OLD_NODE);
    if (process.platform === 'win32') return t.skip('folder modes are POSIX; Windows keeps it in the user-only LOCALAPPDATA');
    const folder = join(dir, 'shared');
    await mkdir(join(folder, 'compile-cache'), { recursive: true });
    await chmod(join(folder, 'compile-cache'), 0o777);
    await scanHelp({ CACHE_DIRECTORY: folder });
    assert.deepEqual(await entries(folder), []);
  });

  it('is switched off by APPWACHT_COMPILE_CACHE=off', async (t) => {
    if (!nodeHasCache) return t.skip(SKIP_OLD_NODE);
    const folder = join(dir, 'off');
    await scanHelp({ CACHE_DIRECTORY: folder, APPWACHT_COMPILE_CACHE: 'off' });
    assert.deepEqual(await entries(folder), []);
  });
});
