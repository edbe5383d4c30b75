/** A small fleet through the real agent API (enroll + report), with hostile names the dashboard must show as text. */
import { randomUUID } from 'node:crypto';
import { finding, validHost, validReport } from '../server/helpers.js';

export const XSS_HOST = '<img src=x onerror=alert(1)>';
export const EVIL_APP = `"Evil" App's </script><script>alert(2)</script>`;

async function post(url: string, body: unknown, token?: string) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, string>;
}

export interface Seeded {
  ids: Record<string, string>;
}

/** 8 compliant, 4 with WhatsApp, 1 with the evil app, the XSS hostname (compliant), 2 that never report. */
export async function seedFleet(base: string, enrollmentSecret: string): Promise<Seeded> {
  const ids: Record<string, string> = {};
  const add = async (hostname: string, os: 'windows' | 'macos' | 'linux', findings: ReturnType<typeof finding>[] | null) => {
    const host = validHost({ hostname, os: 'windows', osUser: `CITY\\${hostname.toLowerCase().replace(/[^a-z0-9]/g, '')}` });
    void os;
    const e = await post(`${base}/api/v1/enroll`, { enrollmentSecret, host });
    ids[hostname] = e.deviceId!;
    if (findings) await post(`${base}/api/v1/reports`, validReport({ reportId: randomUUID(), findings }), e.deviceToken);
  };
  for (let i = 1; i <= 8; i++) await add(`PC-OK-${String(i).padStart(2, '0')}`, 'windows', []);
  for (let i = 1; i <= 4; i++) await add(`PC-WA-${String(i).padStart(2, '0')}`, 'windows', [finding('whatsapp')]);
  await add('PC-EVIL', 'windows', [finding('snapchat', { ruleId: 'snapchat', name: EVIL_APP })]);
  await add(XSS_HOST, 'windows', []);
  await add('PC-SILENT-1', 'windows', null);
  await add('PC-SILENT-2', 'windows', null);
  return { ids };
}
