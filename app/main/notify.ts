/**
 * Pure: the notification the tray shows when the condition changes. In machine mode the service runs as root/SYSTEM and
 * has no desktop, so the tray tells the employee (agent/runtime/context.ts writes the tray view instead of notifying);
 * in per-user mode the hosted agent's own NotificationService notifies through the same Electron Notification (ports.ts)
 * and this adds only what it cannot know: that the service went away or came back is not worth a notification.
 */
import type { Lang } from '../../protocol/index.js';
import type { DesktopNotification } from '../../agent/notify/port.js';
import type { Condition } from '../shared/bridge.js';
import { statusLine, type TrayChoice } from './tray-model.js';

const ACT: Partial<Record<Condition, DesktopNotification['urgency']>> = {
  banned: 'normal',
  overdue: 'critical',
  blocked: 'critical',
  warning: 'low',
};

export function changeNotification(before: TrayChoice, after: TrayChoice, lang: Lang): DesktopNotification | undefined {
  const de = lang === 'de';
  const same = before.condition === after.condition && before.apps.join('\n') === after.apps.join('\n');
  if (same) return undefined;
  const urgency = ACT[after.condition];
  if (urgency)
    return {
      title: de ? 'Appwacht: bitte handeln' : 'Appwacht: action needed',
      body: `${statusLine(after, lang)}\n${de ? 'Klicken Sie auf das Appwacht-Symbol › Status öffnen, um zu sehen, wie Sie die App entfernen.' : 'Open the Appwacht icon › Open status to see how to remove the app.'}`,
      urgency,
    };
  if (after.condition === 'compliant' && ACT[before.condition])
    return {
      title: de ? 'Danke – keine verbotenen Apps mehr gefunden' : 'Thank you – no banned apps found any more',
      body: de ? 'Ihr Dienstgerät erfüllt die Vorgaben wieder.' : 'Your work device meets the rules again.',
      urgency: 'low',
    };
  return undefined;
}
