import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { spawn, execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Finding, Policy } from '../../../../protocol/index.js';
import { catalog } from '../../../../agent/catalog/index.js';
import { loadDefaultPolicy } from '../../../../agent/policy/default-policy.js';
import { REPO, runCli } from '../../../helpers/cli.js';

const FIXTURES = join(REPO, 'test', 'fixtures');
let dir: string;
let banAllPath: string;
let banTelegramPath: string;

function policyBanning(appIds: string[]): Policy {
  const base = loadDefaultPolicy();
  return { ...base, rules: appIds.map((id) => ({ id, app: id, action: 'ban' as const, deadline: '2026-09-15T00:00:00+02:00' })) };
}

function appIdsOf(stdout: string): string[] {
  const json = JSON.parse(stdout) as { findings: Finding[] };
  return json.findings.map((f) => f.appId).sort();
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'appwacht-cli-'));
  banAllPath = join(dir, 'ban-all.json');
  banTelegramPath = join(dir, 'ban-telegram.json');
  await writeFile(banAllPath, JSON.stringify(policyBanning(catalog.map((a) => a.id))));
  await writeFile(banTelegramPath, JSON.stringify(policyBanning(['telegram'])));
});
after(() => rm(dir, { recursive: true, force: true }));

function dpkgInstalled(pkg: string): boolean {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' }).includes('install ok installed');
  } catch {
    return false;
  }
}

