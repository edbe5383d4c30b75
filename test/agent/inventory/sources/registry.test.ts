import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { SourceError } from '../../../../agent/errors.js';
import {
  createRegistrySource,
  leadingPath,
  parseRegistry,
  parseRegQuery,
  profilesFrom,
  uninstallEntries,
  userHivesFrom,
} from '../../../../agent/inventory/sources/registry.js';
import type { RawRegistry } from '../../../../agent/inventory/sources/registry.js';
import { parseWhoami } from '../../../../agent/inventory/sources/windows-commands.js';
import {
  ANNA_SID,
  BEN_SID,
  FIXTURES,
  fakeRunner,
  fixtureText,
  key,
  REG,
  SYSTEM_ROOT,
  systemMachine,
  WHOAMI,
} from '../fake-windows.js';

// reg.exe and whoami.exe do not exist on this Linux machine: parsers run on recorded dumps (see
// test/fixtures/windows/README.md) and the collector runs against a fake runner that answers each exact command line.

const HKLM_UNINSTALL = 'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall';

describe('parseRegQuery()', () => {
  it('reads keys and values of a real-shaped dump, including empty values and names with spaces', () => {
    const { keys, problems } = parseRegQuery(fixtureText('reg-hku-anna-uninstall.txt'));
    assert.deepEqual(problems, []);
    assert.equal(keys.length, 6);
    const telegram = keys.find((k) => k.path.endsWith('{53F49750-6209-4FBF-9CA8-7A333C87D1ED}_is1'))!;
    assert.deepEqual(
      telegram.values.find((v) => v.name === 'Inno Setup: App Path'),
      { name: 'Inno Setup: App Path', type: 'REG_SZ', data: 'C:\\Users\\anna\\AppData\\Roaming\\Telegram Desktop' },
    );
    const discord = keys.find((k) => k.path.endsWith('\\Discord'))!;
    assert.deepEqual(
      discord.values.find((v) => v.name === 'URLUpdateInfo'),
      { name: 'URLUpdateInfo', type: 'REG_SZ', data: '' },
    );
  });

  it('keeps every value type verbatim (DWORD, QWORD, MULTI_SZ with \\0, BINARY, NONE)', () => {
    const weixin = parseRegQuery(fixtureText('reg-hklm-uninstall.txt')).keys.find((k) => k.path.endsWith('\\Weixin'))!;
    const byName = Object.fromEntries(weixin.values.map((v) => [v.name, [v.type, v.data]]));
    assert.deepEqual(byName.MultiValue, ['REG_MULTI_SZ', 'one\\0two\\0three']);
    assert.deepEqual(byName.Settings, ['REG_BINARY', '0100000002000000']);
    assert.deepEqual(byName.LastCheck, ['REG_QWORD', '0x1db5e2c6a4c1b20']);
    assert.deepEqual(byName.Unset, ['REG_NONE', '']);
  });

  const bad: Array<[string, string, RegExp, number]> = [
    ['empty output', '', /reg printed nothing/, 0],
    ['only blank lines', '\r\n\r\n', /reg printed nothing/, 0],
    ['garbage', 'Lorem ipsum dolor sit amet\r\nconsectetur\r\n', /2 unrecognised line\(s\)[\s\S]*no registry keys/, 0],
    [
      'a dump cut mid-line',
      'HKEY_CURRENT_USER\\X\\Uninstall\\Telegram\r\n    DisplayName    REG_SZ    Telegram Desktop\r\n    DisplayVer',
      /ends mid-line \(truncated\?\); dropped the partial line " {4}DisplayVer"/,
      1,
    ],
    [
      'reg.exe’s search summary',
      'HKEY_LOCAL_MACHINE\\A\r\n    V    REG_SZ    x\r\n\r\nEnd of search: 1 match(es) found.\r\n',
      /1 unrecognised line\(s\), e\.g\. "End of search/,
      1,
    ],
  ];
  for (const [what, text, problem, keyCount] of bad) {
    it(`reports ${what} as a problem instead of throwing`, () => {
      const result = parseRegQuery(text);
      assert.equal(result.keys.length, keyCount);
      assert.match(result.problems.join(' | '), problem);
    });
  }

  it('keeps runs of spaces inside data, even four of them', () => {
    const { keys } = parseRegQuery(
      'HKEY_LOCAL_MACHINE\\U\\X\r\n    UninstallString    REG_SZ    C:\\x\\setup.exe  /uninstall    /quiet \r\n',
    );
    assert.equal(keys[0]?.values[0]?.data, 'C:\\x\\setup.exe  /uninstall    /quiet ');
  });

  it('never yields a shortened value from a truncated dump', () => {
    const { keys } = parseRegQuery('HKEY_CURRENT_USER\\U\\Telegram\r\n    DisplayName    REG_SZ    Teleg');
    assert.deepEqual(keys[0]?.values, []);
  });

  it('recovers a dump saved as UTF-16 (PowerShell 5 redirect) and read as 8-bit text', () => {
    const bytes = readFileSync(FIXTURES + 'reg-hku-anna-uninstall.utf16le.txt');
    assert.deepEqual([...bytes.subarray(0, 2)], [0xff, 0xfe]);
    const { keys, problems } = parseRegQuery(bytes.toString('latin1'));
    assert.equal(keys.length, 6);
    assert.match(problems.join(' | '), /looked like UTF-16/);
    const viaUtf8 = parseRegQuery(bytes.toString('utf8'));
    assert.equal(viaUtf8.keys.length, 6, 'the same when the bytes went through a UTF-8 decoder');
  });
});

