import { keyIdOf, publicKeyFromBase64, type Lang } from '../../../protocol/index.js';
import type { ConfigSourceKind, ValueOrigin } from '../../config/layers.js';
import { resolveConfig, type EffectiveConfig, type ResolveOptions } from '../../config/resolve.js';
import { CONFIG_KEYS, CONFIG_KEY_NAMES, maskSecret, type ConfigKey } from '../../config/schema.js';
import { detectLang } from '../../i18n.js';
import { MODE_TEXTS } from '../../service/machine-mode.js';
import { ExitCode, type Command } from '../command.js';

const SOURCE_NAMES: Record<ConfigSourceKind, Record<Lang, string>> = {
  'managed-machine': { de: 'von der IT (Computer)', en: 'managed by IT (computer)' },
  'managed-user': { de: 'von der IT (Benutzer)', en: 'managed by IT (user)' },
  cli: { de: 'Befehlszeile', en: 'command line' },
  env: { de: 'Umgebungsvariable', en: 'environment variable' },
  user: { de: 'Benutzereinstellungen', en: 'user settings' },
  default: { de: 'Standard', en: 'default' },
};

const T = {
  title: { de: 'Appwacht – wirksame Einstellungen', en: 'Appwacht – effective configuration' },
  managed: {
    de: (m: boolean) =>
      m ? 'Verwaltet von der IT: ja (Server, Schlüssel, CA-Datei und Proxy nur aus IT-Vorgaben)' : 'Verwaltet von der IT: nein',
    en: (m: boolean) => (m ? 'Managed by IT: yes (server, key, CA file and proxy from IT settings only)' : 'Managed by IT: no'),
  },
  notSet: { de: '(nicht gesetzt)', en: '(not set)' },
  fromLocale: { de: (l: Lang) => `(nicht gesetzt: Systemsprache → ${l})`, en: (l: Lang) => `(not set: system locale → ${l})` },
  keyId: { de: 'Schlüssel-ID', en: 'key id' },
  ignored: { de: 'Nicht verwendet (von der IT festgelegt):', en: 'Not used (pinned by IT):' },
  warnings: { de: 'Hinweise:', en: 'Warnings:' },
  settingsFile: { de: 'Datei der Benutzereinstellungen', en: 'User settings file' },
} as const;

/** A value as `config` shows it: secrets masked, the policy key with its key id (what the server's envelopes carry). */
function shown(key: ConfigKey, value: string, lang: Lang): string {
  if (CONFIG_KEYS[key].secret) return maskSecret(value);
  if (key === 'policyPublicKey') {
    try {
      return `${value} (${T.keyId[lang]} ${keyIdOf(publicKeyFromBase64(value))})`;
    } catch {
      return value;
    }
  }
  return value;
}

function originText(origin: ValueOrigin, lang: Lang): string {
  const name = SOURCE_NAMES[origin.source][lang];
  return origin.source === 'default' ? name : `${name}: ${origin.label}`;
}

export function configJson(resolved: EffectiveConfig) {
  const values: Record<string, { value: string | null; source: ConfigSourceKind | null; from: string | null }> = {};
  for (const key of CONFIG_KEY_NAMES) {
    const value = (resolved.config as unknown as Record<string, string | undefined>)[key];
    const origin = resolved.origins[key];
    values[key] = {
      value: value === undefined ? null : CONFIG_KEYS[key].secret ? maskSecret(value) : value,
      source: origin?.source ?? null,
      from: origin?.label ?? null,
    };
  }
  return {
    managed: resolved.managed,
    values,
    ignored: resolved.ignored.map(({ key, source, label }) => ({ key, source, from: label })),
    warnings: resolved.warnings.map((w) => w.en),
    settingsFile: resolved.settingsFile,
  };
}

export function formatConfig(resolved: EffectiveConfig, lang: Lang, env: NodeJS.ProcessEnv): string {
  const width = Math.max(...CONFIG_KEY_NAMES.map((k) => k.length));
  const mode = resolved.config.agentMode ?? 'user';
  const lines = [
    T.title[lang],
    T.managed[lang](resolved.managed),
    `${lang === 'de' ? 'Betriebsart' : 'Runs as'}: ${MODE_TEXTS[mode][lang]}`,
    '',
  ];
  for (const key of CONFIG_KEY_NAMES) {
    const value = (resolved.config as unknown as Record<string, string | undefined>)[key];
    const origin = resolved.origins[key];
    let text: string;
    if (value !== undefined) text = `${shown(key, value, lang)}   ← ${origin ? originText(origin, lang) : ''}`;
    else if (key === 'language') text = T.fromLocale[lang](detectLang(undefined, env));
    else text = T.notSet[lang];
    lines.push(`  ${key.padEnd(width)}  ${text}`);
  }
  if (resolved.ignored.length) {
    lines.push('', T.ignored[lang]);
    for (const i of resolved.ignored) lines.push(`  ${i.key}  ← ${SOURCE_NAMES[i.source][lang]}: ${i.label}`);
  }
  if (resolved.warnings.length) lines.push('', T.warnings[lang], ...resolved.warnings.map((w) => `  ${w[lang]}`));
  lines.push('', `${T.settingsFile[lang]}: ${resolved.settingsFile}`);
  return lines.join('\n') + '\n';
}

const names = CONFIG_KEY_NAMES.map(
  (k) => `  ${k.padEnd(17)} ${CONFIG_KEYS[k].env.padEnd(27)} ${CONFIG_KEYS[k].managedName}`,
).join('\n');

/** `resolve` is injectable so tests can read managed settings below a fixture root instead of this machine's. */
export function createConfigCommand(resolve: (options: ResolveOptions) => Promise<EffectiveConfig> = resolveConfig): Command {
  return {
    name: 'config',
    help: {
      de: `Aufruf: appwacht config [--json]

Zeigt jede Einstellung mit ihrem wirksamen Wert und woher er stammt. Geheimnisse werden maskiert.
Vorrang: IT-Vorgaben (Computer vor Benutzer) > Befehlszeile > Umgebungsvariable > Benutzereinstellungen > Standard.
Sobald die IT Server oder Richtlinienschlüssel vorgibt, kommen Server, Schlüssel, CA-Datei und Proxy nur noch aus IT-Vorgaben.

Einstellungen (JSON-Datei, Umgebungsvariable, Name in Registry/verwalteten Einstellungen):
${names}

IT-Vorgaben: Windows HKLM/HKCU\\SOFTWARE\\Policies\\Appwacht, macOS verwaltete Einstellungen für
de.appwacht.agent, Linux /etc/appwacht/config.json.

  --json          als JSON ausgeben
`,
      en: `Usage: appwacht config [--json]

Shows every setting with its effective value and where it came from. Secrets are masked.
Precedence: IT settings (computer before user) > command line > environment > user settings > default.
Once IT sets the server or the policy key, server, key, CA file and proxy come from IT settings only.

Settings (JSON file, environment variable, name in the registry / managed preferences):
${names}

IT settings: Windows HKLM/HKCU\\SOFTWARE\\Policies\\Appwacht, macOS managed preferences for
de.appwacht.agent, Linux /etc/appwacht/config.json.

  --json          print as JSON
`,
    },
    options: { json: { type: 'boolean' } },
    async run(values, ctx) {
      const resolved = await resolve({ env: ctx.env });
      ctx.out(values.json ? JSON.stringify(configJson(resolved), null, 2) + '\n' : formatConfig(resolved, ctx.lang, ctx.env));
      return ExitCode.OK;
    },
  };
}

export const configCommand: Command = createConfigCommand();
