import { execFile, type ExecFileException } from 'node:child_process';
import { NotifyError, plainText, type Notifier } from './port.js';

export interface NotifySendOptions {
  /** Shown as the sender. */
  appName?: string;
  /** Absolute path of an icon file. */
  icon?: string;
  /** How long a non-critical notification stays. */
  timeoutSec?: number;
  /** Our own bound on notify-send, so a hung notification daemon cannot stall the turn: it is killed after this. */
  giveUpAfterMs?: number;
}

/**
 * The body is markup (Desktop Notifications spec), so an app called "<b>" must not become bold; and notify-send
 * un-escapes C escapes in the body (g_strcompress), so a literal backslash is doubled.
 */
function escapeBody(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * The headless notifier on Linux: notify-send (libnotify), started directly with its arguments, no shell in between.
 * node-notifier, which the agent used before, does the same through `/bin/sh -c` and loads all its OS backends with
 * it (semver, uuid and with it node:crypto): 8.6 MiB and ~17 ms of CPU in the turn that notifies, for one process
 * start (BENCHMARKS.md, "Start-up").
 */
export function createNotifySend(options: NotifySendOptions = {}): Notifier {
  const { appName = 'Appwacht', icon, timeoutSec = 15, giveUpAfterMs = 20_000 } = options;
  return {
    notify(n) {
      const args = [
        `--app-name=${appName}`,
        `--urgency=${n.urgency}`,
        // 0 = stays until dismissed (critical ones must be read); others fade after timeoutSec.
        `--expire-time=${n.urgency === 'critical' ? 0 : timeoutSec * 1000}`,
        ...(icon ? [`--icon=${icon}`] : []),
        '--', // a title that starts with "-" is text, not an option
        plainText(n.title),
        escapeBody(plainText(n.body)),
      ];
      return new Promise<void>((resolve, reject) => {
        execFile('notify-send', args, { timeout: giveUpAfterMs, killSignal: 'SIGKILL' }, (err, _stdout, stderr) => {
          if (!err) return resolve();
          const e: ExecFileException = err;
          if (e.code === 'ENOENT')
            reject(
              new NotifyError('NOTIFY_FAILED', 'notify-send is not installed (package libnotify-bin or libnotify)', {
                cause: err,
              }),
            );
          else if (e.killed)
            reject(new NotifyError('NOTIFY_TIMEOUT', `notify-send did not finish within ${giveUpAfterMs} ms`, { cause: err }));
          else {
            const said = String(stderr).trim().split('\n')[0]?.slice(0, 300);
            reject(
              new NotifyError(
                'NOTIFY_FAILED',
                `notification failed: notify-send ${e.signal ? `was ended by ${e.signal}` : `exited with ${e.code}`}${said ? `: ${said}` : ''}`,
                { cause: err },
              ),
            );
          }
        });
      });
    },
  };
}
