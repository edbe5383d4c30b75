import type { OsName } from '../../protocol/index.js';
import type { ConfigLayer } from './layers.js';
import type { CommandRunner } from './managed.windows.js';

export type { CommandRunner } from './managed.windows.js';

export interface ManagedContext {
  os: OsName;
  /** Folder the file-based sources (Linux, macOS) read below; "/" for this machine. */
  root?: string;
  /** The OS account, for macOS per-user managed preferences. */
  user: string;
  /** Runs reg.exe on Windows; injectable because reg.exe exists only there. */
  run?: CommandRunner;
  /** For %VARIABLES% in REG_EXPAND_SZ values. */
  env?: NodeJS.ProcessEnv;
}

/**
 * The one place that picks the OS-specific managed settings source. Each is loaded only for its OS: the macOS one
 * brings the plist parsers, the Windows one the registry parsing, and every command reads the config.
 */
export async function readManagedLayers(ctx: ManagedContext): Promise<ConfigLayer[]> {
  switch (ctx.os) {
    case 'linux':
      return (await import('./managed.linux.js')).readManagedLinux({ root: ctx.root });
    case 'macos':
      return (await import('./managed.macos.js')).readManagedMacos({ root: ctx.root, user: ctx.user });
    case 'windows':
      return (await import('./managed.windows.js')).readManagedWindows({
        run: ctx.run,
        env: ctx.env,
        systemRoot: ctx.env?.SystemRoot,
      });
  }
}
