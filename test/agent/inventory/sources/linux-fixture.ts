import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CollectContext, InventorySource } from '../../../../agent/inventory/types.js';

/** The fixture root file system (see its README for where each file comes from). */
export const LAPTOP = fileURLToPath(new URL('../../../fixtures/linux/laptop', import.meta.url));

export const isRoot = process.getuid?.() === 0;

export function ctx(root: string): CollectContext {
  return { os: 'linux', root, live: false };
}

/** collect + parse of one source, as parseRawInventory runs it. */
export async function scan(source: InventorySource, root: string) {
  const raw = await source.collect(ctx(root));
  // Through JSON, as a saved capture would be: the parser must not need anything JSON loses.
  return { raw, ...(await source.parse(JSON.parse(JSON.stringify(raw)))) };
}

/** An empty temp root, removed after the test. */
export async function emptyRoot(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'appwacht-linux-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A writable copy of the fixture tree (links copied as links), removed after the test. */
export async function laptopCopy(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await emptyRoot(t);
  await cp(LAPTOP, dir, { recursive: true, verbatimSymlinks: true });
  return dir;
}

/** Writes a file below a root, creating folders. */
export async function put(root: string, file: string, content: string | Uint8Array, mode?: number): Promise<string> {
  const full = path.join(root, file);
  await mkdir(path.dirname(full), { recursive: true });
  await writeFile(full, content, mode === undefined ? {} : { mode });
  return full;
}

/** A named pipe (coreutils mkfifo; Node has no API for it): reading one blocks, which a scan must never do. */
export async function mkfifo(file: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  execFileSync('mkfifo', [file]);
}
