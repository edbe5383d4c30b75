/**
 * The main side of the status window's bridge. Every handler first checks who asks: only the status window's own top
 * frame, loaded from our own scheme (window.ts), is answered; anything else (another window, a frame, a page it was
 * navigated to despite everything) is refused and logged. Then every argument is checked: the bridge's functions take
 * nothing but a language or a contact kind, so anything else — extra arguments included — is refused.
 */
import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import type { Lang } from '../../protocol/index.js';
import type { Logger } from '../../agent/log.js';
import type { AppState, CheckNowResult, ContactKind, LastReportView } from '../shared/bridge.js';
import { IPC, type InvokeChannel } from '../shared/ipc.js';
import { isStatusUrl } from './window.js';

export interface BridgeHandlers {
  getState(): Promise<AppState>;
  checkNow(): Promise<CheckNowResult>;
  getLastReport(): Promise<LastReportView | null>;
  setLanguage(lang: Lang): Promise<void>;
  openContact(kind: ContactKind): Promise<void>;
}

export class IpcRefused extends Error {}

const isLang = (v: unknown): v is Lang => v === 'de' || v === 'en';
const isContactKind = (v: unknown): v is ContactKind => v === 'email' || v === 'phone' || v === 'url';

/** Whether an IPC message comes from the status window's top frame on our own origin. */
export function fromStatusWindow(
  event: Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>,
  windowContentsId: () => number | undefined,
): boolean {
  const frame = event.senderFrame;
  if (!frame || frame.parent !== null) return false; // a sub-frame (there should be none) is not the window
  if (event.sender.id !== windowContentsId()) return false;
  return isStatusUrl(frame.url);
}

export function setupIpc(
  ipcMain: Pick<IpcMain, 'handle'>,
  handlers: BridgeHandlers,
  o: { windowContentsId: () => number | undefined; log: Logger },
): void {
  const handle = (channel: InvokeChannel, arity: number, run: (args: unknown[]) => Promise<unknown>) =>
    ipcMain.handle(channel, async (event, ...args: unknown[]) => {
      if (!fromStatusWindow(event, o.windowContentsId)) {
        o.log.warn('IPC from an unknown sender refused', { channel, url: String(event.senderFrame?.url ?? '').slice(0, 200) });
        throw new IpcRefused('refused');
      }
      if (args.length !== arity) {
        o.log.warn('IPC with unexpected arguments refused', { channel, count: args.length });
        throw new IpcRefused('bad arguments');
      }
      return run(args);
    });
  handle(IPC.getState, 0, () => handlers.getState());
  handle(IPC.checkNow, 0, () => handlers.checkNow());
  handle(IPC.getLastReport, 0, () => handlers.getLastReport());
  handle(IPC.setLanguage, 1, ([lang]) => {
    if (!isLang(lang)) throw new IpcRefused('language must be de or en');
    return handlers.setLanguage(lang);
  });
  handle(IPC.openContact, 1, ([kind]) => {
    if (!isContactKind(kind)) throw new IpcRefused('contact kind must be email, phone or url');
    return handlers.openContact(kind);
  });
}
