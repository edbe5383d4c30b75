import type { HostFacts, Lang } from '../../../protocol/index.js';
import { resolveConfig, type EffectiveConfig, type ResolveOptions } from '../../config/resolve.js';
import type { ConfigKey } from '../../config/schema.js';
import { updateUserSettings } from '../../config/user-settings.js';
import { createServerConnection } from '../../enroll/enroll.js';
import { collectHostFacts } from '../../enroll/host-facts.js';
import { createFileTokenStore } from '../../enroll/token-store.js';
import { UsageError } from '../../errors.js';
import { ensureStateFolder } from '../../state/folder.js';
import { createLogger } from '../../log.js';
import { ServerError } from '../../transport/errors.js';
import { createHttpTransport } from '../../transport/http.js';
import { ExitCode, stringOption, type Command } from '../command.js';

/** Flag → config key. The secret is used but never written to the settings file. */
const FLAGS = {
  server: 'serverUrl',
  secret: 'enrollmentSecret',
  'policy-key': 'policyPublicKey',
  'ca-file': 'caFile',
  proxy: 'proxy',
} as const;
const PERSISTED: ConfigKey[] = ['serverUrl', 'policyPublicKey', 'caFile', 'proxy'];

const T = {
  enrolled: {
    de: (id: string, server: string) => `Angemeldet: dieses Gerät ist bei ${server} als ${id} registriert.`,
    en: (id: string, server: string) => `Enrolled: this device is registered with ${server} as ${id}.`,
  },
  pending: {
    de: (server: string) =>
      `Der Server ${server} kennt dieses Gerät schon: die Anmeldung wartet auf die Freigabe durch die IT. ` +
      'Bis dahin bleiben die Berichte hier in der Warteschlange.',
    en: (server: string) =>
      `The server ${server} already knows this machine: the enrollment waits for IT to approve it. ` +
      'Until then the reports stay queued here.',
  },
  saved: {
    de: (file: string) => `Server-Einstellungen gespeichert in ${file}.`,
    en: (file: string) => `Server settings saved to ${file}.`,
  },
  noKey: {
    de: 'Hinweis: kein Richtlinienschlüssel (policyPublicKey) eingestellt – bis dahin gilt die mitgelieferte Richtlinie.',
    en: 'Note: no policy key (policyPublicKey) is set – until it is, the bundled policy applies.',
  },
  pinned: {
    de: (flags: string, server: string) =>
      `Dieses Gerät wird von der IT verwaltet (Server ${server}); ${flags} kann hier nicht geändert werden.`,
    en: (flags: string, server: string) => `This device is managed by IT (server ${server}); ${flags} cannot be changed here.`,
  },
  noServer: {
    de: 'kein Server: --server URL angeben oder von der IT vorgeben lassen',
    en: 'no server: give --server URL or have IT set it',
  },
  noSecret: {
    de: 'kein Anmeldegeheimnis: --secret angeben oder APPWACHT_ENROLLMENT_SECRET setzen',
    en: 'no enrollment secret: give --secret or set APPWACHT_ENROLLMENT_SECRET',
  },
  refused: {
    de: (m: string) => `Der Server hat die Anmeldung abgelehnt (Anmeldegeheimnis falsch oder Gerät gesperrt): ${m}`,
    en: (m: string) => `The server refused the enrollment (wrong enrollment secret, or the device is blocked): ${m}`,
  },
  unreachable: {
    de: (m: string) => `Server nicht erreichbar oder gestört, bitte später erneut versuchen: ${m}`,
    en: (m: string) => `The server cannot be reached or is failing; try again later: ${m}`,
  },
} as const;

export interface EnrollCommandDeps {
  resolve?: (options: ResolveOptions) => Promise<EffectiveConfig>;
  hostFacts?: () => Promise<HostFacts>;
}

function describeServerError(err: ServerError, lang: Lang): string {
  return err.code === 'UNAUTHORIZED' || err.code === 'REJECTED' ? T.refused[lang](err.message) : T.unreachable[lang](err.message);
}

