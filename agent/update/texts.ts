import type { Lang } from '../../protocol/index.js';
import { formatDateTime } from '../i18n.js';
import type { UpdateEvent } from './record.js';

const STAGE = {
  check: { de: 'beim Abruf des Update-Verzeichnisses', en: 'checking the update feed' },
  download: { de: 'beim Herunterladen', en: 'downloading' },
  install: { de: 'bei der Installation', en: 'installing' },
} as const;

/**
 * The update client's last event in words, German and English (`appwacht status`). Reasons from the server, the
 * installer or the checks stay as they came (they name files and codes), after a sentence in the reader's language.
 */
export function describeUpdate(e: UpdateEvent, lang: Lang): string {
  const at = formatDateTime(e.at, lang);
  const v = 'version' in e && e.version !== undefined ? e.version : '?';
  switch (e.what) {
    case 'up-to-date':
      return lang === 'de' ? `aktuell (Version ${v}, geprüft ${at})` : `up to date (version ${v}, checked ${at})`;
    case 'refused':
      return lang === 'de'
        ? `Update${e.version ? ` auf ${e.version}` : ''} nicht übernommen (${at}): ${e.reason}`
        : `update${e.version ? ` to ${e.version}` : ''} not taken (${at}): ${e.reason}`;
    case 'downloaded':
      if (e.installAt === null)
        return lang === 'de'
          ? `Update auf ${v} heruntergeladen und geprüft (${at})`
          : `update to ${v} downloaded and verified (${at})`;
      return lang === 'de'
        ? `Update auf ${v} heruntergeladen und geprüft (${at}); wird ab ${formatDateTime(e.installAt, lang)} installiert`
        : `update to ${v} downloaded and verified (${at}); installs from ${formatDateTime(e.installAt, lang)}`;
    case 'installing':
      return lang === 'de' ? `Update auf ${v} wird installiert (seit ${at})` : `update to ${v} is being installed (since ${at})`;
    case 'installed':
      return lang === 'de' ? `auf ${v} aktualisiert (${at})` : `updated to ${v} (${at})`;
    case 'failed':
      return lang === 'de'
        ? `Update${e.version ? ` auf ${e.version}` : ''} fehlgeschlagen ${STAGE[e.stage].de} (${at}) – ${e.code}: ${e.reason}`
        : `update${e.version ? ` to ${e.version}` : ''} failed ${STAGE[e.stage].en} (${at}) – ${e.code}: ${e.reason}`;
  }
}
