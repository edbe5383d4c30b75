import type { Lang } from '../../../protocol/index.js';
import type { Command } from '../command.js';

/**
 * Every `appwacht <command>`, in the order `--help` lists them. A command's module (and what it imports: zod, the
 * inventory, the HTTP client) is loaded only when that command runs, so `--help` loads none of them and `status` does
 * not pay for the scan. `run` matters most: it stays resident for as long as the laptop is on (supervisor.ts).
 */
export interface CommandEntry {
  name: string;
  /** The line `appwacht --help` shows. */
  summary: Record<Lang, string>;
  load(): Promise<Command>;
}

export const commands: CommandEntry[] = [
  {
    name: 'scan',
    summary: { de: 'dieses Gerät gegen die Richtlinie prüfen', en: 'check this device against the policy' },
    load: async () => (await import('./scan.js')).scanCommand,
  },
  {
    name: 'status',
    summary: {
      de: 'letzten bekannten Zustand des Hintergrunddienstes zeigen',
      en: "show the background agent's last known state",
    },
    load: async () => (await import('./status.js')).statusCommand,
  },
  {
    name: 'run',
    summary: { de: 'im Hintergrund laufen: prüfen, beobachten, melden', en: 'run in the background: check, watch, report' },
    load: async () => (await import('./run.js')).runCommand,
  },
  {
    name: 'inventory',
    summary: { de: 'zeigen, was auf diesem Gerät gefunden wird', en: 'show what is found on this device' },
    load: async () => (await import('./inventory.js')).inventoryCommand,
  },
  {
    name: 'enroll',
    summary: { de: 'dieses Gerät beim Appwacht-Server anmelden', en: 'enroll this device with the Appwacht server' },
    load: async () => (await import('./enroll.js')).enrollCommand,
  },
  {
    name: 'config',
    summary: {
      de: 'wirksame Einstellungen und ihre Herkunft zeigen',
      en: 'show the effective configuration and where it came from',
    },
    load: async () => (await import('./config.js')).configCommand,
  },
];
