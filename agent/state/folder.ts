import { chmod, lstat, mkdir, realpath, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Lang } from '../../protocol/index.js';
import { AppwachtError } from '../errors.js';

/**
 * The state folder cannot be trusted: owned by someone else, writable by others, or not a plain folder. Whoever can
 * write into it can swap the device token, the cached policy or the outbox; whoever owns it can read what we write.
 * Code STATE_FOLDER_UNSAFE; `texts` says it in both languages for the CLI.
 */
export class StateFolderError extends AppwachtError {
  constructor(
    readonly texts: Record<Lang, string>,
    options?: { cause?: unknown },
  ) {
    super('STATE_FOLDER_UNSAFE', texts.en, options);
  }
}

export interface FolderCheckOptions {
  platform?: NodeJS.Platform;
  /** The effective uid the folder must belong to; default this process's. */
  uid?: number;
}

const octal = (mode: number) => (mode & 0o7777).toString(8).padStart(4, '0');

function unsafe(en: string, de: string, options?: { cause?: unknown }): StateFolderError {
  return new StateFolderError(
    {
      en: `${en}. Appwacht does not use it: the device token and the agent's state would be exposed. Remove the folder or fix its owner and mode (0700).`,
      de: `${de}. Appwacht verwendet ihn nicht: Geräte-Token und Zustand des Agenten wären ungeschützt. Ordner entfernen oder Besitzer und Rechte (0700) korrigieren.`,
    },
    options,
  );
}

/**
 * Creates the state folder owner-only (0700) or checks the one that is there, the way OpenSSH's StrictModes checks
 * ~/.ssh: the folder must be a real folder (not a symlink), belong to us and be writable by nobody else; each folder
 * above it must belong to us or root and be writable by nobody else unless sticky (/tmp), or someone could rename
 * ours away and put their own in its place. A folder of ours that others can merely read is tightened to 0700.
 * Windows: POSIX modes mean nothing there; the folder's ACL is the installer's job (see agent/service/).
 */
export async function ensureStateFolder(dir: string, options: FolderCheckOptions = {}): Promise<void> {
  const platform = options.platform ?? process.platform;
  const path = resolve(dir);
  try {
    await mkdir(path, { recursive: true, mode: 0o700 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST')
      throw unsafe(
        `The state folder ${path} cannot be created (${code ?? 'error'})`,
        `Der Statusordner ${path} kann nicht angelegt werden (${code ?? 'Fehler'})`,
        { cause: err },
      );
  }
  if (platform === 'win32') return;
  const uid = options.uid ?? process.geteuid?.() ?? 0;

  const st = await lstat(path);
  if (st.isSymbolicLink() || !st.isDirectory())
    throw unsafe(
      `The state folder ${path} is not a folder but a ${st.isSymbolicLink() ? 'symbolic link' : 'file'}`,
      `Der Statusordner ${path} ist kein Ordner, sondern ${st.isSymbolicLink() ? 'ein symbolischer Link' : 'eine Datei'}`,
    );
  if (st.uid !== uid)
    throw unsafe(
      `The state folder ${path} belongs to another user (uid ${st.uid}, expected ${uid})`,
      `Der Statusordner ${path} gehört einem anderen Benutzer (uid ${st.uid}, erwartet ${uid})`,
    );
  if ((st.mode & 0o022) !== 0)
    throw unsafe(
      `The state folder ${path} is writable by group or others (mode ${octal(st.mode)})`,
      `Der Statusordner ${path} ist für Gruppe oder andere beschreibbar (Rechte ${octal(st.mode)})`,
    );
  if ((st.mode & 0o077) !== 0) await chmod(path, 0o700);

  // The folders above, as the OS resolves them (a symlinked parent such as /var -> /private/var on macOS is fine;
  // what matters is who can change the folders it leads to).
  for (let parent = await realpath(dirname(path)); ; parent = dirname(parent)) {
    const p = await stat(parent);
    if (p.uid !== uid && p.uid !== 0)
      throw unsafe(
        `The folder ${parent} above the state folder belongs to another user (uid ${p.uid})`,
        `Der Ordner ${parent} über dem Statusordner gehört einem anderen Benutzer (uid ${p.uid})`,
      );
    if ((p.mode & 0o022) !== 0 && (p.mode & 0o1000) === 0)
      throw unsafe(
        `The folder ${parent} above the state folder is writable by others (mode ${octal(p.mode)})`,
        `Der Ordner ${parent} über dem Statusordner ist für andere beschreibbar (Rechte ${octal(p.mode)})`,
      );
    if (dirname(parent) === parent) break;
  }
}
