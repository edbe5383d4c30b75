// Group Policy templates for Appwacht (issue 11): build/windows/policy/appwacht.admx and its en-US and de-DE .adml,
// generated from the agent's config schema (agent/config/schema.ts) so the two cannot drift: every key of CONFIG_KEYS
// becomes a policy writing its managedName below HKLM/HKCU\SOFTWARE\Policies\Appwacht (what managed.windows.ts reads),
// an enum schema becomes a drop-down of exactly its values, and TEXTS is typed by the key list, so a new key does not
// compile without its German and English text. test/build/admx.test.ts checks the committed files against this output.
//   npx tsx scripts/packaging/admx.ts          writes the three files
//   npx tsx scripts/packaging/admx.ts --check  exits 1 when a committed file differs
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_KEYS, CONFIG_KEY_NAMES, type ConfigKey, type KeyDefinition } from '../../agent/config/schema.js';

type Lang = 'en' | 'de';
interface PolicyText {
  name: string;
  help: string;
  /** Label of the input field. */
  label: string;
}

/** Registry values as the agent reads them: strings only (REG_SZ; REG_EXPAND_SZ for paths). */
const POLICY_KEY = 'SOFTWARE\\Policies\\Appwacht';

export const TEXTS: Record<ConfigKey, Record<Lang, PolicyText>> = {
  serverUrl: {
    en: {
      name: 'Appwacht server',
      label: 'Server URL',
      help: 'The intranet Appwacht server the agent enrolls with, fetches the signed policy from and reports to, e.g. https://appwacht.intranet.example.\n\nOnce this or the policy key is set here, the server, the policy key, the CA file and the proxy are taken from Group Policy only; a user cannot override them.',
    },
    de: {
      name: 'Appwacht-Server',
      label: 'Server-URL',
      help: 'Der Appwacht-Server im Intranet, bei dem sich der Agent anmeldet, von dem er die signierte Richtlinie holt und an den er berichtet, z. B. https://appwacht.intranet.example.\n\nSobald diese Einstellung oder der Richtlinienschlüssel hier gesetzt ist, kommen Server, Richtlinienschlüssel, CA-Datei und Proxy nur noch aus der Gruppenrichtlinie; Benutzer können sie nicht überschreiben.',
    },
  },
  enrollmentSecret: {
    en: {
      name: 'Enrollment secret',
      label: 'Enrollment secret (16–200 characters)',
      help: 'The secret with which a device enrolls with the Appwacht server for the first time (the server prints it once when it is created).\n\nGroup Policy values can be read by every user of the computer and of the domain (SYSVOL). The secret only lets a device enroll with the server configured above; rotate it on the server if it leaks.',
    },
    de: {
      name: 'Registrierungsgeheimnis',
      label: 'Registrierungsgeheimnis (16–200 Zeichen)',
      help: 'Das Geheimnis, mit dem sich ein Gerät zum ersten Mal beim Appwacht-Server registriert (der Server zeigt es einmal an, wenn es erzeugt wird).\n\nWerte aus Gruppenrichtlinien können alle Benutzer des Computers und der Domäne (SYSVOL) lesen. Das Geheimnis erlaubt nur die Registrierung bei dem oben eingestellten Server; gelangt es nach außen, erneuern Sie es auf dem Server.',
    },
  },
  policyPublicKey: {
    en: {
      name: 'Policy signing key',
      label: 'Public key (base64, 44 characters)',
      help: 'The Ed25519 public key of the Appwacht server (base64 of the raw 32 bytes). The agent accepts only policies signed with the matching private key. Without it, the agent checks against its built-in default policy and sends no reports.',
    },
    de: {
      name: 'Schlüssel der Richtliniensignatur',
      label: 'Öffentlicher Schlüssel (Base64, 44 Zeichen)',
      help: 'Der öffentliche Ed25519-Schlüssel des Appwacht-Servers (Base64 der 32 Bytes). Der Agent nimmt nur Richtlinien an, die mit dem zugehörigen privaten Schlüssel signiert sind. Ohne ihn prüft der Agent gegen seine eingebaute Standardrichtlinie und sendet keine Berichte.',
    },
  },
  caFile: {
    en: {
      name: 'CA certificate file',
      label: 'Absolute path of a PEM file',
      help: 'An additional certificate authority (PEM file, absolute path; environment variables such as %ProgramData% are expanded) that the agent trusts for the Appwacht server, for an intranet CA that Windows does not know.',
    },
    de: {
      name: 'CA-Zertifikatsdatei',
      label: 'Absoluter Pfad einer PEM-Datei',
      help: 'Eine zusätzliche Zertifizierungsstelle (PEM-Datei, absoluter Pfad; Umgebungsvariablen wie %ProgramData% werden aufgelöst), der der Agent für den Appwacht-Server vertraut – für eine Intranet-CA, die Windows nicht kennt.',
    },
  },
  proxy: {
    en: {
      name: 'Proxy',
      label: 'Proxy URL',
      help: 'An HTTP(S) proxy for the agent’s connections to the Appwacht server, e.g. http://proxy.intranet.example:3128. Unset: direct connection.',
    },
    de: {
      name: 'Proxy',
      label: 'Proxy-URL',
      help: 'Ein HTTP(S)-Proxy für die Verbindungen des Agenten zum Appwacht-Server, z. B. http://proxy.intranet.example:3128. Nicht gesetzt: direkte Verbindung.',
    },
  },
  minPolicyVersion: {
    en: {
      name: 'Lowest accepted policy version',
      label: 'Policy version (1 or more)',
      help: 'The agent refuses signed policies with a lower version, so an old policy cannot be replayed to a freshly installed device. Raise it after publishing a stricter policy.',
    },
    de: {
      name: 'Niedrigste angenommene Richtlinienversion',
      label: 'Richtlinienversion (ab 1)',
      help: 'Der Agent lehnt signierte Richtlinien mit niedrigerer Version ab, damit einem frisch installierten Gerät keine alte Richtlinie untergeschoben werden kann. Erhöhen Sie den Wert, nachdem Sie eine strengere Richtlinie veröffentlicht haben.',
    },
  },
  updateChannel: {
    en: {
      name: 'Update channel',
      label: 'Channel',
      help: 'The channel of the server’s update feed this device follows, instead of the one the policy names (e.g. beta for a pilot group). Only used when the policy switches automatic updates on. Not configured: the policy’s channel.',
    },
    de: {
      name: 'Update-Kanal',
      label: 'Kanal',
      help: 'Der Kanal des Update-Verzeichnisses auf dem Server, dem dieses Gerät folgt, statt des Kanals aus der Richtlinie (z. B. beta für eine Pilotgruppe). Wirkt nur, wenn die Richtlinie automatische Updates einschaltet. Nicht konfiguriert: der Kanal der Richtlinie.',
    },
  },
  agentMode: {
    en: {
      name: 'Agent mode',
      label: 'Mode',
      help: 'machine: the agent runs as a system service (SYSTEM), which the installer sets up; the device token and state are out of employees’ reach. user: the agent runs in each employee’s account (weaker: that account can stop it).',
    },
    de: {
      name: 'Betriebsart des Agenten',
      label: 'Betriebsart',
      help: 'machine: Der Agent läuft als Systemdienst (SYSTEM), den das Installationsprogramm einrichtet; Geräte-Token und Zustand sind für Mitarbeiter nicht zugänglich. user: Der Agent läuft im Konto jedes Mitarbeiters (schwächer: dieses Konto kann ihn beenden).',
    },
  },
  language: {
    en: {
      name: 'Language',
      label: 'Language',
      help: 'The language of the agent’s messages and notifications. Not configured: the user’s Windows display language decides (German or English).',
    },
    de: {
      name: 'Sprache',
      label: 'Sprache',
      help: 'Die Sprache der Meldungen und Benachrichtigungen des Agenten. Nicht konfiguriert: Die Anzeigesprache von Windows entscheidet (Deutsch oder Englisch).',
    },
  },
  stateDir: {
    en: {
      name: 'State folder',
      label: 'Absolute path',
      help: 'Where the agent keeps its state (device token, cached policy, outbox). Leave unset: the machine service uses %ProgramData%\\Appwacht, which the installer protects (SYSTEM and Administrators only).',
    },
    de: {
      name: 'Zustandsordner',
      label: 'Absoluter Pfad',
      help: 'Wo der Agent seinen Zustand ablegt (Geräte-Token, zwischengespeicherte Richtlinie, Postausgang). Nicht setzen: Der Maschinendienst nutzt %ProgramData%\\Appwacht, den das Installationsprogramm schützt (nur SYSTEM und Administratoren).',
    },
  },
  logLevel: {
    en: {
      name: 'Log level',
      label: 'Level',
      help: 'How much the agent writes to its log: debug, info, warn or error.',
    },
    de: {
      name: 'Protokollstufe',
      label: 'Stufe',
      help: 'Wie viel der Agent in sein Protokoll schreibt: debug, info, warn oder error.',
    },
  },
};