describe('uninstallEntries()', () => {
  const ctx = { hive: 'HKLM' as const, queriedKey: HKLM_UNINSTALL };
  const keys = parseRegQuery(fixtureText('reg-hklm-uninstall.txt')).keys;
  const { apps } = uninstallEntries(keys, ctx);
  const byKey = new Map(apps.map((a) => [a.ids.uninstallKey, a]));

  const skipped: Array<[string, string]> = [
    ['AddressBook', 'no values at all'],
    ['Connection Manager', 'SystemComponent=1 without a DisplayName'],
    ['WIC', 'SystemComponent=1'],
    ['IE40', 'no DisplayName'],
  ];
  for (const [subkey, why] of skipped) {
    it(`skips ${subkey} (${why})`, () => assert.equal(byKey.has(subkey), false));
  }

  it('skips updates that name a ParentKeyName', () => {
    const wow = parseRegQuery(fixtureText('reg-hklm-wow6432node-uninstall.txt')).keys;
    const names = uninstallEntries(wow, {
      hive: 'HKLM',
      queriedKey: 'HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall',
    }).apps.map((a) => a.name);
    assert.ok(!names.some((n) => n.startsWith('Security Update')), names.join(', '));
    assert.ok(names.includes('Teams Machine-Wide Installer'));
  });

  it('skips a SystemComponent flag written as a string', () => {
    const k = [
      {
        path: `${'HKEY_LOCAL_MACHINE'}\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\X`,
        values: [
          { name: 'DisplayName', type: 'REG_SZ', data: 'Hidden' },
          { name: 'SystemComponent', type: 'REG_SZ', data: '1' },
        ],
      },
    ];
    assert.deepEqual(uninstallEntries(k, ctx).apps, []);
  });

  it('ignores values of nested subkeys (only direct children of Uninstall are entries)', () => {
    const k = [
      {
        path: 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\App\\Sub',
        values: [{ name: 'DisplayName', type: 'REG_SZ', data: 'Nested' }],
      },
    ];
    assert.deepEqual(uninstallEntries(k, ctx).apps, []);
  });

  it('derives location and executable: InstallLocation, else DisplayIcon/UninstallString; never an MSI icon cache', () => {
    assert.deepEqual(
      ['Wireshark', '{5D46ED04-DEA2-47D0-A957-F82C3EF577FE}', '7-Zip', 'SkypeforBusinessEntryRetail - de-de'].map((k) => {
        const a = byKey.get(k)!;
        return [a.location, a.ids.executable];
      }),
      [
        ['C:\\Program Files\\Wireshark', 'Wireshark.exe'],
        ['C:\\Program Files\\WireGuard', undefined],
        ['C:\\Program Files\\7-Zip', '7zFM.exe'],
        ['C:\\Program Files\\Microsoft Office', undefined],
      ],
    );
  });

  it('reports records whose text lost characters to the console code page', () => {
    const { apps: hklm, problems } = uninstallEntries(keys, ctx);
    assert.ok(
      hklm.some((a) => a.ids.uninstallKey === 'Weixin'),
      'the record is still kept',
    );
    assert.match(problems.join(' | '), /Weixin: non-ASCII characters lost/);
  });
});

