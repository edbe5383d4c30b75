/**
 * The catalog against snapshots of the public indexes (test/fixtures/catalog-audit/, see agent/catalog/README.md):
 * every client of a catalog service that the indexes publish must be found as that service, and no other app may be
 * flagged. The entries are what an index says about an app, turned into the record the inventory would produce; the
 * samples are unrelated apps taken wholesale from the same indexes. Nobody on the project chose them to pass.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { OsName, SourceKind } from '../../../protocol/index.js';
import { catalog, getCatalogMatcher, type Sourced } from '../../../agent/catalog/index.js';
import type { InstalledApp, RunningProcess } from '../../../agent/inventory/types.js';
import { MatcherSet } from '../../../agent/policy/match.js';

const DIR = new URL('../../fixtures/catalog-audit/', import.meta.url);
const INDEXES = ['winget', 'homebrew-cask', 'flathub', 'snapcraft', 'debian'] as const;
type IndexName = (typeof INDEXES)[number];

const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const Entry = z.strictObject({
  expect: z.string().nullable(),
  client: z.enum(['official', 'third-party']).optional(),
  id: z.string().min(1),
  source: SourceKind,
  name: z.string().min(1),
  publisher: z.string().optional(),
  ids: z
    .strictObject({
      bundleId: z.string().optional(),
      appxName: z.string().optional(),
      appxFamily: z.string().optional(),
      uninstallKey: z.string().optional(),
      flatpakId: z.string().optional(),
      snapName: z.string().optional(),
      packageName: z.string().optional(),
      desktopId: z.string().optional(),
    })
    .optional(),
  from: z.string().min(10),
  seen: Day,
  note: z.string().optional(),
  unverified: z.string().optional(),
  /** Why an official-only rule cannot tell this third-party client from the official app (it is listed, not failed). */
  ambiguous: z.string().optional(),
});
type Entry = z.infer<typeof Entry>;
const Sample = z.strictObject({
  from: z.string().min(10),
  seen: Day,
  selection: z.string().optional(),
  note: z.string().optional(),
  names: z.array(z.union([z.string(), z.tuple([z.string(), z.string()])])).optional(),
  ids: z.array(z.string()).optional(),
});
const Snapshot = z.strictObject({
  index: z.enum(INDEXES),
  os: OsName,
  description: z.string(),
  entries: z.array(Entry),
  sample: Sample.optional(),
});
type Snapshot = z.infer<typeof Snapshot>;

