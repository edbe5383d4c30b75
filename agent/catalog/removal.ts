import type { Localized, OsName, Scope, SourceKind } from '../../protocol/index.js';

/**
 * How an employee removes one install of a banned app, per source kind, scope and OS, in German and English: the status
 * window shows these steps under each finding; notifications and `appwacht status` may use them too. Pure and free of
 * Node APIs, so the renderer bundle can import it.
 *
 * A command is offered only for an identifier that passes the packaging tool's own naming rule (checked here, not
 * trusted): a package or app name is data from the machine, and a name such as `foo; rm -rf ~` must never become a line
 * someone pastes into a terminal. Without a valid identifier the steps say where to look and to ask the service desk.
 */

export interface InstallToRemove {
  source: SourceKind;
  scope: Scope;
  name: string;
  location?: string;
  /** Package name, flatpak id, snap name or AppX name when the agent knows it. */
  id?: string;
}

export interface RemovalStep {
  text: Localized;
  /** A command to type, exactly (shown as code, never run by Appwacht). */
  command?: string;
}

// The tools' own naming rules: Debian policy §5.6.1; rpm (letters, digits, . _ + -); flatpak's reverse-DNS app id
// (at least three parts); snapd's snap names; AppX package names (letters, digits, dot, dash).
const ID_RULES: Partial<Record<SourceKind, RegExp>> = {
  dpkg: /^[a-z0-9][a-z0-9+.-]{1,127}$/,
  rpm: /^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/,
  flatpak: /^[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+){2,}$/,
  snap: /^[a-z0-9](?:-?[a-z0-9]){0,39}$/,
  appx: /^[A-Za-z0-9][A-Za-z0-9.-]{2,49}$/,
};

const lastSegment = (path: string) =>
  path
    .replace(/[\\/]+$/, '')
    .split(/[\\/]/)
    .pop() ?? '';

/** The identifier a command needs, only when it passes the tool's naming rule; undefined otherwise. */
export function removalId(install: InstallToRemove): string | undefined {
  const rule = ID_RULES[install.source];
  if (!rule) return undefined;
  const candidates = [install.id];
  if (install.source === 'dpkg' || install.source === 'rpm') candidates.push(install.name);
  // flatpak: …/flatpak/app/<id>; snap: /snap/<name>
  if ((install.source === 'flatpak' || install.source === 'snap') && install.location)
    candidates.push(lastSegment(install.location));
  return candidates.find((c): c is string => c !== undefined && c.length <= 255 && rule.test(c));
}

const t = (de: string, en: string): Localized => ({ de, en });
const step = (de: string, en: string, command?: string): RemovalStep =>
  command ? { text: t(de, en), command } : { text: t(de, en) };

const serviceDesk = (name: string) =>
  step(
    `Wenn Sie keine Administratorrechte haben: Bitten Sie den Service-Desk, „${name}“ zu entfernen.`,
    `If you have no administrator rights: ask the service desk to remove “${name}”.`,
  );

/** Where the file lives, in a few words: "Downloads" for ~/Downloads/Telegram.AppImage. */
function folderOf(location: string | undefined): string | undefined {
  if (!location) return undefined;
  const parts = location.replace(/[\\/]+$/, '').split(/[\\/]/);
  return parts.length >= 2 ? parts[parts.length - 2] : undefined;
}

