import type { Lang } from '../../protocol/index.js';
import {
  CONFIG_KEYS,
  CONFIG_KEY_NAMES,
  ConfigError,
  keyForName,
  validateValue,
  type AgentConfig,
  type ConfigKey,
} from './schema.js';

/**
 * Where a value can come from, strongest first. Managed sources (what IT rolls out; only administrators can write
 * them) beat everything the user controls. Among the user's own sources the most specific, most short-lived wins:
 * a command-line flag over an environment variable over the settings file.
 * Machine-wide policy beats per-user policy, as Group Policy and Chrome's policy resolution do.
 */
export const SOURCE_ORDER = ['managed-machine', 'managed-user', 'cli', 'env', 'user', 'default'] as const;
export type ConfigSourceKind = (typeof SOURCE_ORDER)[number];

export const isManaged = (kind: ConfigSourceKind) => kind === 'managed-machine' || kind === 'managed-user';

/** The raw values one source holds, as read (strings, mostly), before validation. */
export interface ConfigLayer {
  kind: ConfigSourceKind;
  /** Where exactly: a file path, a registry key, "environment", "command line". */
  label: string;
  values: Partial<Record<ConfigKey, unknown>>;
  /** Names in the source that are no config key (a typo, or a setting of a newer agent): ignored, with a warning. */
  unknown?: string[];
}

export type ConfigWarning = Record<Lang, string>;

export interface ValueOrigin {
  source: ConfigSourceKind;
  label: string;
}

export interface ResolvedConfig {
  config: AgentConfig;
  /** Where each effective value came from; undefined when the key is unset. */
  origins: Partial<Record<ConfigKey, ValueOrigin>>;
  /** True when IT manages the agent: the managed sources name the server or the policy key. */
  managed: boolean;
  /** Values that were set but not used because a managed source pins that key. */
  ignored: { key: ConfigKey; source: ConfigSourceKind; label: string }[];
  /** Things that work but are probably not what was meant; admins read them (`appwacht config`), so in both languages. */
  warnings: ConfigWarning[];
}

/** Turns `{ anyCaseName: value }` from a file or plist into a layer, sorting out names that are no config key. */
export function layerFromRecord(kind: ConfigSourceKind, label: string, record: Record<string, unknown>): ConfigLayer {
  const values: ConfigLayer['values'] = {};
  const unknown: string[] = [];
  for (const [name, value] of Object.entries(record)) {
    const key = keyForName(name);
    if (key) values[key] = value;
    else unknown.push(name);
  }
  return { kind, label, values, unknown };
}

export interface MergeOptions {
  /**
   * The background agent passes true: a bad value in a source the *user* controls is dropped with a warning instead of
   * stopping the agent — otherwise breaking one's own settings file would be a way to switch the checks off.
   * Bad managed values always throw: IT has to see and fix them. Interactive commands keep the default (throw).
   */
  tolerateUserErrors?: boolean;
  /** Warnings found while reading the sources, reported together with the merge's own. */
  warnings?: ConfigWarning[];
}

/** Where exactly a value came from: the variable or flag name, else the file or registry key. */
function originLabel(layer: ConfigLayer, key: ConfigKey): string {
  if (layer.kind === 'env') return CONFIG_KEYS[key].env;
  if (layer.kind === 'cli') return `--${CONFIG_KEYS[key].flag}`;
  return layer.label;
}

function sourceName(layer: ConfigLayer, key: ConfigKey): string {
  const def = CONFIG_KEYS[key];
  if (layer.kind === 'env') return `${def.env} (environment)`;
  if (layer.kind === 'cli') return `--${def.flag} (command line)`;
  if (isManaged(layer.kind)) return `${def.managedName} in ${layer.label}`;
  return `${key} in ${layer.label}`;
}