function loadSnapshot(index: IndexName): Snapshot {
  const parsed = Snapshot.safeParse(JSON.parse(readFileSync(new URL(`${index}.json`, DIR), 'utf8')));
  if (!parsed.success)
    throw new Error(`${index}.json: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** One thing the audit checks: an installed-app record or a running process, and what it should be found as. */
interface Case {
  index: IndexName;
  os: OsName;
  label: string;
  expect: string | null;
  client?: 'official' | 'third-party';
  ambiguous?: string;
  app?: InstalledApp;
  process?: RunningProcess;
}

function fromEntry(index: IndexName, os: OsName, e: Entry): Case {
  const base = {
    index,
    os,
    label: `${index} ${e.id} (${e.source} "${e.name}")`,
    expect: e.expect,
    client: e.client,
    ambiguous: e.ambiguous,
  };
  if (e.source === 'process') return { ...base, process: { pid: 1, name: e.name } };
  const app: InstalledApp = { name: e.name, source: e.source, scope: 'machine', ids: { ...e.ids } };
  if (e.publisher) app.publisher = e.publisher;
  return { ...base, app };
}

/** Sample records carry only what the index gives: a name (winget, Debian) or an id (Flathub, Snapcraft). */
function fromSample(index: IndexName, os: OsName, sample: NonNullable<Snapshot['sample']>): Case[] {
  const one = (label: string, app: InstalledApp): Case => ({ index, os, label: `${index} sample ${label}`, expect: null, app });
  switch (index) {
    case 'winget':
      return (sample.names ?? []).map((n) => {
        const [id, name] = typeof n === 'string' ? [n, n] : n;
        return one(`${id} "${name}"`, { name, source: 'registry', scope: 'machine', ids: {} });
      });
    case 'debian':
      return (sample.names ?? []).map((n) => {
        const name = typeof n === 'string' ? n : n[0];
        return one(name, { name, source: 'dpkg', scope: 'machine', ids: { packageName: name } });
      });
    case 'flathub':
      return (sample.ids ?? []).map((id) =>
        one(id, { name: id.slice(id.lastIndexOf('.') + 1), source: 'flatpak', scope: 'machine', ids: { flatpakId: id } }),
      );
    case 'snapcraft':
      return (sample.ids ?? []).map((id) => one(id, { name: id, source: 'snap', scope: 'machine', ids: { snapName: id } }));
    default:
      return [];
  }
}

const snapshots = INDEXES.map(loadSnapshot);
const cases = snapshots.flatMap((s) => [
  ...s.entries.map((e) => fromEntry(s.index, s.os, e)),
  ...(s.sample ? fromSample(s.index, s.os, s.sample) : []),
]);

const all = new MatcherSet(catalog.map((a) => getCatalogMatcher(a.id)!));
const officialOnly = new MatcherSet(catalog.map((a) => getCatalogMatcher(a.id, 'official')!));

function found(set: MatcherSet, c: Case): string[] {
  const hits = c.app ? set.matchApp(c.app, c.os).map((h) => h.index) : set.matchProcess(c.process!, c.os);
  return [...new Set(hits.map((i) => catalog[i]!.id))];
}

const results = cases.map((c) => ({ c, hits: found(all, c), officialHits: found(officialOnly, c) }));
const isClient = (r: (typeof results)[number]) => r.c.expect !== null;
const clientFound = (r: (typeof results)[number]) => r.hits.length === 1 && r.hits[0] === r.c.expect;

describe('catalog audit against public index snapshots', () => {
  it('reads every snapshot: each entry names its index id, where it came from and when', () => {
    for (const s of snapshots) {
      assert.ok(s.entries.length > 0, `${s.index}: no entries`);
      for (const e of s.entries) {
        assert.ok(e.expect === null || catalog.some((a) => a.id === e.expect), `${s.index} ${e.id}: unknown service ${e.expect}`);
        assert.ok(e.expect === null || e.client, `${s.index} ${e.id}: a service client must say official or third-party`);
      }
    }
  });

  it('finds every client of a catalog service as that service, and as nothing else', () => {
    const missed = results.filter((r) => isClient(r) && !clientFound(r));
    assert.deepEqual(
      missed.map((r) => `${r.c.label} → expected ${r.c.expect}, found [${r.hits.join(', ')}]`),
      [],
    );
  });

  it('flags no unrelated app, look-alikes included', () => {
    const flagged = results.filter((r) => !isClient(r) && r.hits.length > 0);
    assert.deepEqual(
      flagged.map((r) => `${r.c.label} → ${r.hits.join(', ')}`),
      [],
    );
  });

  it('an official-only rule finds the official builds and none of the third-party clients', () => {
    const wrong = results.filter((r) => {
      if (!isClient(r) || r.c.ambiguous) return false;
      const hit = r.officialHits.includes(r.c.expect!);
      return r.c.client === 'official' ? !hit : hit;
    });
    assert.deepEqual(
      wrong.map((r) => `${r.c.label} (${r.c.client}) → official-only found [${r.officialHits.join(', ')}]`),
      [],
    );
  });

  it('flags none of the sampled winget names when they appear as a macOS or Linux app name', () => {
    // The Homebrew and Flathub samples carry ids, not names; this puts the name rules of the other OSes to the test
    // with the same real-world names. Labelled as what it is: winget names, read as if they were bundle or desktop names.
    const winget = snapshots.find((s) => s.index === 'winget')!;
    const flagged: string[] = [];
    for (const n of winget.sample?.names ?? []) {
      const name = typeof n === 'string' ? n : n[1];
      for (const [os, source] of [
        ['macos', 'bundle'],
        ['linux', 'desktop-entry'],
      ] as const) {
        const hits = all.matchApp({ name, source, scope: 'machine', ids: {} }, os);
        if (hits.length) flagged.push(`${os} "${name}" → ${hits.map((h) => catalog[h.index]!.id).join(', ')}`);
      }
    }
    assert.deepEqual(flagged, []);
  });

  it('prints the counts per OS and what the snapshot cannot vouch for', () => {
    const lines = ['catalog audit (per OS): service clients found / total, containers found / total, unrelated flagged / total'];
    for (const os of OsName.options) {
      const mine = results.filter((r) => r.c.os === os);
      const isContainer = (r: (typeof results)[number]) => !!catalog.find((a) => a.id === r.c.expect)?.container;
      const containers = mine.filter((r) => isClient(r) && isContainer(r));
      const clients = mine.filter((r) => isClient(r) && !isContainer(r));
      const unrelated = mine.filter((r) => !isClient(r));
      const thirdParty = clients.filter((r) => r.c.client === 'third-party');
      lines.push(
        `  ${os.padEnd(7)}  clients ${clients.filter(clientFound).length}/${clients.length}` +
          ` (third-party ${thirdParty.filter(clientFound).length}/${thirdParty.length})` +
          `  containers ${containers.filter(clientFound).length}/${containers.length}` +
          `  unrelated flagged ${unrelated.filter((r) => r.hits.length > 0).length}/${unrelated.length}`,
      );
    }
    for (const s of snapshots)
      lines.push(
        `  ${s.index.padEnd(13)} ${s.entries.length} entries + ${(s.sample?.names ?? s.sample?.ids ?? []).length} sampled`,
      );
    const covered = new Set(snapshots.flatMap((s) => s.entries.map((e) => e.expect)));
    lines.push(
      `  services without an entry in any snapshot: ${catalog
        .filter((a) => !covered.has(a.id))
        .map((a) => a.id)
        .join(', ')}`,
    );
    const unverifiedEntries = snapshots.flatMap((s) => s.entries.filter((e) => e.unverified).map((e) => `${s.index} ${e.id}`));
    lines.push(`  snapshot entries not confirmed first-hand (${unverifiedEntries.length}): ${unverifiedEntries.join(', ')}`);
    const unverifiedIds = catalog.flatMap((app) =>
      [app.windows, app.macos, app.linux].flatMap((sig) =>
        Object.entries(sig ?? {}).flatMap(([, groups]) =>
          (groups as (Sourced & { pattern?: string })[])
            .filter((g) => g.unverified)
            .map((g) => `${app.id}:${g.values?.join('|') ?? g.pattern}`),
        ),
      ),
    );
    lines.push(`  catalog identifiers and name rules marked unverified (${unverifiedIds.length}):`);
    for (const id of unverifiedIds) lines.push(`    ${id}`);
    const ambiguous = results.filter((r) => r.c.ambiguous && r.officialHits.includes(r.c.expect!));
    lines.push(
      `  third-party clients an official-only rule cannot tell apart: ${ambiguous.map((r) => r.c.label).join(', ') || 'none'}`,
    );
    console.log(lines.join('\n'));
    assert.ok(results.length > 5000, `expected a broad snapshot, got ${results.length} records`);
  });
});
