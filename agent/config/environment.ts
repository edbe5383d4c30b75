import { resolve } from 'node:path';
import type { ConfigLayer } from './layers.js';
import { CONFIG_KEYS, CONFIG_KEY_NAMES, type ConfigKey } from './schema.js';

const PATH_KEYS: ReadonlySet<ConfigKey> = new Set(['caFile', 'stateDir']);

/** A relative path typed in a shell means "from here"; files and the registry must give absolute ones. */
function withAbsolutePaths(values: Partial<Record<ConfigKey, string>>, cwd: string): Partial<Record<ConfigKey, string>> {
  const out = { ...values };
  for (const key of PATH_KEYS) {
    const v = out[key];
    if (v !== undefined && v.trim() !== '') out[key] = resolve(cwd, v.trim());
  }
  return out;
}

/** APPWACHT_* variables (see CONFIG_KEYS[key].env). */
export function envLayer(env: NodeJS.ProcessEnv, cwd = process.cwd()): ConfigLayer {
  const values: Partial<Record<ConfigKey, string>> = {};
  for (const key of CONFIG_KEY_NAMES) {
    const v = env[CONFIG_KEYS[key].env];
    if (v !== undefined) values[key] = v;
  }
  return { kind: 'env', label: 'environment', values: withAbsolutePaths(values, cwd) };
}

/** Values a command took from its flags (`appwacht enroll --server … --secret …`). */
export function cliLayer(values: Partial<Record<ConfigKey, string | undefined>>, cwd = process.cwd()): ConfigLayer {
  const set: Partial<Record<ConfigKey, string>> = {};
  for (const [k, v] of Object.entries(values)) if (v !== undefined) set[k as ConfigKey] = v;
  return { kind: 'cli', label: 'command line', values: withAbsolutePaths(set, cwd) };
}
