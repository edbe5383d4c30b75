import { parseRegQuery, regQueryArgs, expandHive, type RegValue } from '../inventory/sources/registry.js';
import { windowsTools, type Runner, type WindowsSourceOptions } from '../inventory/sources/windows-commands.js';
import { layerFromRecord, type ConfigLayer, type ConfigSourceKind } from './layers.js';
import { ConfigError } from './schema.js';

export type CommandRunner = Runner;

/** Group Policy's home for Appwacht (what the ADMX writes). Only administrators can write below …\Policies, HKCU's included. */
const POLICY_PARENT = 'SOFTWARE\\Policies';
const POLICY_KEY = 'Appwacht';
const HIVES: [ConfigSourceKind, 'HKLM' | 'HKCU'][] = [
  ['managed-machine', 'HKLM'],
  ['managed-user', 'HKCU'],
];

/** REG_EXPAND_SZ as Windows expands it: %NAME% from the environment (names case-insensitive), unknown names stay. */
export function expandEnvironmentStrings(text: string, env: NodeJS.ProcessEnv): string {
  const lower = new Map(Object.entries(env).map(([k, v]) => [k.toLowerCase(), v]));
  return text.replace(/%([^%]+)%/g, (whole, name: string) => lower.get(name.toLowerCase()) ?? whole);
}

function valueText(value: RegValue, env: NodeJS.ProcessEnv): unknown {
  if (value.type === 'REG_SZ') return value.data;
  if (value.type === 'REG_EXPAND_SZ') return expandEnvironmentStrings(value.data, env);
  // Anything else (a DWORD, binary data) is not what the ADMX writes; validation names the key and its source.
  return { type: value.type };
}

/**
 * Reads HKLM and HKCU `SOFTWARE\Policies\Appwacht` with reg.exe (absolute path, 64-bit view).
 * Whether the key exists is read from its parent's subkey list, not from reg.exe's exit code: reg.exe fails with
 * exit code 1 both for a missing key and for "access denied", and its messages are localised. So: a key that is listed
 * is read and every failure is an error (fail closed: a managed agent must not fall back to user settings because a
 * command failed); a key that is not listed is simply not set.
 */
export async function readManagedWindows(
  options: WindowsSourceOptions & { env?: NodeJS.ProcessEnv } = {},
): Promise<ConfigLayer[]> {
  const tools = windowsTools(options);
  const env = options.env ?? process.env;
  const layers: ConfigLayer[] = [];
  for (const [kind, hive] of HIVES) {
    const parent = `${hive}\\${POLICY_PARENT}`;
    const key = `${parent}\\${POLICY_KEY}`;
    const query = async (k: string) => {
      try {
        return parseRegQuery(await tools.run(tools.reg, regQueryArgs(k, false), { timeoutMs: 15_000 })).keys;
      } catch (err) {
        throw new ConfigError('CONFIG_UNREADABLE', `cannot read managed settings ${k}: ${(err as Error).message}`, {
          cause: err,
        });
      }
    };
    const listed = (await query(parent)).some((k) => k.path.toLowerCase() === expandHive(key).toLowerCase());
    if (!listed) continue;
    const own = (await query(key)).find((k) => k.path.toLowerCase() === expandHive(key).toLowerCase());
    const record: Record<string, unknown> = {};
    for (const value of own?.values ?? []) {
      if (value.name === '(Default)' || value.name === '(Standard)') continue; // the unnamed value, printed localised
      record[value.name] = valueText(value, env);
    }
    layers.push(layerFromRecord(kind, key, record));
  }
  return layers;
}