/** Where an install was found, in plain words (both languages): "Store app, for your account only". */
export function describeInstall(install: InstallToRemove): Localized {
  const user = install.scope === 'user';
  const forWhom = user
    ? t('nur für Ihr Konto', 'for your account only')
    : t('für alle Konten dieses Geräts', 'for every account on this device');
  const folder = folderOf(install.location);
  const inFolder = (what: Localized): Localized =>
    folder ? t(`${what.de} im Ordner „${folder}“`, `${what.en} in the folder “${folder}”`) : what;
  switch (install.source) {
    case 'appx':
      return t(`Store-App, ${forWhom.de}`, `Store app, ${forWhom.en}`);
    case 'registry':
      return t(`Installiertes Programm, ${forWhom.de}`, `Installed program, ${forWhom.en}`);
    case 'bundle':
      return inFolder(
        t(
          `Mac-Programm (${user ? 'nur Ihr Konto' : 'alle Konten'})`,
          `Mac app (${user ? 'your account only' : 'every account'})`,
        ),
      );
    case 'dpkg':
      return t('Systempaket (Debian/Ubuntu), für das ganze Gerät', 'System package (Debian/Ubuntu), machine-wide');
    case 'rpm':
      return t('Systempaket (RPM), für das ganze Gerät', 'System package (RPM), machine-wide');
    case 'flatpak':
      return t(`Flatpak, ${forWhom.de}`, `Flatpak, ${forWhom.en}`);
    case 'snap':
      return t('Snap-Paket, für das ganze Gerät', 'Snap package, machine-wide');
    case 'appimage':
      return inFolder(t('AppImage-Datei', 'AppImage file'));
    case 'desktop-entry':
      return inFolder(t(`Programmstarter (.desktop), ${forWhom.de}`, `Launcher (.desktop file), ${forWhom.en}`));
    case 'process':
      return t('Laufendes Programm', 'Running program');
  }
}

/** The last step of every list: how the employee sees it worked. */
const confirm = step(
  'Drücken Sie dann „Jetzt prüfen“: Der Status wird in wenigen Sekunden aktualisiert.',
  'Then press “Check now”: the status updates within seconds.',
);

