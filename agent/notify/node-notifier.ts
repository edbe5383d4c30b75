import type { OsName } from '../../protocol/index.js';
import { AppwachtError, describeError } from '../errors.js';
import { currentOs } from '../inventory/current-os.js';
import type { DesktopNotification, Notifier } from './port.js';

export class NotifyError extends AppwachtError {}

export interface NodeNotifierOptions {
  /** Shown as the sender (Linux app-name). */
  appName?: string;
  /** Windows AppUserModelID; toasts are attributed to the app whose Start-menu shortcut carries it. */
  appId?: string;
  /** Absolute path of an icon file. */
  icon?: string;
  /** How long a non-critical notification stays (Linux, macOS). */
  timeoutSec?: number;
  os?: OsName;
  /** Our own bound on the helper process, so a hung notification daemon cannot stall the scan loop. */
  giveUpAfterMs?: number;
}

/** Control characters have no business in a notification and some helpers choke on them. */
function plainText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '');
}

/**
 * For a notify-send body: it is markup (Desktop Notifications spec), so an app called "<b>" must not become bold;
 * and notify-send un-escapes C escapes in the body (g_strcompress, which is how node-notifier's "\n" becomes a
 * line break), so a literal backslash is doubled.
 */
function escapeBody(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

interface Backend {
  notify(options: object, callback: (err: Error | null | string, response: string) => void): unknown;
}

/**
 * The headless notifier: node-notifier picks the OS helper — notify-send (libnotify) on Linux,
 * SnoreToast on Windows 8+, terminal-notifier on macOS (both bundled in node-notifier's vendor folder;
 * a packaged app must keep that folder outside the asar archive).
 *
 * Note on Linux: node-notifier runs notify-send through `/bin/sh -c` with every argument in double quotes
 * and `" $ \` \\` escaped, which is the complete set of characters special inside POSIX double quotes.
 * The notification test feeds it hostile app names (`$(…)`, backticks, quotes) and checks that they arrive
 * verbatim and run nothing.
 */
export function createNodeNotifier(options: NodeNotifierOptions = {}): Notifier {
  const { appName = 'Appwacht', appId = 'de.appwacht.agent', icon, timeoutSec = 15, giveUpAfterMs = 20_000 } = options;
  const os = options.os ?? currentOs();

  // node-notifier (and what it requires) is loaded with the first notification, not with every turn that might notify:
  // most turns tell the employee nothing, and loading it cost ~70 ms of CPU and 9 MiB (BENCHMARKS.md, "Start-up").
  let backend: Promise<Backend> | undefined;
  const loadBackend = () =>
    (backend ??= import('node-notifier').then(({ default: nodeNotifier }) =>
      os === 'linux'
        ? new nodeNotifier.NotifySend({ withFallback: false })
        : os === 'macos'
          ? new nodeNotifier.NotificationCenter({ withFallback: false })
          : new nodeNotifier.WindowsToaster({ withFallback: false }),
    ));

  const optionsFor = (n: DesktopNotification): object => {
    const title = plainText(n.title);
    const body = plainText(n.body);
    switch (os) {
      case 'linux':
        return {
          title,
          message: escapeBody(body),
          urgency: n.urgency,
          'app-name': appName,
          // 0 = stays until dismissed (critical ones must be read); others fade after timeoutSec.
          timeout: n.urgency === 'critical' ? 0 : timeoutSec,
          ...(icon ? { icon } : {}),
        };
      case 'macos':
        return {
          title,
          message: body,
          sound: n.urgency === 'critical',
          timeout: timeoutSec,
          wait: false,
          ...(icon ? { icon } : {}),
        };
      case 'windows':
        return { title, message: body, appID: appId, sound: false, wait: false, ...(icon ? { icon } : {}) };
    }
  };

  return {
    async notify(notification) {
      const helper = await loadBackend();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new NotifyError('NOTIFY_TIMEOUT', `the notification helper did not finish within ${giveUpAfterMs} ms`)),
          giveUpAfterMs,
        );
        try {
          helper.notify(optionsFor(notification), (err) => {
            clearTimeout(timer);
            // node-notifier passes the helper's stderr as `err` on success; only an Error is a failure.
            if (err instanceof Error)
              reject(new NotifyError('NOTIFY_FAILED', `notification failed: ${describeError(err)}`, { cause: err }));
            else resolve();
          });
        } catch (err) {
          clearTimeout(timer);
          reject(new NotifyError('NOTIFY_FAILED', `notification failed: ${describeError(err)}`, { cause: err }));
        }
      });
    },
  };
}