describe('leadingPath()', () => {
  const cases: Array<[string, string | undefined]> = [
    ['"C:\\Users\\a\\AppData\\Local\\Discord\\Update.exe" --uninstall', 'C:\\Users\\a\\AppData\\Local\\Discord\\Update.exe'],
    ['C:\\Program Files\\Wireshark\\Wireshark.exe,0', 'C:\\Program Files\\Wireshark\\Wireshark.exe'],
    ['C:\\Users\\b\\OneDrive\\OneDriveSetup.exe,-101', 'C:\\Users\\b\\OneDrive\\OneDriveSetup.exe'],
    ['C:\\Program Files\\TeamViewer\\uninstall.exe /S', 'C:\\Program Files\\TeamViewer\\uninstall.exe'],
    ['%LocalAppData%\\LINE\\bin\\LineLauncher.exe', '%LocalAppData%\\LINE\\bin\\LineLauncher.exe'],
    ['MsiExec.exe /X{5D46ED04-DEA2-47D0-A957-F82C3EF577FE}', undefined],
    ['"unterminated', undefined],
    ['', undefined],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => assert.equal(leadingPath(input), expected));
  }
});

describe('userHivesFrom() and profilesFrom()', () => {
  it('lists loaded user hives, not .DEFAULT, *_Classes or the service accounts', () => {
    assert.deepEqual(userHivesFrom(fixtureText('reg-hku.txt')), [ANNA_SID, BEN_SID]);
  });

  it('keeps Azure AD (S-1-12-1-…) users', () => {
    assert.deepEqual(userHivesFrom('HKEY_USERS\\S-1-12-1-2000-3000-4000-5000\r\n'), ['S-1-12-1-2000-3000-4000-5000']);
  });

  it('names users by their profile folder and ignores .bak profiles', () => {
    const profiles = profilesFrom(fixtureText('reg-profilelist.txt'));
    assert.equal(profiles.get(ANNA_SID), 'anna');
    assert.equal(profiles.get(BEN_SID), 'ben.KOMMUNE');
    assert.equal(profiles.get('S-1-5-18'), 'systemprofile');
    assert.equal(
      [...profiles.keys()].some((sid) => sid.endsWith('.BAK')),
      false,
    );
  });
});

describe('parseWhoami()', () => {
  const cases: Array<[string, string, ReturnType<typeof parseWhoami>]> = [
    ['SYSTEM', fixtureText('whoami-system.csv.txt'), { account: 'nt authority\\system', sid: 'S-1-5-18', elevated: true }],
    [
      'an elevated admin',
      '"desktop-7q2k4lm\\anna","S-1-5-21-1-2-3-1001"\r\n\r\n"Mandatory Label\\High Mandatory Level","Label","S-1-16-12288",""\r\n',
      { account: 'desktop-7q2k4lm\\anna', sid: 'S-1-5-21-1-2-3-1001', elevated: true },
    ],
    [
      'an admin with a filtered (Medium) token',
      '"desktop-7q2k4lm\\anna","S-1-5-21-1-2-3-1001"\r\n\r\n"VORDEFINIERT\\Administratoren","Alias","S-1-5-32-544","Gruppe wird nur für Verweigerung verwendet"\r\n"Verbindlichkeitsbezeichnung\\Mittlere Verbindlichkeitsstufe","Bezeichnung","S-1-16-8192",""\r\n',
      { account: 'desktop-7q2k4lm\\anna', sid: 'S-1-5-21-1-2-3-1001', elevated: false },
    ],
    ['a label SID that only looks like High', '"x","Label","S-1-16-122880",""', { elevated: false }],
    ['garbage', 'Zugriff verweigert', {}],
  ];
  for (const [what, text, expected] of cases) {
    it(what, () => assert.deepEqual(parseWhoami(text), expected));
  }
});