export function createEnrollCommand(deps: EnrollCommandDeps = {}): Command {
  const resolve = deps.resolve ?? resolveConfig;
  return {
    name: 'enroll',
    help: {
      de: `Aufruf: appwacht enroll [--server URL] [--secret GEHEIMNIS] [--policy-key SCHLÜSSEL] [--ca-file DATEI] [--proxy URL] [--json]

Meldet dieses Gerät beim Server an und speichert das Geräte-Token (nur für Sie lesbar) im Statusordner.
Ohne Angaben gelten die Einstellungen (siehe "appwacht config"). Auf einem nicht von der IT verwalteten Gerät
werden --server, --policy-key, --ca-file und --proxy in den Benutzereinstellungen gespeichert, das Geheimnis nie.
Tipp: das Geheimnis besser über APPWACHT_ENROLLMENT_SECRET übergeben – Befehlszeilen sind für andere Prozesse sichtbar.

  --server URL        Adresse des Appwacht-Servers
  --secret GEHEIMNIS  Anmeldegeheimnis (von der IT)
  --policy-key KEY    öffentlicher Richtlinienschlüssel (Base64, Ed25519)
  --ca-file DATEI     zusätzliche CA-Zertifikate (PEM) für den Server
  --proxy URL         Proxy für die Verbindung zum Server
  --json              Ergebnis als JSON

Exit-Codes: 0 angemeldet, 2 Fehler.
`,
      en: `Usage: appwacht enroll [--server URL] [--secret SECRET] [--policy-key KEY] [--ca-file FILE] [--proxy URL] [--json]

Enrolls this device with the server and stores the device token (readable only by you) in the state folder.
Without flags the configured settings apply (see "appwacht config"). On a device IT does not manage,
--server, --policy-key, --ca-file and --proxy are saved to the user settings; the secret never is.
Tip: pass the secret as APPWACHT_ENROLLMENT_SECRET instead – command lines are visible to other processes.

  --server URL        address of the Appwacht server
  --secret SECRET     enrollment secret (from IT)
  --policy-key KEY    policy public key (base64, Ed25519)
  --ca-file FILE      extra CA certificates (PEM) for the server
  --proxy URL         proxy for the connection to the server
  --json              print the result as JSON

Exit codes: 0 enrolled, 2 error.
`,
    },
    options: {
      server: { type: 'string' },
      secret: { type: 'string' },
      'policy-key': { type: 'string' },
      'ca-file': { type: 'string' },
      proxy: { type: 'string' },
      json: { type: 'boolean' },
    },
    async run(values, ctx) {
      const cli: Partial<Record<ConfigKey, string>> = {};
      for (const [flag, key] of Object.entries(FLAGS)) {
        const v = stringOption(values, flag);
        if (v !== undefined) cli[key] = v;
      }
      const resolved = await resolve({ env: ctx.env, cli });
      const { config } = resolved;
      const refused = resolved.ignored.filter((i) => i.source === 'cli');
      if (refused.length)
        throw new UsageError(
          T.pinned[ctx.lang](
            refused.map((i) => `--${Object.entries(FLAGS).find(([, k]) => k === i.key)![0]}`).join(', '),
            config.serverUrl ?? '?',
          ),
        );
      if (!config.serverUrl) throw new UsageError(T.noServer[ctx.lang]);
      if (!config.enrollmentSecret) throw new UsageError(T.noSecret[ctx.lang]);

      // Before the server hands out a token: a folder someone else owns or can write into would expose it.
      await ensureStateFolder(config.stateDir);
      const transport = await createHttpTransport({ caFile: config.caFile, proxy: config.proxy, env: ctx.env });
      let credentials;
      try {
        const { enrollment } = createServerConnection({
          serverUrl: config.serverUrl,
          secret: config.enrollmentSecret,
          fetch: transport.fetch,
          store: createFileTokenStore(config.stateDir),
          hostFacts: deps.hostFacts ?? (() => collectHostFacts({ env: ctx.env })),
          // The command reports in the user's language itself; the log keeps the structured line for support.
          log: createLogger({ level: 'warn', sink: (line) => ctx.err(line + '\n') }),
        });
        credentials = await enrollment.enrollNow();
      } catch (err) {
        if (err instanceof ServerError) {
          ctx.err(`appwacht: ${describeServerError(err, ctx.lang)} [${err.code}]\n`);
          return ExitCode.ERROR;
        }
        throw err;
      } finally {
        await transport.close();
      }

      const toSave = resolved.managed ? [] : PERSISTED.filter((k) => cli[k] !== undefined);
      if (toSave.length) await updateUserSettings(resolved.settingsFile, Object.fromEntries(toSave.map((k) => [k, config[k]])));

      if (values.json) {
        ctx.out(
          JSON.stringify(
            {
              deviceId: credentials.deviceId,
              serverUrl: credentials.serverUrl,
              enrolledAt: credentials.enrolledAt,
              tokenFile: createFileTokenStore(config.stateDir).location,
              savedSettings: toSave,
              policyKeySet: config.policyPublicKey !== undefined,
              pendingApproval: credentials.pendingApproval === true,
            },
            null,
            2,
          ) + '\n',
        );
      } else {
        if (credentials.pendingApproval) ctx.out(T.pending[ctx.lang](credentials.serverUrl) + '\n');
        else ctx.out(T.enrolled[ctx.lang](credentials.deviceId, credentials.serverUrl) + '\n');
        if (toSave.length) ctx.out(T.saved[ctx.lang](resolved.settingsFile) + '\n');
        if (!config.policyPublicKey) ctx.out(T.noKey[ctx.lang] + '\n');
      }
      return ExitCode.OK;
    },
  };
}

export const enrollCommand: Command = createEnrollCommand();
