import { lstatSync, mkdirSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';

/**
 * V8's code cache on disk (Node ≥ 22.1, `module.enableCompileCache`): a start reuses the bytecode of the bundle's chunks
 * instead of compiling them again (BENCHMARKS.md, "Start-up"). The CLI's entry calls this before it loads a command.
 * On Node 20 it does nothing.
 *
 * The cache holds code this process will run, so it lives only in a folder that nobody else can write: systemd's
 * CacheDirectory= for the machine service, else the user's own cache folder (for root the one of its passwd entry, not
 * of $HOME, which sudo may leave pointing at a user's home). A folder owned by someone else or writable by others is
 * not used. Node checks each entry against the source's hash and its own version, so an update never runs stale code.
 * NODE_COMPILE_CACHE (Node's own variable) wins when set; APPWACHT_COMPILE_CACHE=off switches it off.
 */
export function enableCompileCache(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const enable = (nodeModule as { enableCompileCache?: (dir: string) => { directory?: string } }).enableCompileCache;
  if (typeof enable !== 'function' || env.APPWACHT_COMPILE_CACHE === 'off' || env.NODE_COMPILE_CACHE) return undefined;
  try {
    const dir = join(cacheFolder(env), 'compile-cache');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!ownedByUsAlone(dir)) return undefined;
    return enable(dir).directory;
  } catch {
    return undefined; // a cache is an optimisation: without one the CLI only starts slower
  }
}

function cacheFolder(env: NodeJS.ProcessEnv): string {
  if (env.CACHE_DIRECTORY) return env.CACHE_DIRECTORY.split(':')[0]!;
  const root = process.getuid?.() === 0;
  const home = root ? userInfo().homedir : homedir();
  switch (process.platform) {
    case 'win32':
      return join(env.LOCALAPPDATA ?? join(home, 'AppData', 'Local'), 'Appwacht', 'Cache');
    case 'darwin':
      return join(home, 'Library', 'Caches', 'Appwacht');
    default:
      return join((!root && env.XDG_CACHE_HOME) || join(home, '.cache'), 'appwacht');
  }
}

function ownedByUsAlone(dir: string): boolean {
  const st = lstatSync(dir);
  if (!st.isDirectory()) return false;
  const uid = process.getuid?.();
  return uid === undefined || (st.uid === uid && (st.mode & 0o022) === 0);
}