describe('registry source: collect (fake runner) and parse', () => {
  const ctx = { os: 'windows' as const, root: '/', live: true };
  const ANNA_ADMIN_WHOAMI = `"desktop-7q2k4lm\\anna","${ANNA_SID}"\r\n\r\n"Mandatory Label\\High Mandatory Level","Label","S-1-16-12288",""\r\n`;
  const ANNA_USER_WHOAMI = `"desktop-7q2k4lm\\anna","${ANNA_SID}"\r\n\r\n"Mandatory Label\\Medium Mandatory Level","Label","S-1-16-8192",""\r\n`;
  const q = (k: string, ...rest: string[]) => ({ file: REG, args: ['query', k, ...rest, '/reg:64'] });
  const U = 'Microsoft\\Windows\\CurrentVersion\\Uninstall';
  const PROFILES = q('HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\ProfileList', '/s');

  it('as SYSTEM (elevated): whoami, ProfileList, HKU, both HKLM views, SYSTEM’s own HKCU and every loaded user hive', async () => {
    const { run, calls } = fakeRunner(systemMachine());
    const raw = (await createRegistrySource({ run, systemRoot: SYSTEM_ROOT }).collect(ctx)) as RawRegistry;
    assert.deepEqual(calls, [
      { file: WHOAMI, args: ['/user', '/groups', '/fo', 'csv', '/nh'] },
      PROFILES,
      q('HKU'),
      q(`HKLM\\SOFTWARE\\${U}`, '/s'),
      q(`HKLM\\SOFTWARE\\WOW6432Node\\${U}`, '/s'),
      q(`HKCU\\Software\\${U}`, '/s'),
      q(`HKU\\${ANNA_SID}\\Software\\${U}`, '/s'),
      q(`HKU\\${BEN_SID}\\Software\\${U}`, '/s'),
    ]);
    assert.equal(raw.elevated, true);
    assert.deepEqual(
      raw.queries.map((x) => [x.hive, x.view, x.sid ?? null]),
      [
        ['HKLM', '64', null],
        ['HKLM', '32', null],
        ['HKCU', '64', 'S-1-5-18'],
        ['HKU', '64', ANNA_SID],
        ['HKU', '64', BEN_SID],
      ],
    );
  });

  it('as an elevated admin: HKCU is not read twice (it is HKU\\<own SID>)', async () => {
    const answers = systemMachine();
    answers.set(key(WHOAMI, ['/user', '/groups', '/fo', 'csv', '/nh']), `text:${ANNA_ADMIN_WHOAMI}`);
    const { run, calls } = fakeRunner(answers);
    await createRegistrySource({ run, systemRoot: SYSTEM_ROOT }).collect(ctx);
    assert.ok(!calls.some((c) => c.args[1]?.startsWith('HKCU')));
    assert.ok(calls.some((c) => c.args[1] === `HKU\\${ANNA_SID}\\Software\\${U}`));
  });

  it('not elevated: no HKU listing, only HKLM and the user’s HKCU, named after the user', async () => {
    const answers = systemMachine();
    answers.set(key(WHOAMI, ['/user', '/groups', '/fo', 'csv', '/nh']), `text:${ANNA_USER_WHOAMI}`);
    answers.set(
      key(REG, ['query', `HKCU\\Software\\${U}`, '/s', '/reg:64']),
      'text:' + fixtureText('reg-hku-anna-uninstall.txt').replaceAll(`HKEY_USERS\\${ANNA_SID}`, 'HKEY_CURRENT_USER'),
    );
    const { run, calls } = fakeRunner(answers);
    const source = createRegistrySource({ run, systemRoot: SYSTEM_ROOT });
    const raw = await source.collect(ctx);
    assert.deepEqual(calls.slice(1), [
      PROFILES,
      q(`HKLM\\SOFTWARE\\${U}`, '/s'),
      q(`HKLM\\SOFTWARE\\WOW6432Node\\${U}`, '/s'),
      q(`HKCU\\Software\\${U}`, '/s'),
    ]);
    const { apps, problems } = await source.parse(JSON.parse(JSON.stringify(raw)));
    const telegram = apps.find((a) => a.ids.uninstallKey === '{53F49750-6209-4FBF-9CA8-7A333C87D1ED}_is1');
    assert.deepEqual([telegram?.scope, telegram?.user], ['user', 'anna']);
    assert.match(problems.join(' | '), /not elevated/);
  });

  it('goes on when whoami fails (treated as not elevated, said so)', async () => {
    const answers = systemMachine();
    answers.set(
      key(WHOAMI, ['/user', '/groups', '/fo', 'csv', '/nh']),
      new SourceError('TOOL_MISSING', 'whoami.exe is not installed'),
    );
    const { run } = fakeRunner(answers);
    const source = createRegistrySource({ run, systemRoot: SYSTEM_ROOT });
    const { apps, problems } = await source.parse(await source.collect(ctx));
    assert.ok(apps.some((a) => a.name === 'Wireshark 4.2.5 x64'));
    assert.match(problems.join(' | '), /whoami failed \(TOOL_MISSING\)/);
  });

  it('keeps the other keys when one query fails', async () => {
    const answers = systemMachine();
    answers.set(
      key(REG, ['query', `HKLM\\SOFTWARE\\WOW6432Node\\${U}`, '/s', '/reg:64']),
      new SourceError('EXIT', 'reg exited with 1: ERROR: The system was unable to find the specified registry key or value.'),
    );
    const { run } = fakeRunner(answers);
    const source = createRegistrySource({ run, systemRoot: SYSTEM_ROOT });
    const { apps, problems, unread } = await source.parse(await source.collect(ctx));
    assert.ok(apps.some((a) => a.ids.uninstallKey === 'Discord'));
    // "Not found" is an empty key (nobody installed there), not a place left unread.
    assert.match(problems.join(' | '), /WOW6432Node.*no such key/);
    assert.equal(unread, undefined);
  });

  it('names a query that was denied as a place it could not read, and keeps what the others found', async () => {
    const answers = systemMachine();
    answers.set(
      key(REG, ['query', `HKLM\\SOFTWARE\\${U}`, '/s', '/reg:64']),
      new SourceError('EXIT', 'reg exited with 1: ERROR: Access is denied.'),
    );
    const { run } = fakeRunner(answers);
    const source = createRegistrySource({ run, systemRoot: SYSTEM_ROOT });
    const { apps, unread } = await source.parse(await source.collect(ctx));
    assert.ok(apps.some((a) => a.ids.uninstallKey === 'Discord'));
    assert.deepEqual(unread, [
      { place: `HKLM\\SOFTWARE\\${U}`, code: 'EXIT', message: 'reg exited with 1: ERROR: Access is denied.' },
    ]);
  });

  it('refuses to run reg.exe against a folder tree (NOT_LIVE)', async () => {
    const { run, calls } = fakeRunner(systemMachine());
    await assert.rejects(
      createRegistrySource({ run, systemRoot: SYSTEM_ROOT }).collect({ os: 'windows', root: '/mnt/disk', live: false }),
      (err: unknown) => err instanceof SourceError && err.code === 'NOT_LIVE',
    );
    assert.deepEqual(calls, []);
  });

  const base = { elevated: true, whoami: { ok: true, output: '' }, profileList: { ok: true, output: '' } };
  const failing: Array<[string, unknown, string]> = [
    ['data that is not an object', 'reg output', 'RAW_INVALID'],
    ['a query without a result', { ...base, queries: [{ hive: 'HKLM', view: '64', key: HKLM_UNINSTALL }] }, 'RAW_INVALID'],
    [
      'every query failed',
      {
        ...base,
        queries: [
          {
            hive: 'HKLM',
            view: '64',
            key: HKLM_UNINSTALL,
            result: { ok: false, error: { code: 'TIMEOUT', message: 'reg did not finish' } },
          },
        ],
      },
      'REG_UNREADABLE',
    ],
    [
      'only garbage came back',
      {
        ...base,
        queries: [
          { hive: 'HKLM', view: '64', key: HKLM_UNINSTALL, result: { ok: true, output: '<html>Proxy error</html>\r\n' } },
        ],
      },
      'REG_GARBAGE',
    ],
  ];
  for (const [what, raw, code] of failing) {
    it(`fails the source with ${code} when ${what}`, async () => {
      const source = createRegistrySource();
      await assert.rejects(
        async () => parseRegistry(await source.check(raw)),
        (err: unknown) => err instanceof SourceError && err.code === code,
      );
    });
  }
});
