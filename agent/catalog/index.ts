import type { Matcher } from '../../protocol/index.js';
import { discord } from './apps/discord.js';
import { element } from './apps/element.js';
import { facebookMessenger } from './apps/facebook-messenger.js';
import { facebook } from './apps/facebook.js';
import { instagram } from './apps/instagram.js';
import { kik } from './apps/kik.js';
import { line } from './apps/line.js';
import { signal } from './apps/signal.js';
import { skype } from './apps/skype.js';
import { snapchat } from './apps/snapchat.js';
import { telegram } from './apps/telegram.js';
import { threema } from './apps/threema.js';
import { viber } from './apps/viber.js';
import { wechat } from './apps/wechat.js';
import { whatsapp } from './apps/whatsapp.js';
import { wire } from './apps/wire.js';
import { catalogAppToMatcher } from './compile.js';
import { allInOneMessenger } from './apps/all-in-one-messenger.js';
import { beeper } from './apps/beeper.js';
import { ferdium } from './apps/ferdium.js';
import { franz } from './apps/franz.js';
import { rambox } from './apps/rambox.js';
import { singlebox } from './apps/singlebox.js';
import { station } from './apps/station.js';
import type { CatalogApp, ClientScope } from './types.js';

export type * from './types.js';
export { catalogAppToMatcher } from './compile.js';

/**
 * Every app the agent knows by id. One file per app in apps/: "where is WhatsApp recognised on Windows?"
 * is apps/whatsapp.ts → windows. Policy rules name these ids (`"app": "whatsapp"`).
 */
export const catalog: readonly CatalogApp[] = [
  whatsapp,
  snapchat,
  facebook,
  facebookMessenger,
  instagram,
  kik,
  line,
  telegram,
  signal,
  threema,
  wechat,
  viber,
  discord,
  skype,
  element,
  wire,
  // Multi-service containers: in the catalog so IT can warn about or ban them knowingly; in no default ban list.
  ferdium,
  franz,
  rambox,
  beeper,
  station,
  allInOneMessenger,
  singlebox,
];

const byId = new Map(catalog.map((app) => [app.id, app]));
const matchers = new Map<string, Matcher>();

export function getCatalogApp(id: string): CatalogApp | undefined {
  return byId.get(id);
}

/**
 * The catalog entry as a protocol Matcher (computed once per id and scope): every client of the service by default,
 * or only the vendor's own app with `clients: 'official'`.
 */
export function getCatalogMatcher(id: string, clients: ClientScope = 'all'): Matcher | undefined {
  const key = `${id}\u0000${clients}`;
  let matcher = matchers.get(key);
  if (!matcher) {
    const app = byId.get(id);
    if (!app) return undefined;
    matcher = catalogAppToMatcher(app, clients);
    matchers.set(key, matcher);
  }
  return matcher;
}

/** Why a container app matters, in the reader's language; undefined for an ordinary messenger or an unknown id. */
export function containerExplanation(id: string, lang: 'de' | 'en'): string | undefined {
  return byId.get(id)?.container?.why[lang];
}
