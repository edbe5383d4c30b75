/** What the update client's tests share: a published feed folder, a stand-in installer port, waiting for the helper. */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { InstallerPort } from '../../../agent/update/installer.js';
import { readInstallResult, type InstallResult } from '../../../agent/update/launch.js';
import { installFiles } from '../../../agent/update/record.js';
import { statePath } from '../../../agent/state/names.js';

export const sha512 = (bytes: Buffer) => createHash('sha512').update(bytes).digest('base64');

/** One entry as electron-builder and scripts/packaging/update-info.mjs write it. */
export const entry = (url: string, bytes: Buffer) => ({ url, sha512: sha512(bytes), size: bytes.length });

/** The index text (latest-linux.yml) for these entries, in update-info.mjs's layout. */
export function indexYaml(version: string, files: { url: string; sha512: string; size: number }[]): string {
  return stringify({ version, files, path: files[0]?.url, sha512: files[0]?.sha512, releaseDate: '2026-12-05T12:00:00.000Z' });
}

/** Publishes like an admin: the installers and the index into `<data dir>/updates/<channel>/`. */
export async function publish(dataDir: string, channel: string, index: string, files: Record<string, Buffer> = {}) {
  const dir = join(dataDir, 'updates', channel);
  await mkdir(dir, { recursive: true });
  for (const [name, bytes] of Object.entries(files)) await writeFile(join(dir, name), bytes);
  await writeFile(join(dir, 'latest-linux.yml'), index);
}

/**
 * A real process in place of dpkg: it writes the sha512 of the file it was given to `marker` (so a test sees what ran,
 * and that it was the verified file) and exits with `exitCode`. The real dpkg runs in install-deb.test.ts.
 */
export function standInPort(marker: string, exitCode = 0): InstallerPort {
  const code = `
    const fs = require('node:fs'); const [file, marker, rc] = process.argv.slice(1);
    fs.writeFileSync(marker, require('node:crypto').createHash('sha512').update(fs.readFileSync(file)).digest('base64'));
    console.log('stand-in installer ran on', file); process.exit(Number(rc));`;
  return {
    kinds: async () => ['deb'],
    command: (_kind, installer) => ({ file: process.execPath, args: ['-e', code, installer, marker, String(exitCode)] }),
  };
}

/** Waits for the detached install helper's result file. */
export async function waitForInstall(stateDir: string, timeoutMs = 60_000): Promise<InstallResult> {
  const files = installFiles(statePath(stateDir, 'updates'));
  const end = Date.now() + timeoutMs;
  for (;;) {
    const r = await readInstallResult(files);
    if (r) return r;
    if (Date.now() > end) throw new Error('the install helper wrote no result in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
