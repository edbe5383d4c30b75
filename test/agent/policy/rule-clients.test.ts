/**
 * A rule bans a service with its third-party clients (the default) or the vendor's own app only (`clients: 'official'`).
 * Records are the ones the audit snapshot holds for these apps (test/fixtures/catalog-audit/).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Policy, PolicyRule, type OsName } from '../../../protocol/index.js';
import type { InstalledApp, RunningProcess } from '../../../agent/inventory/types.js';
import { evaluate } from '../../../agent/policy/evaluate.js';
import { seenAll } from '../../helpers/seen-all.js';
import { watchedProcessNames } from '../../../agent/runtime/watch-list.js';

const DEADLINE = '2026-09-15T00:00:00+02:00';
const NOW = new Date('2026-09-01T00:00:00Z');

/** A policy as it arrives: JSON text parsed by the protocol schema, so the optional field's default is what is tested. */
function policyFrom(rules: unknown[]): Policy {
  return Policy.parse({
    schema: 1,
    version: 1,
    issuedAt: '2026-06-01T00:00:00+02:00',
    organization: { name: 'Test', support: { email: 'it@example.org' } },
    message: { de: 'Bitte entfernen.', en: 'Please remove.' },
    rules,
    intervals: { scanMinutes: 15, heartbeatMinutes: 60, policyRefreshMinutes: 60 },
    escalation: { reportOnly: false, mailWarningAfterDays: 0, blockAfterDays: 14, staleAfterHours: 72 },
  });
}

const rule = (app: string, clients?: 'all' | 'official') => ({
  id: app,
  app,
  action: 'ban',
  deadline: DEADLINE,
  ...(clients ? { clients } : {}),
});

const flatpak = (name: string, flatpakId: string): InstalledApp => ({
  name,
  source: 'flatpak',
  scope: 'machine',
  ids: { flatpakId },
});
const bundle = (name: string, bundleId: string): InstalledApp => ({
  name,
  source: 'bundle',
  scope: 'machine',
  ids: { bundleId },
});
const zapzap = flatpak('ZapZap', 'com.rtosta.zapzap');
const kotatogram = flatpak('Kotatogram Desktop', 'io.github.kotatogram');
const telegram = flatpak('Telegram Desktop', 'org.telegram.desktop');
const whatsappMac = bundle('WhatsApp', 'net.whatsapp.WhatsApp');
const messengerDirect = bundle('Messenger', 'com.facebook.archon.developerID');
const caprineMac = bundle('Caprine', 'com.sindresorhus.caprine');
const ayugramExe: RunningProcess = { pid: 4242, name: 'AyuGram.exe', path: 'C:\\Users\\anna\\Downloads\\AyuGram\\AyuGram.exe' };

function found(policy: Policy, os: OsName, apps: InstalledApp[], processes: RunningProcess[] = []): string[] {
  return evaluate({ os, apps, processes, sources: seenAll(os) }, policy, NOW).findings.map(
    (f) => `${f.appId}:${f.installs.map((o) => o.name).join('+')}`,
  );
}

describe('rule clients: the service with its third-party clients, or the official app only', () => {
  it('an old rule without the field still parses and bans third-party clients (ZapZap as WhatsApp)', () => {
    const policy = policyFrom([rule('whatsapp'), rule('telegram')]);
    assert.equal(policy.rules[0]!.clients, undefined);
    assert.deepEqual(found(policy, 'linux', [zapzap, kotatogram]), ['whatsapp:ZapZap', 'telegram:Kotatogram Desktop']);
  });

  it("clients: 'all' is the same as leaving it out", () => {
    const policy = policyFrom([rule('whatsapp', 'all'), rule('telegram', 'all')]);
    assert.deepEqual(found(policy, 'linux', [zapzap, kotatogram, telegram]), [
      'whatsapp:ZapZap',
      'telegram:Kotatogram Desktop+Telegram Desktop',
    ]);
  });

  it("clients: 'official' finds the vendor's app and leaves third-party clients alone", () => {
    const policy = policyFrom([rule('whatsapp', 'official'), rule('telegram', 'official')]);
    assert.deepEqual(found(policy, 'linux', [zapzap, kotatogram, telegram]), ['telegram:Telegram Desktop']);
    assert.deepEqual(found(policy, 'macos', [whatsappMac]), ['whatsapp:WhatsApp']);
    const messenger = policyFrom([rule('facebook-messenger', 'official')]);
    assert.deepEqual(found(messenger, 'macos', [messengerDirect, caprineMac]), ['facebook-messenger:Messenger']);
    assert.deepEqual(found(policyFrom([rule('facebook-messenger')]), 'macos', [caprineMac]), ['facebook-messenger:Caprine']);
  });

  it('applies to running processes and to the list the resident process watch gets', () => {
    assert.deepEqual(
      evaluate(
        { os: 'windows', apps: [], processes: [ayugramExe], sources: seenAll('windows') },
        policyFrom([rule('telegram')]),
        NOW,
      ).findings.map((f) => f.processes.map((p) => p.name)),
      [['AyuGram.exe']],
    );
    assert.deepEqual(
      evaluate(
        { os: 'windows', apps: [], processes: [ayugramExe], sources: seenAll('windows') },
        policyFrom([rule('telegram', 'official')]),
        NOW,
      ).findings,
      [],
    );
    const all = watchedProcessNames(policyFrom([rule('telegram'), rule('whatsapp')]));
    const official = watchedProcessNames(policyFrom([rule('telegram', 'official'), rule('whatsapp', 'official')]));
    for (const name of ['AyuGram.exe', 'materialgram.exe', 'zapzap', 'whatsapp-for-linux']) {
      assert.ok(all.includes(name), `${name} watched for the whole service`);
      assert.ok(!official.includes(name), `${name} not watched for the official app only`);
    }
    for (const name of ['Telegram.exe', 'WhatsApp.exe']) assert.ok(official.includes(name), `${name} watched either way`);
  });

  it('rejects clients on a custom rule and an unknown value, with the field named', () => {
    const custom = PolicyRule.safeParse({
      id: 'acme',
      custom: { name: 'Acme Chat', match: { processes: ['acme.exe'] } },
      action: 'ban',
      deadline: DEADLINE,
      clients: 'official',
    });
    assert.equal(custom.success, false);
    assert.deepEqual(
      custom.error!.issues.map((i) => [i.path.join('.'), i.message]),
      [['clients', 'clients applies to a catalog app only; a custom app lists exactly what it matches']],
    );
    const unknown = PolicyRule.safeParse({ ...rule('whatsapp'), clients: 'third-party' });
    assert.equal(unknown.success, false);
    assert.deepEqual(
      unknown.error!.issues.map((i) => i.path.join('.')),
      ['clients'],
    );
  });

  it('the bundled default policy parses unchanged and bans the services with their clients', () => {
    const text = readFileSync(new URL('../../../assets/default-policy.json', import.meta.url), 'utf8');
    const policy = Policy.parse(JSON.parse(text));
    assert.ok(policy.rules.every((r) => r.clients === undefined));
    assert.deepEqual(found(policy, 'linux', [zapzap]), ['whatsapp:ZapZap']);
    assert.deepEqual(found(policy, 'macos', [messengerDirect]), ['facebook-messenger:Messenger']);
  });
});
