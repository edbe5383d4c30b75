import type { Matcher, OsName, SourceKind } from '../../protocol/index.js';
import type { CatalogApp, ClientScope, NameRule, Sourced } from './types.js';

type IdKind = Exclude<keyof Matcher, 'names'>;

/** A rule for the official app only leaves out what third-party clients carry. */
function inScope<T extends { thirdParty?: string }>(items: readonly T[] | undefined, clients: ClientScope): readonly T[] {
  if (!items) return [];
  return clients === 'all' ? items : items.filter((i) => i.thirdParty === undefined);
}

/** Case-insensitive de-duplication, first spelling wins (ids compare case-insensitively anyway). */
function unique(list: string[]): string[] | undefined {
  const seen = new Set<string>();
  const out = list.filter((v) => {
    const key = v.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return out.length ? out : undefined;
}

/**
 * Turns a catalog entry into the protocol's `Matcher`, so a catalog app and an admin's custom rule go through the
 * same matcher. Per-OS name rules become rules limited to that OS; a rule listed for several OSes is merged into one.
 * Process names are not OS-scoped in the protocol; they are exact names, so a Windows name never matches on Linux.
 * With `clients: 'official'` only the vendor's own identifiers are kept (see `Sourced.thirdParty`).
 */
export function catalogAppToMatcher(app: CatalogApp, clients: ClientScope = 'all'): Matcher {
  const { windows: w, macos: m, linux: l } = app;
  const values = (groups: readonly Sourced[] | undefined) => inScope(groups, clients).flatMap((g) => g.values);
  const ids: Record<IdKind, string[] | undefined> = {
    bundleIds: unique(values(m?.bundleIds)),
    appxNames: unique(values(w?.appxNames)),
    appxFamilies: unique(values(w?.appxFamilies)),
    uninstallKeys: unique(values(w?.uninstallKeys)),
    flatpakIds: unique(values(l?.flatpakIds)),
    snapNames: unique(values(l?.snapNames)),
    packages: unique(values(l?.packages)),
    desktopIds: unique(values(l?.desktopIds)),
    processes: [...new Set([...values(w?.processes), ...values(m?.processes), ...values(l?.processes)])],
  };
  if (ids.processes?.length === 0) ids.processes = undefined;

  const names = new Map<string, { pattern: string; publisher?: string; sources?: SourceKind[]; os: OsName[] }>();
  const addNames = (os: OsName, rules: readonly NameRule[] | undefined) => {
    for (const r of inScope(rules, clients)) {
      const key = `${r.pattern}\u0000${r.publisher ?? ''}\u0000${r.sources?.join(',') ?? ''}`;
      const entry = names.get(key) ?? {
        pattern: r.pattern,
        ...(r.publisher ? { publisher: r.publisher } : {}),
        ...(r.sources ? { sources: [...r.sources] } : {}),
        os: [],
      };
      if (!entry.os.includes(os)) entry.os.push(os);
      names.set(key, entry);
    }
  };
  addNames('windows', w?.names);
  addNames('macos', m?.names);
  addNames('linux', l?.names);

  const matcher: Matcher = {};
  for (const [kind, list] of Object.entries(ids) as [IdKind, string[] | undefined][]) if (list) matcher[kind] = list;
  // A rule listed for all three OSes needs no OS limit.
  if (names.size) matcher.names = [...names.values()].map(({ os, ...rule }) => (os.length === 3 ? rule : { ...rule, os }));
  return matcher;
}
