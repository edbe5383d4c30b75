import { constants, promises as fsp, type Dirent, type Stats } from 'node:fs';
import path from 'node:path';
import { SourceError } from '../../errors.js';

/**
 * Read-only access to a system tree mounted at `root` ("/" for the live machine).
 *
 * Paths are always written as the inventoried system sees them ("/home/ann/…"), whatever folder it is
 * mounted at, so that a capture reads the same on every machine. Symbolic links are resolved the way a
 * chroot would: an absolute target starts again at the root and ".." never climbs above it, so a link in a
 * mounted disk image ("/var/lib/rpm -> /usr/lib/sysimage/rpm") is followed inside the image, never into
 * the host, and no link leads out of the root.
 */
export class RootFs {
  readonly root: string;
  private readonly live: boolean;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.live = this.root === '/';
  }

  /** The host path of an in-root path, links not resolved. */
  host(inRoot: string): string {
    return this.live ? path.posix.normalize(inRoot) : path.join(this.root, inRoot);
  }

  /** Canonical in-root path with every link resolved inside the root. Rejects like fs does (ENOENT, ELOOP, EACCES). */
  async resolve(inRoot: string): Promise<string> {
    // On the live system the kernel resolves exactly as we would, and faster.
    if (this.live) return fsp.realpath(path.posix.resolve('/', inRoot));
    const pending = inRoot.split('/').filter((p) => p !== '' && p !== '.');
    let resolved: string[] = [];
    let hops = 0;
    while (pending.length > 0) {
      const part = pending.shift()!;
      if (part === '..') {
        resolved.pop();
        continue;
      }
      const candidate = '/' + [...resolved, part].join('/');
      const st = await fsp.lstat(this.host(candidate));
      if (!st.isSymbolicLink()) {
        resolved.push(part);
        continue;
      }
      if (++hops > 40) throw fsError('ELOOP', `too many levels of symbolic links at ${candidate}`);
      const target = await fsp.readlink(this.host(candidate));
      if (target.startsWith('/')) resolved = [];
      pending.unshift(...target.split('/').filter((p) => p !== '' && p !== '.'));
    }
    return '/' + resolved.join('/');
  }

  /** stat() of the resolved path; undefined when it does not exist. Other errors reject. */
  async statIfExists(inRoot: string): Promise<{ path: string; stats: Stats } | undefined> {
    try {
      const resolved = await this.resolve(inRoot);
      return { path: resolved, stats: await fsp.stat(this.host(resolved)) };
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  async isDirectory(inRoot: string): Promise<boolean> {
    return (await this.statIfExists(inRoot))?.stats.isDirectory() ?? false;
  }

  /** Entries of a folder (links not followed); rejects like fs.readdir. */
  async readDir(inRoot: string): Promise<Dirent[]> {
    const resolved = await this.resolve(inRoot);
    return fsp.readdir(this.host(resolved), { withFileTypes: true });
  }

  /** The target of one link as written (for flatpak's current -> x86_64/stable), undefined when not a link. */
  async readLink(inRoot: string): Promise<string | undefined> {
    try {
      // The folders above it are resolved inside the root first, so a linked parent cannot point into the host.
      const parent = await this.resolve(path.posix.dirname(path.posix.resolve('/', inRoot)));
      return await fsp.readlink(this.host(path.posix.join(parent, path.posix.basename(inRoot))));
    } catch {
      return undefined;
    }
  }

  /**
   * A regular file's content as UTF-8 text, refusing files larger than `maxBytes` (FILE_TOO_LARGE) and
   * anything that is not a regular file (NOT_A_FILE). Opened non-blocking so a FIFO cannot hang the scan.
   */
  async readText(inRoot: string, maxBytes: number): Promise<string> {
    return (await this.readBytes(inRoot, maxBytes)).toString('utf8');
  }

  async readBytes(inRoot: string, maxBytes: number): Promise<Buffer> {
    const resolved = await this.resolve(inRoot);
    const handle = await fsp.open(this.host(resolved), constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const st = await handle.stat();
      if (!st.isFile()) throw new SourceError('NOT_A_FILE', `${inRoot} is not a regular file`);
      if (st.size > maxBytes)
        throw new SourceError('FILE_TOO_LARGE', `${inRoot} is ${st.size} bytes, more than the ${maxBytes} read`);
      return await handle.readFile();
    } finally {
      await handle.close();
    }
  }

  /** The first `length` bytes of a regular file (fewer when it is shorter). */
  async readHead(inRoot: string, length: number): Promise<Buffer> {
    const resolved = await this.resolve(inRoot);
    const handle = await fsp.open(this.host(resolved), constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const st = await handle.stat();
      if (!st.isFile()) throw new SourceError('NOT_A_FILE', `${inRoot} is not a regular file`);
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, 0);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }

  /**
   * Files below `dir` whose name ends with `suffix`, recursively, links followed inside the root.
   * Each folder is entered once (by device and inode), so link loops end; depth and count are capped
   * because a home folder can hold anything. Unreadable folders become problems, not failures.
   */
  async findFiles(
    dir: string,
    suffix: string,
    limits: { maxDepth: number; maxFiles: number },
    problems: string[],
  ): Promise<{ path: string; relative: string }[]> {
    const found: { path: string; relative: string }[] = [];
    const seen = new Set<string>();
    let truncated = false;
    const walk = async (inRoot: string, relative: string, depth: number): Promise<void> => {
      let stats: Stats;
      try {
        stats = await fsp.stat(this.host(await this.resolve(inRoot)));
      } catch (err) {
        // The folder itself missing is normal (no ~/.local/share/applications); anything deeper is a problem.
        if (!(depth === 0 && isMissing(err))) problems.push(describeFsProblem(inRoot, err));
        return;
      }
      const key = `${stats.dev}:${stats.ino}`;
      if (seen.has(key)) return; // a link back to a folder already listed
      seen.add(key);
      let entries: Dirent[];
      try {
        entries = await this.readDir(inRoot);
      } catch (err) {
        problems.push(describeFsProblem(inRoot, err));
        return;
      }
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const entry of entries) {
        if (found.length >= limits.maxFiles) {
          if (!truncated) problems.push(`${dir}: more than ${limits.maxFiles} ${suffix} files, the rest was not read`);
          truncated = true;
          return;
        }
        const child = path.posix.join(inRoot, entry.name);
        const childRelative = relative ? `${relative}/${entry.name}` : entry.name;
        let isDir = entry.isDirectory();
        let isFile = entry.isFile();
        if (entry.isSymbolicLink()) {
          try {
            const st = await fsp.stat(this.host(await this.resolve(child)));
            isDir = st.isDirectory();
            isFile = st.isFile();
          } catch (err) {
            problems.push(describeFsProblem(child, err));
            continue;
          }
        }
        if (isDir) {
          if (depth < limits.maxDepth) await walk(child, childRelative, depth + 1);
          else problems.push(`${child}: deeper than ${limits.maxDepth} folders, not read`);
        } else if (isFile && entry.name.endsWith(suffix)) {
          found.push({ path: child, relative: childRelative });
        }
      }
    };
    await walk(dir, '', 0);
    return found;
  }
}

function fsError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

export function isMissing(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOENT: 'does not exist',
  ENOTDIR: 'does not exist',
  ELOOP: 'symbolic link loop',
  EIO: 'input/output error',
};

/** "/home/bob: permission denied (EACCES)": one line a support person can act on. */
export function describeFsProblem(inRoot: string, err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (err instanceof SourceError) return `${err.message} (${err.code})`;
  if (typeof code === 'string') return `${inRoot}: ${REASONS[code] ?? 'cannot be read'} (${code})`;
  return `${inRoot}: ${err instanceof Error ? err.message : String(err)}`;
}

/** Runs `task` over `items` with at most `limit` at a time; keeps order. Hundreds of small files read faster in parallel. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