/**
 * Pure: merges validated layers by precedence. Rule that keeps a managed agent managed: when the managed sources
 * name the server or the policy key, every *pinned* key (server URL, policy key, CA file, proxy) comes from managed
 * sources only — otherwise a user could add a policy key of their own, a CA that lets them answer for the server, or a
 * proxy, next to IT's server URL. What the user set for such a key is listed in `ignored` so `appwacht config` shows it.
 * Unpinned keys (secret, language, state folder, log level) follow SOURCE_ORDER; IT can still fix them by setting them.
 */
export function mergeLayers(
  layers: ConfigLayer[],
  defaults: Pick<AgentConfig, 'stateDir' | 'logLevel'>,
  options: MergeOptions = {},
): ResolvedConfig {
  const problems: string[] = [];
  const warnings: ConfigWarning[] = [...(options.warnings ?? [])];
  const validated = layers.map((layer) => {
    const values: Partial<Record<ConfigKey, string>> = {};
    for (const key of CONFIG_KEY_NAMES) {
      const raw = layer.values[key];
      if (raw === undefined || (typeof raw === 'string' && raw.trim() === '')) continue; // empty = not set (an empty registry value, an unset variable)
      const result = validateValue(key, raw);
      if (result.ok) values[key] = result.value;
      else if (options.tolerateUserErrors && !isManaged(layer.kind))
        warnings.push({
          en: `${sourceName(layer, key)}: ${result.message} (value ignored)`,
          de: `${sourceName(layer, key)}: ${result.message} (Wert ignoriert)`,
        });
      else problems.push(`${sourceName(layer, key)}: ${result.message}`);
    }
    for (const name of layer.unknown ?? [])
      warnings.push({
        en: `${layer.label}: unknown setting "${name}" ignored`,
        de: `${layer.label}: unbekannte Einstellung "${name}" ignoriert`,
      });
    return { ...layer, values };
  });
  if (problems.length > 0) throw new ConfigError('CONFIG_INVALID', `invalid configuration:\n  ${problems.join('\n  ')}`);

  const rank = (l: ConfigLayer) => SOURCE_ORDER.indexOf(l.kind);
  const ordered = [...validated].sort((a, b) => rank(a) - rank(b));
  const managed = ordered.some(
    (l) => isManaged(l.kind) && (l.values.serverUrl !== undefined || l.values.policyPublicKey !== undefined),
  );

  const config: Record<string, string> = { stateDir: defaults.stateDir, logLevel: defaults.logLevel };
  const origins: ResolvedConfig['origins'] = {
    stateDir: { source: 'default', label: 'default' },
    logLevel: { source: 'default', label: 'default' },
  };
  const ignored: ResolvedConfig['ignored'] = [];
  for (const key of CONFIG_KEY_NAMES) {
    let chosen = false;
    for (const layer of ordered) {
      const value = layer.values[key];
      if (value === undefined) continue;
      if (managed && CONFIG_KEYS[key].pinned && !isManaged(layer.kind)) {
        ignored.push({ key, source: layer.kind, label: originLabel(layer, key) });
        continue;
      }
      if (chosen) continue;
      config[key] = value;
      origins[key] = { source: layer.kind, label: originLabel(layer, key) };
      chosen = true;
    }
  }
  if (config.serverUrl && !config.policyPublicKey)
    warnings.push({
      en: 'serverUrl is set but policyPublicKey is not: no policy from the server can be verified, so the agent stays on the bundled policy',
      de: 'serverUrl ist gesetzt, policyPublicKey nicht: keine Richtlinie vom Server kann geprüft werden, der Agent bleibt bei der mitgelieferten',
    });
  if (config.serverUrl?.startsWith('http:'))
    warnings.push({
      en: 'serverUrl uses plain http: the device token and reports travel unencrypted (the policy itself is still signed)',
      de: 'serverUrl verwendet unverschlüsseltes http: Geräte-Token und Meldungen gehen im Klartext (die Richtlinie bleibt signiert)',
    });
  return { config: config as unknown as AgentConfig, origins, managed, ignored, warnings };
}
