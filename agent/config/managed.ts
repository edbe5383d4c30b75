import type { OsName } from '../../protocol/index.js';
import type { ConfigLayer } from './layers.js';
import { readManagedLinux } from './managed.linux.js';
import { readManagedMacos } from './managed.macos.js';
import { readManagedWindows, type CommandRunner } from './managed.windows.js';

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

/** The one place that picks the OS-specific managed settings source. */
export function readManagedLayers(ctx: ManagedContext): Promise<ConfigLayer[]> {
  switch (ctx.os) {
    case 'linux':
      return readManagedLinux({ root: ctx.root });
    case 'macos':
      return readManagedMacos({ root: ctx.root, user: ctx.user });
    case 'windows':
      return readManagedWindows({ run: ctx.run, env: ctx.env, systemRoot: ctx.env?.SystemRoot });
  }
}
