import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Policy } from '../../../protocol/index.js';
import { getCatalogApp } from '../../../agent/catalog/index.js';
import { loadDefaultPolicy } from '../../../agent/policy/default-policy.js';
import { DefaultPolicyError, parseDefaultPolicy } from '../../../agent/policy/default-policy-check.js';

const FILE = new URL('../../../assets/default-policy.json', import.meta.url);
const text = readFileSync(FILE, 'utf8');

describe('loadDefaultPolicy()', () => {
  it('loads a policy the protocol schema accepts', () => {
    assert.ok(Policy.safeParse(loadDefaultPolicy()).success);
  });

  it('names only apps the catalog knows', () => {
    for (const rule of loadDefaultPolicy().rules) {
      assert.ok(rule.app, `${rule.id} is not a catalog rule`);
      assert.ok(getCatalogApp(rule.app), `${rule.id} names unknown app ${rule.app}`);
    }
  });

  it('bans what the city named, by 15 September 2026', () => {
    const p = loadDefaultPolicy();
    assert.deepEqual(p.rules.map((r) => r.app).sort(), ['facebook', 'facebook-messenger', 'kik', 'line', 'snapchat', 'whatsapp']);
    for (const r of p.rules) {
      assert.equal(r.action, 'ban');
      assert.equal(Date.parse(r.deadline), Date.parse('2026-09-15T00:00:00+02:00'));
    }
  });

  it('has the organisation, placeholder contacts, intervals and escalation the city asked for', () => {
    const p = loadDefaultPolicy();
    assert.equal(p.organization.name, 'Stadtverwaltung');
    const contacts = Object.values(p.organization.support).join(' ');
    assert.match(contacts, /example\.org/);
    assert.deepEqual(p.intervals, { scanMinutes: 15, heartbeatMinutes: 60, policyRefreshMinutes: 60 });
    assert.deepEqual(p.escalation, { reportOnly: false, mailWarningAfterDays: 0, blockAfterDays: 14, staleAfterHours: 72 });
  });

  it('explains the why (DSGVO/GDPR) and what to do in German and English', () => {
    const { de, en } = loadDefaultPolicy().message;
    assert.match(de, /DSGVO/);
    assert.match(de, /deinstallieren/);
    assert.match(en, /GDPR/);
    assert.match(en, /uninstall/);
  });

  it('is shared and frozen, so nobody changes the bundled policy by accident', () => {
    const p = loadDefaultPolicy();
    assert.equal(loadDefaultPolicy(), p);
    assert.ok(Object.isFrozen(p) && Object.isFrozen(p.rules) && Object.isFrozen(p.rules[0]));
    assert.throws(() => (p.rules as unknown[]).push({}));
  });
});

describe('parseDefaultPolicy() fails loudly on a broken bundled policy', () => {
  const broken: [string, string, RegExp][] = [
    ['not JSON', text.slice(0, 40), /not valid JSON/],
    ['schema violation', text.replace('"scanMinutes": 15', '"scanMinutes": 0'), /intervals\.scanMinutes/],
    ['unknown catalog app', text.replace('"app": "kik"', '"app": "kik-messenger"'), /kik-messenger/],
    ['rule with both app and custom missing', text.replace('"app": "line", ', ''), /catalog app or a custom app/],
  ];
  for (const [title, variant, message] of broken) {
    it(title, () => {
      assert.throws(
        () => parseDefaultPolicy(variant),
        (err: unknown) => err instanceof DefaultPolicyError && err.code === 'DEFAULT_POLICY_INVALID' && message.test(err.message),
      );
    });
  }
});

describe('the build checks the bundled policy (scripts/check-default-policy.ts)', () => {
  const script = new URL('../../../scripts/check-default-policy.ts', import.meta.url).pathname;
  const check = (args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { encoding: 'utf8', timeout: 60_000 });

  it('passes the real file', () => {
    const r = check([]);
    assert.equal(r.status, 0, r.stderr);
  });

  it('fails with the reason on a broken one, so `npm run build` stops', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'appwacht-default-policy-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'default-policy.json');
    writeFileSync(file, text.replace('"app": "kik"', '"app": "kik-messenger"'));
    const r = check([file]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /check-default-policy: .*kik-messenger/);
  });
});
