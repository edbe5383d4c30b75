import { AppwachtError } from '../errors.js';

/**
 * The notifier port: how the agent shows the employee a desktop notification. The headless agent runs notify-send on
 * Linux (notify-send.ts) and node-notifier's helpers on macOS and Windows (node-notifier.ts); the Electron app injects
 * Electron's `Notification`.
 */
export type Urgency = 'low' | 'normal' | 'critical';

export interface DesktopNotification {
  title: string;
  body: string;
  urgency: Urgency;
}

export interface Notifier {
  /** Resolves once the OS accepted the notification; rejects with NotifyError when it could not be shown. */
  notify(notification: DesktopNotification): Promise<void>;
}

/** A notification the OS did not show. Codes: NOTIFY_FAILED, NOTIFY_TIMEOUT, NOTIFY_UNSUPPORTED. */
export class NotifyError extends AppwachtError {}

/** Control characters have no business in a notification and some helpers choke on them (newline and tab stay). */
export function plainText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '');
}
