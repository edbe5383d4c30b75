/**
 * What IT needs to find a laptop — manufacturer, model, serial number, OS build — from systeminformation, shown under
 * "What is reported" and in About. Collected rarely: on Windows each of these calls starts PowerShell/WMI queries that
 * take seconds (BENCHMARKS.md, bench:agent "tray"), so once at start and then at most once a day.
 */
import type { HostFacts } from '../shared/bridge.js';

export interface SystemInformation {
  system(): Promise<{ manufacturer: string; model: string; serial: string }>;
  osInfo(): Promise<{ distro: string; release: string; build: string; kernel: string; hostname: string }>;
}

export const HARDWARE_REFRESH_MS = 24 * 3600_000;

/** systeminformation says "" or placeholder text where firmware leaves a field empty; those are left out. */
const PLACEHOLDER =
  /^(|-|default string|to be filled by o\.e\.m\.|system (product name|serial number|manufacturer)|not (applicable|specified)|none|0+)$/i;
const clean = (v: string | undefined, max = 100) => {
  const t = (v ?? '').replace(/\s+/g, ' ').trim();
  return PLACEHOLDER.test(t) ? undefined : t.slice(0, max);
};

export async function collectHostFacts(si: SystemInformation): Promise<HostFacts> {
  const [sys, os] = await Promise.all([si.system(), si.osInfo()]);
  const facts: HostFacts = {};
  const set = (k: keyof HostFacts, v: string | undefined) => v && (facts[k] = v);
  set('manufacturer', clean(sys.manufacturer));
  set('model', clean(sys.model));
  set('serial', clean(sys.serial));
  set('os', clean(`${os.distro} ${os.release}`));
  set('osBuild', clean(os.build) ?? clean(os.kernel));
  set('hostname', clean(os.hostname, 255));
  return facts;
}

/** Collected once, then again only when asked after HARDWARE_REFRESH_MS; a failure leaves the last facts (or null). */
export function hostFactsCache(si: SystemInformation, now: () => number = Date.now) {
  let facts: HostFacts | null = null;
  let at = -Infinity;
  let pending: Promise<HostFacts | null> | undefined;
  return {
    current: () => facts,
    refresh(): Promise<HostFacts | null> {
      if (pending) return pending;
      if (now() - at < HARDWARE_REFRESH_MS) return Promise.resolve(facts);
      pending = collectHostFacts(si)
        .then((f) => ((facts = f), (at = now()), f))
        .catch(() => ((at = now()), facts))
        .finally(() => (pending = undefined));
      return pending;
    },
  };
}
