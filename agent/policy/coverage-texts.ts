import type { CoverageGap, Lang, Localized } from '../../protocol/index.js';

/**
 * What a coverage gap means, in the employee's language: what could not be read, and what IT can do about it.
 * Shared by `appwacht scan`, `appwacht status` and the notifications, so all three say the same.
 */
export interface GapText {
  what: string;
  /** For IT: the usual cause and the fix. */
  fix: string;
}

interface SourceText {
  name: Localized;
  fix: Localized;
}

const SOURCE_TEXTS: Record<string, SourceText> = {
  registry: {
    name: {
      de: 'die Liste der installierten Programme (Windows-Registrierung, reg.exe)',
      en: 'the list of installed programs (Windows registry, reg.exe)',
    },
    fix: {
      de: 'IT: prüfen, ob AppLocker/WDAC reg.exe für Appwacht sperrt; Appwacht als Dienst (SYSTEM) laufen lassen.',
      en: 'IT: check whether AppLocker/WDAC blocks reg.exe for Appwacht; run Appwacht as a service (SYSTEM).',
    },
  },
  appx: {
    name: {
      de: 'die Microsoft-Store-Apps (Windows PowerShell, Get-AppxPackage)',
      en: 'the Microsoft Store apps (Windows PowerShell, Get-AppxPackage)',
    },
    fix: {
      de: 'IT: Windows PowerShell 5.1 für Appwacht zulassen (AppLocker, eingeschränkter Sprachmodus).',
      en: 'IT: allow Windows PowerShell 5.1 for Appwacht (AppLocker, Constrained Language Mode).',
    },
  },
  bundles: {
    name: {
      de: 'die Programmordner (Programme, Schreibtisch, Downloads)',
      en: 'the application folders (Applications, Desktop, Downloads)',
    },
    fix: {
      de: 'IT: Appwacht per MDM-Profil (PPPC) den Festplattenvollzugriff geben.',
      en: 'IT: grant Appwacht Full Disk Access with an MDM profile (PPPC).',
    },
  },
  dpkg: {
    name: { de: 'die Paketdatenbank (dpkg)', en: 'the package database (dpkg)' },
    fix: { de: 'IT: Leserechte auf /var/lib/dpkg/status prüfen.', en: 'IT: check read access to /var/lib/dpkg/status.' },
  },
  rpm: {
    name: { de: 'die Paketdatenbank (rpm)', en: 'the package database (rpm)' },
    fix: {
      de: 'IT: prüfen, dass das Programm rpm installiert ist und die Datenbank lesen darf.',
      en: 'IT: check that the rpm tool is installed and may read its database.',
    },
  },
};

/** Linux per-user places (flatpak, AppImages, menu entries) share one cause: the homes are not readable. */
const PER_USER: SourceText = {
  name: { de: 'Programme in den Benutzerordnern', en: 'programs in the users’ folders' },
  fix: {
    de: 'IT: Appwacht als Systemdienst (root) laufen lassen, damit es alle Benutzerordner lesen kann.',
    en: 'IT: run Appwacht as a system service (root) so it can read every user’s folders.',
  },
};
const PER_USER_NAMES: Record<string, Localized> = {
  flatpak: { de: 'Flatpak-Apps', en: 'Flatpak apps' },
  appimage: { de: 'AppImages', en: 'AppImages' },
  'desktop-entry': { de: 'Menüeinträge (.desktop)', en: 'menu entries (.desktop)' },
};

function sourceText(id: string, lang: Lang): { name: string; fix: string } {
  const known = SOURCE_TEXTS[id];
  if (known) return { name: known.name[lang], fix: known.fix[lang] };
  const perUser = PER_USER_NAMES[id];
  if (perUser) return { name: `${PER_USER.name[lang]}: ${perUser[lang]}`, fix: PER_USER.fix[lang] };
  return { name: id, fix: lang === 'de' ? 'IT: das Protokoll des Dienstes prüfen.' : "IT: check the agent's log." };
}

export function describeGap(gap: CoverageGap, lang: Lang): GapText {
  const de = lang === 'de';
  switch (gap.code) {
    case 'SOURCE_FAILED': {
      const s = sourceText(gap.source ?? '?', lang);
      return { what: de ? `Nicht (vollständig) lesbar: ${s.name}.` : `Could not be read (completely): ${s.name}.`, fix: s.fix };
    }
    case 'SOURCE_MISSING': {
      const s = sourceText(gap.source ?? '?', lang);
      return { what: de ? `Gar nicht gelesen: ${s.name}.` : `Not read at all: ${s.name}.`, fix: s.fix };
    }
    case 'NO_SOURCES':
      return {
        what: de ? 'Die Prüfung enthält keine einzige Quelle.' : 'The check contains no source at all.',
        fix: de
          ? 'IT: eine vollständige Rohinventur erstellen ("appwacht inventory --raw" auf dem Gerät).'
          : 'IT: take a complete raw inventory ("appwacht inventory --raw" on the device).',
      };
    case 'NOTHING_FOUND':
      return {
        what: de
          ? 'Es wurde kein einziges installiertes Programm gefunden – so sieht kein echtes System aus.'
          : 'Not a single installed program was found – no real system looks like that.',
        fix: de
          ? 'IT: prüfen, ob Appwacht in einer Sandbox läuft oder der Zugriff gesperrt ist (bei --root: ist das ein Systemordner?).'
          : 'IT: check whether Appwacht runs in a sandbox or is blocked (with --root: is that a system folder tree?).',
      };
    case 'NO_PACKAGE_DATABASE':
      return {
        what: de
          ? 'Keine Paketdatenbank (dpkg oder rpm) gefunden – kein Linux-Systembaum oder ein Paketsystem, das Appwacht nicht liest.'
          : 'No package database (dpkg or rpm) found – not a Linux system tree, or a package manager Appwacht does not read.',
        fix: de
          ? 'IT: bei --root den Wurzelordner des Systems angeben; sonst die Paketverwaltung des Geräts melden.'
          : 'IT: with --root give the system’s root folder; otherwise report the device’s package manager.',
      };
  }
}

/** The employee's part, the same everywhere: nothing to fix on their side except to let IT know if it stays. */
export const EMPLOYEE_HINT: Localized = {
  de: 'Ihr Gerät konnte nicht vollständig geprüft werden. Sie selbst müssen nichts ändern; bleibt es dabei, geben Sie bitte der IT Bescheid.',
  en: 'Your device could not be checked completely. There is nothing you need to change; if this persists, please let IT know.',
};