const LANGS: [Lang, string, string][] = [
  ['en', 'en-US', 'Appwacht'],
  ['de', 'de-DE', 'Appwacht'],
];

const CATEGORY_TEXT: Record<Lang, { category: string; supported: string; title: string; description: string }> = {
  en: {
    category: 'Appwacht',
    supported: 'Appwacht 0.1 or later on Windows 10 or later',
    title: 'Appwacht agent',
    description: 'Settings of the Appwacht agent (managed settings below SOFTWARE\\Policies\\Appwacht).',
  },
  de: {
    category: 'Appwacht',
    supported: 'Appwacht 0.1 oder neuer unter Windows 10 oder neuer',
    title: 'Appwacht-Agent',
    description: 'Einstellungen des Appwacht-Agenten (verwaltete Einstellungen unter SOFTWARE\\Policies\\Appwacht).',
  },
};

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The values of a setting that is a choice (its `values` in the schema), or undefined for free text. */
export function enumValues(key: ConfigKey): readonly string[] | undefined {
  const def: KeyDefinition = CONFIG_KEYS[key];
  return def.values;
}

/** Paths may name %ProgramData% & co.: REG_EXPAND_SZ, which the agent expands (managed.windows.ts). */
const EXPANDABLE: ReadonlySet<ConfigKey> = new Set(['caFile', 'stateDir']);

