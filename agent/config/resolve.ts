import { homedir } from 'node:os';
import type { OsName } from '../../protocol/index.js';
import { describeError } from '../errors.js';
import { currentOs } from '../inventory/current-os.js';
import { currentOsUser } from '../os-user.js';
import { machineStateDir } from '../service/machine-mode.js';
import { defaultStateDir } from '../state/paths.js';
import { cliLayer, envLayer } from './environment.js';
import { mergeLayers, type ConfigLayer, type ConfigWarning, type ResolvedConfig } from './layers.js';
import { readManagedLayers, type CommandRunner } from './managed.js';
import type { ConfigKey } from './schema.js';
import { readUserSettings, userSettingsPath } from './user-settings.js';

export interface ResolveOptions {
  os?: OsName;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  home?: string;
  /** OS account name (macOS per-user managed preferences). */
  user?: string;
  /** Folder below which managed files are read (tests); "/" on a live system. */
  root?: string;
  /** Command runner for reg.exe (tests inject a fake: reg.exe does not exist outside Windows). */
  run?: CommandRunner;
  /** Values the running command took from its flags. */
  cli?: Partial<Record<ConfigKey, string | undefined>>;
  /** See MergeOptions.tolerateUserErrors: true for the background agent, false for interactive commands. */
  tolerateUserErrors?: boolean;
}

export interface EffectiveConfig extends ResolvedConfig {
  /** The user settings file that was (or would be) read, so `appwacht config` and `enroll` can name it. */
  settingsFile: string;
}

/**
 * Reads every source and merges them (precedence and the managed-agent rule: layers.ts). Managed sources that cannot be
 * read are an error even for the background agent: falling back to the user's settings then would hand control to the user.
 */
export async function resolveConfig(options: ResolveOptions = {}): Promise<EffectiveConfig> {
  const os = options.os ?? currentOs();
  const env = options.env ?? process.env;
  const home = options.home ?? homedir();
  const cwd = options.cwd ?? process.cwd();
  const settingsFile = userSettingsPath(os, env, home);
  const warnings: ConfigWarning[] = [];

  const layers: ConfigLayer[] = await readManagedLayers({
    os,
    root: options.root,
    user: options.user ?? currentOsUser(env),
    run: options.run,
    env,
  });
  try {
    const user = await readUserSettings(settingsFile);
    if (user) layers.push(user);
  } catch (err) {
    if (!options.tolerateUserErrors) throw err;
    warnings.push({ en: `${describeError(err)} (file ignored)`, de: `${describeError(err)} (Datei ignoriert)` });
  }
  layers.push(envLayer(env, cwd));
  if (options.cli) layers.push(cliLayer(options.cli, cwd));

  // The default state folder without the APPWACHT_STATE_DIR override, which is the env layer's to report.
  const stateDir = defaultStateDir(os, { ...env, APPWACHT_STATE_DIR: undefined }, home);
  const resolved = mergeLayers(
    layers,
    { stateDir, logLevel: 'info' },
    { tolerateUserErrors: options.tolerateUserErrors, warnings },
  );
  // The machine service keeps its state in a root/SYSTEM-only folder unless one was set explicitly.
  if (resolved.config.agentMode === 'machine' && resolved.origins.stateDir?.source === 'default') {
    resolved.config.stateDir = machineStateDir(os, env);
    resolved.origins.stateDir = { source: 'default', label: 'default (machine service)' };
  }
  return { ...resolved, settingsFile };
}
