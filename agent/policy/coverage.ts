import { essentialGaps } from '../../protocol/coverage.js';
import type { CoverageGap, OsName } from '../../protocol/index.js';

/** What the coverage rule needs to know about each source of a scan (SourceReport has more). */
export interface SourceOutcome {
  id: string;
  /** false when the source failed or could be read only in part. */
  ok: boolean;
  /** Records it produced. */
  count: number;
}

/** The Linux system package databases the agent reads; on a real system one of them holds hundreds of packages. */
const LINUX_PACKAGE_DATABASES = ['dpkg', 'rpm'];

/**
 * Pure: what a scan could not see, empty when it may vouch for a clean device. The essential sources per OS come
 * from protocol/ (the server applies the same table); two more rules need what only the agent has, the counts:
 * a Linux system whose package databases yield nothing (no dpkg or rpm database: not a system tree, or a package
 * manager we do not read), and a scan in which every source worked but not one application turned up.
 */
export function coverageGaps(input: { os: OsName; installedCount: number; sources: readonly SourceOutcome[] }): CoverageGap[] {
  const gaps = essentialGaps(input.os, input.sources);
  if (gaps.length > 0) return gaps;
  if (input.os === 'linux') {
    const databases = input.sources.filter((s) => LINUX_PACKAGE_DATABASES.includes(s.id));
    if (databases.every((s) => s.count === 0)) return [{ code: 'NO_PACKAGE_DATABASE' }];
  }
  if (input.installedCount === 0) return [{ code: 'NOTHING_FOUND' }];
  return [];
}
