/**
 * The notifier port: how the agent shows the employee a desktop notification. The headless agent uses
 * node-notifier (notify-send, SnoreToast, terminal-notifier); the Electron app injects Electron's `Notification`.
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
