/**
 * Request bodies for the server benchmark: valid `Report`s with fresh ids, spread over many devices, in a mix a
 * city's fleet would send (most laptops clean, some with a banned or a tolerated app, now and then a change).
 */
import { randomUUID } from 'node:crypto';
import type { OsName } from '../protocol/common.js';
import { ESSENTIAL_SOURCES } from '../protocol/coverage.js';
import type { Finding, Report } from '../protocol/report.js';

export type Profile = 'compliant' | 'violation' | 'warning';

export interface BenchDevice {
  token: string;
  profile: Profile;
  /** The OS it enrolled with: the server judges a report by that OS's essential sources. */
  os: OsName;
}

/** A city's mix: mostly Windows laptops, some Macs and Linux machines. */
export function osFor(i: number): OsName {
  return i % 10 < 8 ? 'windows' : i % 10 === 8 ? 'macos' : 'linux';
}

/** Share of devices per profile: a fleet some weeks into the ban. */
export function profileFor(i: number): Profile {
  const r = i % 100;
  return r < 88 ? 'compliant' : r < 95 ? 'violation' : 'warning';
}

const DEADLINE = '2026-03-01T00:00:00.000Z';

function finding(app: 'whatsapp' | 'telegram'): Finding {
  return app === 'whatsapp'
    ? {
        ruleId: 'ban-whatsapp',
        appId: 'whatsapp',
        name: 'WhatsApp',
        action: 'ban',
        deadline: DEADLINE,
        evidence: ['installed', 'running'],
        installs: [
          {
            source: 'appx',
            scope: 'user',
            name: '5319275A.WhatsAppDesktop',
            version: '2.2450.6.0',
            location: 'C:\\Program Files\\WindowsApps\\5319275A.WhatsAppDesktop_2.2450.6.0_x64__cv1g1gvanyjgm',
            matchedBy: 'appxFamily',
          },
        ],
        processes: [{ pid: 7312, name: 'WhatsApp.exe' }],
      }
    : {
        ruleId: 'warn-telegram',
        appId: 'telegram',
        name: 'Telegram Desktop',
        action: 'warn',
        deadline: '2026-06-01T00:00:00.000Z',
        evidence: ['installed'],
        installs: [
          {
            source: 'registry',
            scope: 'user',
            name: 'Telegram Desktop',
            version: '5.9.0',
            location: 'C:\\Users\\m.muster\\AppData\\Roaming\\Telegram Desktop',
            matchedBy: 'uninstallKey',
          },
        ],
        processes: [],
      };
}

/** Every essential source of the OS read, plus the process list: a complete scan, not an unknown one. */
const sourcesOf = (os: OsName): Report['sources'] => [
  ...ESSENTIAL_SOURCES[os].map((id) => ({ id, ok: true })),
  { id: 'process', ok: true },
];

/**
 * One report of a device. About 2 in 100 reports are a change (the employee removed the app, or a clean laptop
 * got one), so the set-based device_apps rewrite is exercised too, not only the heartbeat fast path.
 */
export function reportFor(profile: Profile, os: OsName, scannedAt = new Date(), flip = Math.random() < 0.02): Report {
  let effective: Profile = profile;
  if (flip) effective = profile === 'compliant' ? 'violation' : 'compliant';
  const findings = effective === 'violation' ? [finding('whatsapp')] : effective === 'warning' ? [finding('telegram')] : [];
  return {
    reportId: randomUUID(),
    kind: flip ? 'change' : 'heartbeat',
    scannedAt: scannedAt.toISOString(),
    agentVersion: '0.1.0',
    policyVersion: 1,
    state:
      effective === 'compliant'
        ? { status: 'compliant', pastDeadline: false, daysPastDeadline: 0 }
        : { status: effective, deadline: DEADLINE, pastDeadline: false, daysPastDeadline: 0 },
    findings,
    sources: sourcesOf(os),
  };
}