/** The steps to remove one install on `os`, in order; the last one always says how to confirm. */
export function removalSteps(install: InstallToRemove, os: OsName): RemovalStep[] {
  const { name } = install;
  const id = removalId(install);
  const user = install.scope === 'user';
  const quit = step(`Beenden Sie „${name}“, falls es läuft.`, `Quit “${name}” if it is running.`);
  const steps: RemovalStep[] = [quit];

  switch (install.source) {
    case 'appx':
      steps.push(
        step('Öffnen Sie Einstellungen › Apps › Installierte Apps.', 'Open Settings › Apps › Installed apps.'),
        step(
          `Suchen Sie „${name}“, klicken Sie auf „…“ und dann auf „Deinstallieren“.`,
          `Find “${name}”, click “…” and then “Uninstall”.`,
        ),
      );
      if (id)
        steps.push(
          step(
            'Oder in PowerShell (ohne Administratorrechte, nur für Ihr Konto):',
            'Or in PowerShell (no administrator rights needed, for your account):',
            `Get-AppxPackage -Name ${id} | Remove-AppxPackage`,
          ),
        );
      break;
    case 'registry':
      steps.push(
        step('Öffnen Sie Einstellungen › Apps › Installierte Apps.', 'Open Settings › Apps › Installed apps.'),
        step(
          `Suchen Sie „${name}“, klicken Sie auf „…“ und dann auf „Deinstallieren“.`,
          `Find “${name}”, click “…” and then “Uninstall”.`,
        ),
      );
      if (!user) steps.push(serviceDesk(name));
      break;
    case 'bundle':
      steps.push(
        step(
          install.location
            ? `Öffnen Sie im Finder den Ordner, in dem „${name}“ liegt: ${install.location}`
            : `Öffnen Sie im Finder den Ordner „Programme“ und suchen Sie „${name}“.`,
          install.location
            ? `In the Finder, open the folder that holds “${name}”: ${install.location}`
            : `In the Finder, open the Applications folder and find “${name}”.`,
        ),
        step(
          'Ziehen Sie das Programm in den Papierkorb und leeren Sie den Papierkorb.',
          'Drag the app to the Bin and empty the Bin.',
        ),
      );
      if (!user) steps.push(serviceDesk(name));
      break;
    case 'dpkg':
    case 'rpm': {
      const tool = install.source === 'dpkg' ? 'apt' : 'dnf';
      steps.push(
        step(
          'Das Paket ist für das ganze Gerät installiert: Bitten Sie den Service-Desk, es zu entfernen.',
          'The package is installed for the whole device: ask the service desk to remove it.',
        ),
      );
      if (id)
        steps.push(
          step(
            'Oder, mit Administratorrechten, in einem Terminal:',
            'Or, with administrator rights, in a terminal:',
            `sudo ${tool} remove ${id}`,
          ),
        );
      break;
    }
    case 'flatpak':
      if (id)
        steps.push(
          user
            ? step(
                'Geben Sie in einem Terminal ein (ohne Administratorrechte):',
                'Type in a terminal (no administrator rights needed):',
                `flatpak uninstall --user ${id}`,
              )
            : step(
                'Geben Sie in einem Terminal ein (mit Administratorrechten):',
                'Type in a terminal (with administrator rights):',
                `flatpak uninstall --system ${id}`,
              ),
        );
      else
        steps.push(
          step(
            `Entfernen Sie „${name}“ in der Softwareverwaltung (z. B. GNOME Software › Installiert).`,
            `Remove “${name}” in the software manager (e.g. GNOME Software › Installed).`,
          ),
        );
      if (!user) steps.push(serviceDesk(name));
      break;
    case 'snap':
      steps.push(
        id
          ? step(
              'Geben Sie in einem Terminal ein (mit Administratorrechten):',
              'Type in a terminal (with administrator rights):',
              `sudo snap remove ${id}`,
            )
          : step(`Entfernen Sie „${name}“ in der Softwareverwaltung.`, `Remove “${name}” in the software manager.`),
        serviceDesk(name),
      );
      break;
    case 'appimage':
      steps.push(
        step(
          install.location ? `Löschen Sie die Datei: ${install.location}` : `Löschen Sie die AppImage-Datei „${name}“.`,
          install.location ? `Delete the file: ${install.location}` : `Delete the AppImage file “${name}”.`,
        ),
        step(
          'Leeren Sie den Papierkorb. Einen Starter im Anwendungsmenü, den das AppImage angelegt hat, können Sie ebenfalls löschen.',
          'Empty the Bin. A launcher the AppImage added to the app menu can be deleted as well.',
        ),
      );
      break;
    case 'desktop-entry':
      steps.push(
        step(
          install.location
            ? `Das ist ein Programmstarter (oft eine im Browser installierte Web-App). Entfernen Sie die Web-App im Browser (chrome://apps bzw. edge://apps, Rechtsklick › Entfernen) oder löschen Sie die Datei: ${install.location}`
            : `Das ist ein Programmstarter (oft eine im Browser installierte Web-App „${name}“). Entfernen Sie sie im Browser (chrome://apps bzw. edge://apps, Rechtsklick › Entfernen).`,
          install.location
            ? `This is a launcher (often a web app installed from a browser). Remove the web app in the browser (chrome://apps or edge://apps, right-click › Remove) or delete the file: ${install.location}`
            : `This is a launcher (often a web app “${name}” installed from a browser). Remove it in the browser (chrome://apps or edge://apps, right-click › Remove).`,
        ),
      );
      if (!user) steps.push(serviceDesk(name));
      break;
    case 'process':
      return quitSteps(name, os);
  }
  steps.push(confirm);
  return steps;
}

/** Steps for a finding seen only as a running process on `os` (no install record). */
export function quitSteps(name: string, os: OsName): RemovalStep[] {
  const how: Record<OsName, Localized> = {
    windows: t(
      'Beenden Sie es über das Symbol im Infobereich oder den Task-Manager (Strg+Umschalt+Esc).',
      'Quit it from its tray icon or the Task Manager (Ctrl+Shift+Esc).',
    ),
    macos: t('Beenden Sie es mit ⌘Q oder über „Sofort beenden“ (⌥⌘Esc).', 'Quit it with ⌘Q or “Force Quit” (⌥⌘Esc).'),
    linux: t('Beenden Sie es über sein Menü oder die Systemüberwachung.', 'Quit it from its menu or the system monitor.'),
  };
  return [
    {
      text: t(
        `„${name}“ läuft, wurde aber nicht als installiertes Programm gefunden.`,
        `“${name}” is running but was not found as an installed app.`,
      ),
    },
    { text: how[os] },
    step(
      'Wenn es wiederkommt, fragen Sie den Service-Desk, woher es gestartet wird.',
      'If it comes back, ask the service desk where it is started from.',
    ),
    confirm,
  ];
}
