import type { OsName } from '../../../protocol/index.js';
import type { ConfigKey } from '../../config/schema.js';
import { UsageError } from '../../errors.js';
import { currentOs } from '../../inventory/current-os.js';
import { assertRootFolder } from '../../inventory/root-folder.js';
import { parseSeconds, type IntervalOverrides } from '../../runtime/intervals.js';
import type { RunAgentOptions } from '../../runtime/agent.js';
import type { ScanTarget } from '../../scan.js';
import type { SupervisorOptions } from '../../runtime/supervisor.js';
import type { TurnProcessOptions } from '../../runtime/turn-process.js';
import { ExitCode, stringOption, type Command, type OptionValues } from '../command.js';

// `appwacht run` stays resident: this module and what it imports statically must stay light (no zod, no inventory).
// The turn, the single-process agent and the supervisor are imported only once it is clear which one runs.

const OS_NAMES: readonly OsName[] = ['windows', 'macos', 'linux'];

/** Flag → config key (the config module's names; see `appwacht config`). */
const CONFIG_FLAGS = {
  server: 'serverUrl',
  secret: 'enrollmentSecret',
  'policy-key': 'policyPublicKey',
  'ca-file': 'caFile',
  proxy: 'proxy',
  'state-dir': 'stateDir',
  'log-level': 'logLevel',
} as const satisfies Record<string, ConfigKey>;

const INTERVAL_FLAGS = {
  'scan-interval': 'scanMs',
  'refresh-interval': 'refreshMs',
  'heartbeat-interval': 'heartbeatMs',
  'watch-interval': 'watchMs',
  'retry-max': 'retryMaxMs',
} as const satisfies Record<string, keyof IntervalOverrides>;

function readTarget(values: OptionValues): ScanTarget {
  const root = stringOption(values, 'root');
  const osText = stringOption(values, 'os');
  const processes = stringOption(values, 'processes');
  if (osText !== undefined && root === undefined) throw new UsageError('--os only applies together with --root');
  if (osText !== undefined && !OS_NAMES.includes(osText as OsName))
    throw new UsageError(`--os must be macos or linux, not "${osText}"`);
  const osName = (osText ?? currentOs()) as OsName;
  if (osName === 'windows' && root !== undefined)
    throw new UsageError('Windows is read from the registry, not a folder tree: --root works for macos and linux');
  if (processes !== undefined && processes !== 'live' && processes !== 'off')
    throw new UsageError(`--processes must be "live" or "off", not "${processes}"`);
  const liveProcesses = processes === undefined ? root === undefined : processes === 'live';
  if (liveProcesses && osName !== currentOs())
    throw new UsageError(`--processes live watches this machine (${currentOs()}); it cannot be combined with --os ${osName}`);
  return { os: osName, ...(root !== undefined ? { root } : {}), liveProcesses };
}

export interface RunCommandDeps {
  /** The runtime, injectable so CLI parsing can be tested without starting the loop. */
  runAgent?: (options: RunAgentOptions) => Promise<void>;
  runSupervisor?: (options: SupervisorOptions) => Promise<void>;
  runTurnProcess?: (options: TurnProcessOptions) => Promise<void>;
}