describe('appwacht scan on this machine', () => {
  it('flags the real Debian telegram-desktop package as installed when the policy bans Telegram', async (t) => {
    if (!dpkgInstalled('telegram-desktop'))
      return t.skip('telegram-desktop is not installed here (.ci/run installs it with apt-get)');
    const { code, stdout } = await runCli(['scan', '--json', '--policy', banTelegramPath]);
    assert.equal(code, 1, 'exit code 1: banned app found');
    const result = JSON.parse(stdout) as { status: string; findings: Finding[] };
    assert.equal(result.status, 'violation');
    const telegram = result.findings.find((f) => f.appId === 'telegram');
    assert.ok(telegram, 'a Telegram finding');
    assert.ok(telegram.evidence.includes('installed'));
    assert.ok(telegram.installs.some((o) => o.source === 'dpkg' && o.name === 'telegram-desktop' && o.matchedBy === 'package'));
  });

  it('flags a running process of a banned app as running', async () => {
    // A real process whose executable is called Telegram (a copy of sleep), as the Telegram tarball names its binary.
    const exe = join(dir, 'Telegram');
    await copyFile('/bin/sleep', exe);
    const child = spawn(exe, ['30'], { stdio: 'ignore' });
    try {
      const { code, stdout } = await runCli(['scan', '--json', '--policy', banTelegramPath]);
      assert.equal(code, 1);
      const telegram = (JSON.parse(stdout) as { findings: Finding[] }).findings.find((f) => f.appId === 'telegram');
      assert.ok(telegram, 'a Telegram finding');
      assert.ok(telegram.evidence.includes('running'), 'evidence says running');
      assert.ok(
        telegram.processes.some((p) => p.pid === child.pid && p.path === exe),
        `pid ${child.pid} with its path`,
      );
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('reports compliant (exit 0) against a policy that bans nothing installed here, and lists every source', async () => {
    const policyPath = join(dir, 'ban-kik.json');
    await writeFile(policyPath, JSON.stringify(policyBanning(['kik'])));
    const { code, stdout } = await runCli(['scan', '--json', '--policy', policyPath]);
    assert.equal(code, 0);
    const result = JSON.parse(stdout) as { status: string; sources: { id: string; ok: boolean }[] };
    assert.equal(result.status, 'compliant');
    assert.deepEqual(
      result.sources.map((s) => s.id),
      ['dpkg', 'rpm', 'flatpak', 'snap', 'appimage', 'desktop-entry', 'processes'],
    );
    assert.ok(result.sources.find((s) => s.id === 'dpkg')?.ok);
  });
});

describe('appwacht scan on fixture trees and replayed captures', () => {
  it('flags the messengers of the Linux laptop tree and none of its look-alikes', async () => {
    const { code, stdout } = await runCli([
      'scan',
      '--json',
      '--policy',
      banAllPath,
      '--root',
      join(FIXTURES, 'linux', 'laptop'),
      '--os',
      'linux',
    ]);
    assert.equal(code, 1);
    const ids = appIdsOf(stdout);
    for (const id of ['discord', 'element', 'line', 'signal', 'telegram', 'threema', 'whatsapp'])
      assert.ok(ids.includes(id), `${id} found`);
    const names = (JSON.parse(stdout) as { findings: Finding[] }).findings.flatMap((f) => f.installs.map((o) => o.name));
    for (const lookAlike of ['wireguard', 'wireshark', 'Wireshark', 'Kopete'])
      assert.ok(!names.includes(lookAlike), `${lookAlike} not flagged`);
    assert.ok(!ids.includes('wire'), 'wire-legacy AppImage is Wire, but WireGuard/Wireshark must not make it "wire" twice');
  });

  it('flags the messengers of the macOS tree and none of its look-alikes', async () => {
    const { code, stdout } = await runCli([
      'scan',
      '--json',
      '--policy',
      banAllPath,
      '--root',
      join(FIXTURES, 'macos', 'root'),
      '--os',
      'macos',
    ]);
    assert.equal(code, 1);
    const ids = appIdsOf(stdout);
    for (const id of ['discord', 'element', 'facebook-messenger', 'line', 'signal', 'telegram', 'threema', 'viber', 'whatsapp'])
      assert.ok(ids.includes(id), `${id} found`);
    const locations = (JSON.parse(stdout) as { findings: Finding[] }).findings.flatMap((f) =>
      f.installs.map((o) => o.location ?? ''),
    );
    for (const lookAlike of [
      'Karabiner-Elements.app',
      'Linear.app',
      'TeamViewer.app',
      'WireGuard.app',
      'Wireshark.app',
      '企业微信.app',
      'Slack.app',
    ]) {
      assert.ok(!locations.some((l) => l.endsWith(lookAlike)), `${lookAlike} not flagged`);
    }
  });

  it('flags the messengers of a replayed Windows capture (registry, HKU per-user installs, Store) and none of its look-alikes', async () => {
    const { code, stdout } = await runCli([
      'scan',
      '--json',
      '--policy',
      banAllPath,
      '--from',
      join(FIXTURES, 'windows', 'raw-inventory.json'),
    ]);
    assert.equal(code, 1);
    const result = JSON.parse(stdout) as { findings: Finding[]; os: string };
    assert.equal(result.os, 'windows');
    const ids = appIdsOf(stdout);
    for (const id of ['discord', 'signal', 'telegram', 'whatsapp']) assert.ok(ids.includes(id), `${id} found`);
    const whatsapp = result.findings.find((f) => f.appId === 'whatsapp')!;
    assert.ok(
      whatsapp.installs.some((o) => o.source === 'appx'),
      'WhatsApp found as a Store package',
    );
    const signal = result.findings.find((f) => f.appId === 'signal')!;
    assert.ok(
      signal.installs.some((o) => o.scope === 'user' && o.source === 'registry'),
      'per-user Signal install found in a user hive',
    );
    const names = result.findings.flatMap((f) => f.installs.map((o) => o.name));
    for (const n of names)
      assert.doesNotMatch(n, /WireGuard|Wireshark|TeamViewer|SignalRGB|Skype for Business|Signal Hound|Teams/i);
  });

  it('replays its own raw capture to the same findings (inventory --raw → scan --from)', async () => {
    const root = join(FIXTURES, 'linux', 'laptop');
    const raw = await runCli(['inventory', '--raw', '--root', root, '--os', 'linux']);
    assert.equal(raw.code, 0);
    const capture = join(dir, 'capture.json');
    await writeFile(capture, raw.stdout);
    const direct = await runCli(['scan', '--json', '--policy', banAllPath, '--root', root, '--os', 'linux']);
    const replay = await runCli(['scan', '--json', '--policy', banAllPath, '--from', capture]);
    assert.deepEqual(JSON.parse(replay.stdout).findings, JSON.parse(direct.stdout).findings);
  });
});

describe('appwacht scan output and errors', () => {
  it('prints a readable result in German and in English', async () => {
    const root = join(FIXTURES, 'linux', 'laptop');
    const de = await runCli(['scan', '--policy', banTelegramPath, '--root', root, '--os', 'linux'], { LANG: 'de_DE.UTF-8' });
    assert.match(de.stdout, /Ergebnis: VERSTOSS – 1 verbotene App gefunden/);
    assert.match(de.stdout, /Frist: 15\. September 2026/);
    const en = await runCli(['scan', '--lang', 'en', '--policy', banTelegramPath, '--root', root, '--os', 'linux'], {
      LANG: 'de_DE.UTF-8',
    });
    assert.match(en.stdout, /Result: VIOLATION – 1 banned app found/, '--lang wins over the locale');
    assert.match(en.stdout, /What to do: .*GDPR/);
  });

  const bad: [string, (d: string) => Promise<string[]>, RegExp][] = [
    [
      'a policy file that is not JSON',
      async (d) => [await put(d, 'p1.json', '{"schema": 1,'), 'POLICY_MALFORMED'].slice(0, 1),
      /not valid JSON.*\[POLICY_MALFORMED\]/,
    ],
    [
      'a policy with a wrong field',
      async (d) => [await put(d, 'p2.json', JSON.stringify({ ...policyBanning([]), version: 'one' }))],
      /version.*\[POLICY_INVALID\]/,
    ],
    ['a missing policy file', async (d) => [join(d, 'nope.json')], /cannot read policy file.*\[POLICY_UNREADABLE\]/],
  ];
  for (const [name, make, message] of bad) {
    it(`exits 2 with a clear message for ${name}`, async () => {
      const [policyPath] = await make(dir);
      const { code, stderr, stdout } = await runCli(['scan', '--policy', policyPath!]);
      assert.equal(code, 2);
      assert.equal(stdout, '');
      assert.match(stderr, message);
    });
  }

  it('exits 2 for a truncated or foreign raw inventory', async () => {
    const truncated = await put(dir, 'raw-trunc.json', '{"format":"appwacht-raw-inventory","version":1,"os":"win');
    assert.match((await runCli(['scan', '--from', truncated])).stderr, /not valid JSON.*\[RAW_MALFORMED\]/);
    const foreign = await put(dir, 'raw-foreign.json', JSON.stringify({ hello: 'world' }));
    const r = await runCli(['scan', '--from', foreign]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /not an Appwacht raw inventory.*\[RAW_INVALID\]/);
  });

  it('still scans when one source of a capture is garbage, and says which', async () => {
    const raw = JSON.parse(
      (await runCli(['inventory', '--raw', '--root', join(FIXTURES, 'linux', 'laptop'), '--os', 'linux'])).stdout,
    );
    raw.sources.dpkg.data = 12345; // not what the dpkg parser expects
    const path = await put(dir, 'raw-garbage.json', JSON.stringify(raw));
    const { code, stdout } = await runCli(['scan', '--json', '--policy', banAllPath, '--from', path]);
    assert.equal(code, 1, 'the other sources still find the messengers');
    const result = JSON.parse(stdout) as { sources: { id: string; ok: boolean; error?: { message: string } }[] };
    const dpkg = result.sources.find((s) => s.id === 'dpkg')!;
    assert.equal(dpkg.ok, false);
    assert.ok(dpkg.error?.message, 'the reason is given');
  });

  it('exits 2 for a --root that does not exist (it once read "compliant", every source "✓ 0")', async () => {
    const { code, stdout, stderr } = await runCli(['scan', '--root', join(dir, 'nonexistent'), '--os', 'linux']);
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.match(stderr, /--root .*nonexistent does not exist/);
  });

  it('exits 3 (unknown) for an existing folder that is no system tree, and says why in both languages', async () => {
    const empty = await mkdtemp(join(dir, 'empty-tree-'));
    const en = await runCli(['scan', '--lang', 'en', '--root', empty, '--os', 'linux']);
    assert.equal(en.code, 3, en.stdout + en.stderr);
    assert.match(en.stdout, /Result: UNKNOWN/);
    assert.match(en.stdout, /No package database \(dpkg or rpm\) found/);
    const de = await runCli(['scan', '--lang', 'de', '--root', empty, '--os', 'linux']);
    assert.equal(de.code, 3);
    assert.match(de.stdout, /Ergebnis: UNBEKANNT/);
    assert.match(de.stdout, /Keine Paketdatenbank/);
  });

  it('exits 3 (unknown) for a capture whose registry and Store sources failed, naming both and what IT can do', async () => {
    const failed = {
      format: 'appwacht-raw-inventory',
      version: 1,
      os: 'windows',
      root: '/',
      collectedAt: '2026-12-05T10:00:00Z',
      sources: {
        registry: { ok: false, ms: 3, error: { code: 'EACCES', message: 'reg.exe: access denied' } },
        appx: { ok: false, ms: 2, error: { code: 'TOOL_MISSING', message: 'powershell missing' } },
      },
    };
    const path = await put(dir, 'raw-failed.json', JSON.stringify(failed));
    const human = await runCli(['scan', '--lang', 'en', '--from', path]);
    assert.equal(human.code, 3);
    assert.match(human.stdout, /Result: UNKNOWN/);
    assert.match(human.stdout, /Windows registry, reg\.exe[\s\S]*AppLocker/);
    assert.match(human.stdout, /Store apps[\s\S]*Constrained Language Mode/);
    assert.doesNotMatch(human.stdout, /COMPLIANT/);
    const json = JSON.parse((await runCli(['scan', '--json', '--from', path])).stdout) as {
      status: string;
      state: { gaps: unknown };
    };
    assert.equal(json.status, 'unknown');
    assert.deepEqual(json.state.gaps, [
      { code: 'SOURCE_FAILED', source: 'registry' },
      { code: 'SOURCE_FAILED', source: 'appx' },
    ]);
  });

  it('exits 3 (unknown) for a capture with no sources at all', async () => {
    const path = await put(
      dir,
      'raw-empty.json',
      JSON.stringify({
        format: 'appwacht-raw-inventory',
        version: 1,
        os: 'windows',
        root: '/',
        collectedAt: '2026-12-05T10:00:00Z',
        sources: {},
      }),
    );
    const { code, stdout } = await runCli(['scan', '--lang', 'de', '--from', path]);
    assert.equal(code, 3);
    assert.match(stdout, /keine einzige Quelle/);
  });

  it('documents exit code 3 in --help in both languages', async () => {
    assert.match((await runCli(['scan', '--help', '--lang', 'en'])).stdout, /3 unknown/);
    assert.match((await runCli(['scan', '--help', '--lang', 'de'])).stdout, /3 unbekannt/);
  });

  it('rejects usage errors with exit 2 and points to --help', async () => {
    for (const args of [
      ['scan', '--bogus'],
      ['scan', '--root', '/', '--os', 'windows'],
      ['scan', '--os', 'linux'],
      ['frobnicate'],
      ['scan', '--lang', 'fr'],
    ]) {
      const { code, stderr } = await runCli(args);
      assert.equal(code, 2, args.join(' '));
      assert.match(stderr, /appwacht: /);
    }
  });

  it('has --help for every command in both languages', async () => {
    const overview = await runCli(['--help', '--lang', 'de']);
    assert.match(overview.stdout, /Befehle:/);
    for (const cmd of ['scan', 'inventory']) {
      assert.match((await runCli([cmd, '--help', '--lang', 'en'])).stdout, new RegExp(`Usage: appwacht ${cmd}`));
      assert.match((await runCli([cmd, '--help', '--lang', 'de'])).stdout, new RegExp(`Aufruf: appwacht ${cmd}`));
    }
  });
});

async function put(d: string, name: string, content: string): Promise<string> {
  const path = join(d, name);
  await writeFile(path, content);
  return path;
}
