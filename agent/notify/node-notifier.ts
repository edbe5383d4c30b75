import { describeError } from '../errors.js';
import { NotifyError, plainText, type DesktopNotification, type Notifier } from './port.js';

export interface NodeNotifierOptions {
  /** Windows AppUserModelID; toasts are attributed to the app whose Start-menu shortcut carries it. */
  appId?: string;
  /** Absolute path of an icon file. */
  icon?: string;
  /** How long a notification stays (macOS). */
  timeoutSec?: number;
  os: 'macos' | 'windows';
  /** Our own bound on the helper process, so a hung notification daemon cannot stall the scan loop. */
  giveUpAfterMs?: number;
}

interface Backend {
  notify(options: object, callback: (err: Error | null | string, response: string) => void): unknown;
}

/**
 * The headless notifier on macOS and Windows: node-notifier's helpers, SnoreToast on Windows 8+ and terminal-notifier
 * on macOS (both bundled in node-notifier's vendor folder; a packaged app must keep that folder outside the asar
 * archive). Linux has its own, notify-send.ts.
 */
export function createNodeNotifier(options: NodeNotifierOptions): Notifier {
  const { os, appId = 'de.appwacht.agent', icon, timeoutSec = 15, giveUpAfterMs = 20_000 } = options;

  // node-notifier (and what it requires) is loaded with the first notification, not with every turn that might notify:
  // most turns tell the employee nothing, and loading it cost ~70 ms of CPU and 9 MiB (BENCHMARKS.md, "Start-up").
  let backend: Promise<Backend> | undefined;
  const loadBackend = () =>
    (backend ??= import('node-notifier').then(({ default: nodeNotifier }) =>
      os === 'macos'
        ? new nodeNotifier.NotificationCenter({ withFallback: false })
        : new nodeNotifier.WindowsToaster({ withFallback: false }),
    ));

  const optionsFor = (n: DesktopNotification): object => {
    const title = plainText(n.title);
    const body = plainText(n.body);
    switch (os) {
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