export function createRunCommand(deps: RunCommandDeps = {}): Command {
  return {
    name: 'run',
    help: {
      de: `Aufruf: appwacht run [optionen]

Läuft ohne Oberfläche, bis es beendet wird (SIGTERM/SIGINT): prüft das Gerät im Takt der Richtlinie, bemerkt
gestartete verbotene Apps binnen Sekunden, holt die Richtlinie vom Server, meldet Zustandsänderungen und
Lebenszeichen und benachrichtigt den Mitarbeiter. Ohne Server (oder vor der Anmeldung) gilt die mitgelieferte
Richtlinie (lokaler Modus). Pro Benutzer läuft nur eine Instanz. Zustand: "appwacht status".

Einstellungen (sonst aus der Konfiguration, siehe "appwacht config"):
  --server URL  --secret GEHEIMNIS  --policy-key KEY  --ca-file DATEI  --proxy URL
  --state-dir ORDNER   Statusordner          --log-level debug|info|warn|error
  --log-file DATEI     Protokoll an diese Datei anhängen (sonst Standardfehlerausgabe, JSON-Zeilen)
  --no-notifications   keine Desktop-Benachrichtigungen
  --system             als Maschinendienst (root/SYSTEM): Zustand in einem nur für root lesbaren Ordner,
                       Apps aller Benutzer, Zustand für die Benutzer über den Tray-Kanal

Für Tests und Support:
  --root ORDNER        einen Ordnerbaum statt dieses Systems beobachten (--os macos|linux)
  --processes live|off laufende Prozesse dieses Rechners einbeziehen (Standard: live, mit --root: off)
  --scan-interval S, --refresh-interval S, --heartbeat-interval S
                       Takte in Sekunden statt der Werte der Richtlinie (werden protokolliert)
  --watch-interval S   Takt der Prozessbeobachtung (Standard 2 s unter Linux, sonst 10 s)
  --retry-max S        längste Wartezeit zwischen Wiederholungen (Zustellung, Anmeldung, Richtlinie)
  --turn-timeout S     ein Arbeitsgang, der länger dauert, wird beendet (Standard 300 s)
  --single-process     alles in einem Prozess (mehr Speicher im Leerlauf; sonst startet ein kleiner
                       Überwachungsprozess für jeden Arbeitsgang einen kurzlebigen Prozess)

Exit-Codes: 0 nach dem Beenden, 2 Fehler (z. B. läuft schon, ungültige Vorgaben der IT).
`,
      en: `Usage: appwacht run [options]

Runs headless until stopped (SIGTERM/SIGINT): checks the device on the policy's interval, notices a banned app
that starts within seconds, fetches the policy from the server, reports state changes and heartbeats, and
notifies the employee. Without a server (or before enrollment) the bundled policy applies (local mode).
One instance per user. State: "appwacht status".

Settings (otherwise from the configuration, see "appwacht config"):
  --server URL  --secret SECRET  --policy-key KEY  --ca-file FILE  --proxy URL
  --state-dir DIR      state folder          --log-level debug|info|warn|error
  --log-file FILE      append the log to this file (default: standard error, JSON lines)
  --no-notifications   no desktop notifications
  --system             as the machine service (root/SYSTEM): state in a root-only folder, every user's apps,
                       state for the users over the tray channel

For tests and support:
  --root DIR           watch a folder tree instead of this system (--os macos|linux)
  --processes live|off include this machine's running processes (default: live; with --root: off)
  --scan-interval S, --refresh-interval S, --heartbeat-interval S
                       intervals in seconds instead of the policy's (logged at start)
  --watch-interval S   process watch tick (default 2 s on Linux, 10 s elsewhere)
  --retry-max S        longest wait between retries (delivery, enrollment, policy refresh)
  --turn-timeout S     a unit of work that takes longer is ended (default 300 s)
  --single-process     everything in one process (more memory at idle; by default a small supervisor
                       starts a short-lived process for each unit of work)

Exit codes: 0 after being stopped, 2 error (e.g. already running, invalid IT settings).
`,
    },
    options: {
      ...Object.fromEntries(Object.keys(CONFIG_FLAGS).map((f) => [f, { type: 'string' as const }])),
      ...Object.fromEntries(Object.keys(INTERVAL_FLAGS).map((f) => [f, { type: 'string' as const }])),
      root: { type: 'string' },
      os: { type: 'string' },
      processes: { type: 'string' },
      'log-file': { type: 'string' },
      'no-notifications': { type: 'boolean' },
      'single-process': { type: 'boolean' },
      system: { type: 'boolean' },
      'turn-timeout': { type: 'string' },
      // Internal: the supervisor starts its turns as `appwacht run <its own flags> --turn`.
      turn: { type: 'boolean' },
    },
    async run(values, ctx) {
      const target = readTarget(values);
      if (target.root !== undefined) await assertRootFolder(target.root);
      const cli: Partial<Record<ConfigKey, string>> = {};
      for (const [flag, key] of Object.entries(CONFIG_FLAGS)) {
        const v = stringOption(values, flag);
        if (v !== undefined) cli[key] = v;
      }
      // The machine service (agent/service/machine-mode.ts): what build/'s unit, LaunchDaemon and Windows service run.
      if (values.system === true) cli.agentMode = 'machine';
      const overrides: IntervalOverrides = {};
      for (const [flag, key] of Object.entries(INTERVAL_FLAGS)) {
        try {
          const ms = parseSeconds(stringOption(values, flag), `--${flag}`);
          if (ms !== undefined) overrides[key] = ms;
        } catch (err) {
          throw new UsageError((err as Error).message);
        }
      }
      let turnBudgetMs: number | undefined;
      try {
        turnBudgetMs = parseSeconds(stringOption(values, 'turn-timeout'), '--turn-timeout');
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      if (values.turn === true && values['single-process'] === true)
        throw new UsageError('--turn and --single-process exclude each other');
      const logFile = stringOption(values, 'log-file');
      const common = {
        env: ctx.env,
        lang: ctx.lang,
        signal: ctx.signal,
        cli,
        target,
        overrides,
        notifications: values['no-notifications'] !== true,
        ...(logFile !== undefined ? { logFile } : {}),
      };
      if (values.turn === true) {
        const runTurnProcess = deps.runTurnProcess ?? (await import('../../runtime/turn-process.js')).runTurnProcess;
        await runTurnProcess(common);
      } else if (values['single-process'] === true) {
        const runAgent = deps.runAgent ?? (await import('../../runtime/agent.js')).runAgent;
        await runAgent(common);
      } else {
        const runSupervisor = deps.runSupervisor ?? (await import('../../runtime/supervisor.js')).runSupervisor;
        await runSupervisor({
          lang: ctx.lang,
          signal: ctx.signal,
          // The same node, flags and command line, plus --turn (process.argv[1] is bin/appwacht.js).
          turnCommand: {
            file: process.execPath,
            args: [...process.execArgv, process.argv[1]!, ...process.argv.slice(2), '--turn'],
          },
          target,
          overrides,
          ...(logFile !== undefined ? { logFile } : {}),
          ...(turnBudgetMs !== undefined ? { turnBudgetMs } : {}),
        });
      }
      return ExitCode.OK;
    },
  };
}

export const runCommand: Command = createRunCommand();