export function admx(): string {
  const policies = CONFIG_KEY_NAMES.map((key) => {
    const name = CONFIG_KEYS[key].managedName;
    const values = enumValues(key);
    const element = values
      ? `        <enum id="${name}" valueName="${name}" required="true">\n${values
          .map((v) => `          <item displayName="$(string.${name}_${v})"><value><string>${xml(v)}</string></value></item>`)
          .join('\n')}\n        </enum>`
      : `        <text id="${name}" valueName="${name}" required="true"${EXPANDABLE.has(key) ? ' expandable="true"' : ''} maxLength="${key === 'enrollmentSecret' ? 200 : 2048}"/>`;
    return `    <policy name="${name}" class="Both" displayName="$(string.${name})" explainText="$(string.${name}_Help)" presentation="$(presentation.${name})" key="${POLICY_KEY}">
      <parentCategory ref="Appwacht"/>
      <supportedOn ref="SUPPORTED_Appwacht"/>
      <elements>
${element}
      </elements>
    </policy>`;
  });
  return `<?xml version="1.0" encoding="utf-8"?>
<!-- Generated by scripts/packaging/admx.ts from agent/config/schema.ts; do not edit by hand. -->
<policyDefinitions xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" revision="1.0" schemaVersion="1.0" xmlns="http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions">
  <policyNamespaces>
    <target prefix="appwacht" namespace="Appwacht.Policies.Agent"/>
  </policyNamespaces>
  <resources minRequiredRevision="1.0"/>
  <supportedOn>
    <definitions>
      <definition name="SUPPORTED_Appwacht" displayName="$(string.SUPPORTED_Appwacht)"/>
    </definitions>
  </supportedOn>
  <categories>
    <category name="Appwacht" displayName="$(string.Appwacht)" explainText="$(string.Appwacht_Help)"/>
  </categories>
  <policies>
${policies.join('\n')}
  </policies>
</policyDefinitions>
`;
}

export function adml(lang: Lang): string {
  const c = CATEGORY_TEXT[lang];
  const strings: string[] = [
    `      <string id="Appwacht">${xml(c.category)}</string>`,
    `      <string id="Appwacht_Help">${xml(c.description)}</string>`,
    `      <string id="SUPPORTED_Appwacht">${xml(c.supported)}</string>`,
  ];
  const presentations: string[] = [];
  for (const key of CONFIG_KEY_NAMES) {
    const name = CONFIG_KEYS[key].managedName;
    const t = TEXTS[key][lang];
    strings.push(`      <string id="${name}">${xml(t.name)}</string>`, `      <string id="${name}_Help">${xml(t.help)}</string>`);
    const values = enumValues(key);
    for (const v of values ?? []) strings.push(`      <string id="${name}_${v}">${xml(v)}</string>`);
    presentations.push(
      values
        ? `      <presentation id="${name}"><dropdownList refId="${name}" noSort="true">${xml(t.label)}</dropdownList></presentation>`
        : `      <presentation id="${name}"><textBox refId="${name}"><label>${xml(t.label)}</label></textBox></presentation>`,
    );
  }
  return `<?xml version="1.0" encoding="utf-8"?>
<!-- Generated by scripts/packaging/admx.ts from agent/config/schema.ts; do not edit by hand. -->
<policyDefinitionResources xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" revision="1.0" schemaVersion="1.0" xmlns="http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions">
  <displayName>${xml(c.title)}</displayName>
  <description>${xml(c.description)}</description>
  <resources>
    <stringTable>
${strings.join('\n')}
    </stringTable>
    <presentationTable>
${presentations.join('\n')}
    </presentationTable>
  </resources>
</policyDefinitionResources>
`;
}

export const POLICY_DIR = fileURLToPath(new URL('../../build/windows/policy/', import.meta.url));

/** Relative path in build/windows/policy → content. */
export function templates(): Record<string, string> {
  const files: Record<string, string> = { 'appwacht.admx': admx() };
  for (const [lang, folder] of LANGS) files[join(folder, 'appwacht.adml')] = adml(lang);
  return files;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const check = process.argv.includes('--check');
  let stale = false;
  for (const [rel, text] of Object.entries(templates())) {
    const path = join(POLICY_DIR, rel);
    if (check) {
      const current = await readFile(path, 'utf8').catch(() => '');
      if (current !== text) {
        console.error(`${path} is out of date: npx tsx scripts/packaging/admx.ts`);
        stale = true;
      }
    } else {
      await mkdir(join(path, '..'), { recursive: true });
      await writeFile(path, text);
      console.log(`wrote ${path}`);
    }
  }
  process.exit(stale ? 1 : 0);
}
