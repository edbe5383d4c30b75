// The Node runtime shipped beside the agent (issue 11): npm publishes every Node release as node-<os>-<arch> packages
// with the binary inside, so the npm registry — the one source a locked-down build machine reaches — is enough.
// `npm pack` verifies the tarball against the registry's integrity hash; the tarball is cached per version, and only
// the binary and its licence are kept (the package also carries headers and docs: ~200 MB unpacked).
import { execFile } from 'node:child_process';
import { cp, mkdir, readFile, readdir, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO } from './paths.mjs';

const run = promisify(execFile);

/** electron-builder's platform names (the ${os} macro) → npm's package names. */
const PACKAGES = { linux: 'linux', win: 'win', mac: 'darwin' };

export async function runtimeVersion() {
  return JSON.parse(await readFile(join(REPO, 'build', 'node-runtime.json'), 'utf8')).version;
}

function cacheRoot() {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'appwacht', 'node-runtime');
}

async function exists(path) {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Puts the runtime for one target into `dest` (bin/node, or node.exe on Windows, plus LICENSE) and returns the
 * binary's path. os: linux | win | mac; arch: x64 | arm64.
 */
export async function stageNodeRuntime(os, arch, dest) {
  const version = await runtimeVersion();
  const name = `node-${PACKAGES[os]}-${arch}`;
  const cache = join(cacheRoot(), `${name}-${version}`);
  if (!(await exists(join(cache, '.complete')))) {
    await rm(cache, { recursive: true, force: true });
    await mkdir(cache, { recursive: true });
    let stdout;
    try {
      ({ stdout } = await run('npm', ['pack', `${name}@${version}`, '--silent', '--pack-destination', cache], {
        cwd: cache,
        maxBuffer: 1 << 20,
      }));
    } catch (err) {
      await rm(cache, { recursive: true, force: true });
      throw new Error(
        `cannot fetch the Node runtime ${name}@${version} (build/node-runtime.json) from the npm registry: ${
          String(err.stderr || err.message)
            .trim()
            .split('\n')[0]
        }`,
      );
    }
    const tarball = join(cache, stdout.trim().split('\n').pop());
    await run('tar', ['xzf', tarball, '-C', cache]);
    await rm(tarball);
    // Keep what runs and its licence; drop headers, man pages and npm's own copy of itself.
    for (const entry of await readdir(join(cache, 'package'))) {
      if (!['bin', 'node.exe', 'LICENSE', 'package.json'].includes(entry))
        await rm(join(cache, 'package', entry), { recursive: true });
    }
    await cp(join(cache, 'package', 'package.json'), join(cache, '.complete'));
  }
  const candidates = os === 'win' ? ['node.exe', 'bin/node.exe'] : ['bin/node'];
  let binary;
  for (const c of candidates) if (await exists(join(cache, 'package', c))) binary = c;
  if (!binary) throw new Error(`${name}@${version}: no ${candidates.join(' or ')} in the package`);
  await rm(dest, { recursive: true, force: true });
  const target = os === 'win' ? 'node.exe' : 'bin/node';
  await mkdir(join(dest, os === 'win' ? '.' : 'bin'), { recursive: true });
  await cp(join(cache, 'package', binary), join(dest, target));
  await cp(join(cache, 'package', 'LICENSE'), join(dest, 'LICENSE'));
  return join(dest, target);
}
