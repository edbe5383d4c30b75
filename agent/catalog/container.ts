import type { ContainerInfo } from './types.js';

/** Display names of the services a container hosts, in the order the entry lists them. */
const SERVICE_NAMES: Record<string, string> = {
  whatsapp: 'WhatsApp',
  telegram: 'Telegram',
  'facebook-messenger': 'Messenger',
  signal: 'Signal',
  discord: 'Discord',
  instagram: 'Instagram',
  skype: 'Skype',
  wechat: 'WeChat',
  line: 'LINE',
  viber: 'Viber',
  element: 'Element',
  threema: 'Threema',
};

function list(ids: readonly string[], and: string): string {
  const names = ids.map((id) => SERVICE_NAMES[id] ?? id);
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} ${and} ${names[names.length - 1]}`;
}

/**
 * The explanation every container entry carries: what it is, why Appwacht cannot see inside it, and that it is
 * banned only when IT decides so. The same words appear in the status window and in the admin's mails.
 */
export function containerInfo(name: string, hosts: readonly string[]): ContainerInfo {
  return {
    hosts,
    why: {
      de:
        `${name} ist eine Sammel-App: Sie öffnet Dienste wie ${list(hosts, 'und')} als Tabs in einem Fenster. ` +
        'Welche Dienste darin genutzt werden, kann Appwacht nicht sehen; ein verbotener Messenger kann darin also ' +
        'laufen, ohne als eigene App gefunden zu werden. Sie ist nicht von vornherein verboten: Die IT entscheidet, ' +
        'ob sie davor warnt oder sie verbietet.',
      en:
        `${name} is a multi-service container: it opens services such as ${list(hosts, 'and')} as tabs in one window. ` +
        'Appwacht cannot see which services are used inside it, so a banned messenger can run there without being ' +
        'found as an app of its own. It is not banned by default: IT decides whether to warn about it or ban it.',
    },
  };
}
