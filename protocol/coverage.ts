import type { OsName } from './common.js';
import type { ComplianceState, CoverageGap, Report, SourceStatus } from './report.js';

/**
 * The inventory sources without which a scan cannot say "no banned app" (ids as the agent's sources name them).
 * When one of them failed, was read only in part, or is missing from a scan, finding nothing proves nothing: the
 * result is unknown, unless a banned app turned up in the sources that did work. Agent and server read this one table.
 *
 * - windows: the Uninstall keys (every installer that shows in "Apps & features", machine and per-user) and the Store
 *   packages (WhatsApp Desktop is a Store app). Together they are everything Windows itself lists as installed.
 * - macos: the bundle folders (/Applications, ~/Applications, ~/Desktop, ~/Downloads): the only inventory macOS has.
 * - linux: the system package database in use (dpkg or rpm; the one that is absent reports "ok, nothing") and the
 *   places a user installs to without root: flatpak user installations, AppImages and .desktop launchers in the
 *   homes. Snap is left out: snaps are installed through the snapd daemon system-wide and leave .desktop files and
 *   running processes that the other sources see too.
 * Running processes are never essential: they are extra evidence, and a folder tree or a capture has none.
 */
export const ESSENTIAL_SOURCES: Readonly<Record<OsName, readonly string[]>> = {
  windows: ['registry', 'appx'],
  macos: ['bundles'],
  linux: ['dpkg', 'rpm', 'flatpak', 'appimage', 'desktop-entry'],
};

/** Pure: which essential sources of `os` failed or are absent in a scan's source list. */
export function essentialGaps(os: OsName, sources: readonly Pick<SourceStatus, 'id' | 'ok'>[]): CoverageGap[] {
  if (sources.length === 0) return [{ code: 'NO_SOURCES' }];
  const gaps: CoverageGap[] = [];
  for (const id of ESSENTIAL_SOURCES[os]) {
    const found = sources.filter((s) => s.id === id);
    if (found.length === 0) gaps.push({ code: 'SOURCE_MISSING', source: id });
    else if (found.some((s) => !s.ok)) gaps.push({ code: 'SOURCE_FAILED', source: id });
  }
  return gaps;
}

/**
 * Pure, fail-closed: the status a scan may claim given what it could not see. A banned app found stays a violation
 * (it was seen, whatever else was missed); anything less becomes unknown as soon as there is a gap.
 */
export function statusWithGaps(found: ComplianceState['status'], gaps: readonly CoverageGap[]): ComplianceState['status'] {
  return gaps.length > 0 && found !== 'violation' ? 'unknown' : found;
}

/**
 * The server's reading of a report: it does not take the agent's word that a device is clean. A report whose
 * essential sources (for the OS the device enrolled with) failed or are missing, or that lists no source, is
 * treated as unknown whatever it claims. Returns the report unchanged when nothing is added.
 */
export function classifyReport(report: Report, os: OsName): Report {
  const gaps = essentialGaps(os, report.sources);
  const status = statusWithGaps(report.state.status, gaps);
  if (gaps.length === 0 || (status === report.state.status && status !== 'unknown')) return report;
  const known = new Set((report.state.gaps ?? []).map((g) => `${g.code}|${g.source ?? ''}`));
  const merged = [...(report.state.gaps ?? []), ...gaps.filter((g) => !known.has(`${g.code}|${g.source ?? ''}`))].slice(0, 60);
  if (status === report.state.status) return { ...report, state: { ...report.state, gaps: merged } };
  return { ...report, state: { status, gaps: merged, pastDeadline: false, daysPastDeadline: 0 } };
}
