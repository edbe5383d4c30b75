import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Matcher, Slug } from '../../../protocol/index.js';
import { catalog, catalogAppToMatcher, getCatalogApp, getCatalogMatcher, type Sourced } from '../../../agent/catalog/index.js';

const REQUIRED = [
  'whatsapp',
  'snapchat',
  'facebook',
  'facebook-messenger',
  'instagram',
  'kik',
  'line',
  'telegram',
  'signal',
  'threema',
  'wechat',
  'viber',
  'discord',
  'skype',
  'element',
  'wire',
];

function groups(app: (typeof catalog)[number]): Sourced[] {
  const out: Sourced[] = [];
  for (const sig of [app.windows, app.macos, app.linux])
    for (const [key, value] of Object.entries(sig ?? {})) if (key !== 'names') out.push(...(value as Sourced[]));
  return out;
}

describe('catalog', () => {
  it('has every messenger the issue asks for, each once', () => {
    const ids = catalog.map((a) => a.id);
    assert.deepEqual([...new Set(ids)].length, ids.length, 'duplicate ids');
    for (const id of REQUIRED) assert.ok(getCatalogApp(id), `missing ${id}`);
  });

  it('uses slugs a policy rule can name', () => {
    for (const app of catalog) assert.ok(Slug.safeParse(app.id).success, app.id);
  });

  it('says which apps have no desktop client (Snapchat, Kik) and still matches something for them', () => {
    assert.equal(getCatalogApp('snapchat')!.desktopClient, 'none');
    assert.equal(getCatalogApp('kik')!.desktopClient, 'none');
    for (const id of ['snapchat', 'kik']) assert.ok(getCatalogMatcher(id)!.names?.length, `${id} has no trace rule`);
  });

  it('names a source for every identifier group and name rule, and never an empty identifier', () => {
    for (const app of catalog) {
      for (const g of groups(app)) {
        assert.ok(g.source.trim().length > 5, `${app.id}: group ${g.values.join(',')} without source`);
        assert.ok(g.values.length > 0, `${app.id}: empty group`);
        for (const v of g.values) assert.equal(v, v.trim(), `${app.id}: identifier with spaces around: "${v}"`);
        for (const v of g.values) assert.ok(v.length > 0 && !v.includes('*'), `${app.id}: wildcard or empty identifier "${v}"`);
      }
      for (const sig of [app.windows, app.macos, app.linux])
        for (const rule of sig?.names ?? [])
          assert.ok(rule.source.trim().length > 5, `${app.id}: name rule ${rule.pattern} without source`);
    }
  });

  it('compiles each entry into a Matcher the protocol accepts (limits, valid patterns)', () => {
    for (const app of catalog) {
      const result = Matcher.safeParse(catalogAppToMatcher(app));
      assert.ok(result.success, `${app.id}: ${JSON.stringify(result.error?.issues)}`);
    }
  });

  it('keeps name rules from matching the empty string or a lone version number', () => {
    for (const app of catalog) {
      for (const rule of getCatalogMatcher(app.id)!.names ?? []) {
        const re = new RegExp(`^(?:${rule.pattern})$`, 'iu');
        for (const s of ['', ' ', '1.0', 'version 2', 'App']) assert.ok(!re.test(s), `${app.id}: ${rule.pattern} matches "${s}"`);
      }
    }
  });

  it('limits name rules to the OS they were seen on, and merges a rule seen on all three', () => {
    const telegram = getCatalogMatcher('telegram')!;
    // Windows: official + forks (versioned); macOS: official + Telegram A; forks' bare names merged for macOS and Linux.
    assert.deepEqual(
      telegram.names!.map((n) => n.os),
      [['windows'], ['windows'], ['macos'], ['macos'], ['macos', 'linux'], ['linux']],
    );
    assert.deepEqual(
      getCatalogMatcher('telegram', 'official')!.names!.map((n) => n.os),
      [['windows'], ['macos'], ['macos'], ['linux']],
    );
    const snapchat = getCatalogMatcher('snapchat')!;
    assert.equal(snapchat.names!.length, 1);
    assert.equal(snapchat.names![0]!.os, undefined);
  });

  it('marks unverified identifiers with a reason instead of leaving them unmarked', () => {
    const whatsappBeta = getCatalogApp('whatsapp')!.windows!.appxNames!.find((g) => g.values.includes('5319275A.51895FA4EA97F'));
    assert.match(whatsappBeta!.unverified ?? '', /unattributed/);
    for (const app of catalog)
      for (const g of groups(app)) if (g.unverified !== undefined) assert.ok(g.unverified.length > 10, app.id);
  });
});
