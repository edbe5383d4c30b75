import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppwachtError, SourceError } from '../../../../agent/errors.js';
import {
  appxPackages,
  appxSource,
  createAppxSource,
  jsonList,
  packagesScript,
  parseAppx,
  PROVISIONED_SCRIPT,
} from '../../../../agent/inventory/sources/appx.js';
import type { RawAppx } from '../../../../agent/inventory/sources/appx.js';
import { fakeRunner, fixtureText, key, POWERSHELL, PS_ARGS, SYSTEM_ROOT, systemMachine, WHOAMI } from '../fake-windows.js';

// PowerShell and Get-AppxPackage do not exist on this Linux machine: the parser runs on a recorded JSON shape
// (see test/fixtures/windows/README.md) and the collector against a fake runner that answers exact command lines.

describe('jsonList() (ConvertTo-Json output)', () => {
  const ok: Array<[string, string, number]> = [
    ['an array', '[{"Name":"a"},{"Name":"b"}]', 2],
    ['a single object (ConvertTo-Json does not wrap one item in a list)', '{"Name":"a"}', 1],
    ['nothing at all (no packages)', '', 0],
    ['whitespace and CRLF only', '\r\n', 0],
    ['JSON behind a byte-order mark', '\uFEFF[{"Name":"a"}]', 1],
  ];
  for (const [what, text, count] of ok) {
    it(`reads ${what}`, () => assert.equal(jsonList(text).length, count));
  }

  const bad: Array<[string, string, string]> = [
    ['garbage', 'Get-AppxPackage : Zugriff verweigert', 'APPX_JSON'],
    ['truncated JSON', '[{"Name":"5319275A.WhatsAppDesktop","Version":"2.24', 'APPX_JSON'],
    ['a number', '42', 'APPX_SHAPE'],
    ['a string', '"Microsoft.WindowsCalculator"', 'APPX_SHAPE'],
    ['null', 'null', 'APPX_SHAPE'],
  ];
  for (const [what, text, code] of bad) {
    it(`throws ${code} for ${what}`, () => {
      assert.throws(
        () => jsonList(text),
        (err: unknown) => err instanceof AppwachtError && err.code === code,
      );
    });
  }
});

describe('appxPackages()', () => {
  const one = (overrides: Record<string, unknown>) => {
    const problems: string[] = [];
    const apps = appxPackages([{ Name: 'X.Y', PackageFamilyName: 'X.Y_abc', ...overrides }], problems);
    return { apps, problems };
  };

  it('skips frameworks and resource packages', () => {
    assert.deepEqual(one({ IsFramework: true }).apps, []);
    assert.deepEqual(one({ IsResourcePackage: true }).apps, []);
  });

  it('treats null properties as absent', () => {
    const { apps, problems } = one({ InstallLocation: null, Version: null, Publisher: null, IsFramework: null, Users: null });
    assert.deepEqual(problems, []);
    assert.deepEqual(apps, [{ name: 'X.Y', source: 'appx', scope: 'user', ids: { appxName: 'X.Y', appxFamily: 'X.Y_abc' } }]);
  });

  it('emits one record per user, whether Users is a list or (one user) a plain string', () => {
    assert.deepEqual(
      one({ Users: ['PC\\anna', 'KOMMUNE\\ben'] }).apps.map((a) => a.user),
      ['anna', 'ben'],
    );
    assert.deepEqual(
      one({ Users: 'PC\\anna' }).apps.map((a) => a.user),
      ['anna'],
    );
  });

  it('uses a manifest DisplayName when a capture has one, but not an ms-resource: reference', () => {
    assert.equal(one({ DisplayName: 'WhatsApp' }).apps[0]?.name, 'WhatsApp');
    assert.equal(one({ DisplayName: 'ms-resource:AppName' }).apps[0]?.name, 'X.Y');
  });

  it('derives the family from Name and PublisherId when PackageFamilyName is missing', () => {
    const problems: string[] = [];
    const [app] = appxPackages([{ Name: '5319275A.WhatsAppDesktop', PublisherId: 'cv1g1gvanyjgm' }], problems);
    assert.equal(app?.ids.appxFamily, '5319275A.WhatsAppDesktop_cv1g1gvanyjgm');
  });

  it('reads a System.Version object as a dotted version', () => {
    assert.equal(
      one({ Version: { Major: 2, Minor: 2450, Build: 6, Revision: 0, MajorRevision: 0, MinorRevision: 0 } }).apps[0]?.version,
      '2.2450.6.0',
    );
  });

  it('reports an entry without Name or with wrong types and keeps the rest', () => {
    const problems: string[] = [];
    const apps = appxPackages([{ Version: '1.0' }, { Name: 42 }, 'text', { Name: 'Ok.App' }], problems);
    assert.deepEqual(
      apps.map((a) => a.name),
      ['Ok.App'],
    );
    assert.equal(problems.length, 3, problems.join(' | '));
  });
});

describe('appx source: collect (fake runner) and parse', () => {
  const ctx = { os: 'windows' as const, root: '/', live: true };

  it('elevated: whoami, then Get-AppxPackage -AllUsers and Get-AppxProvisionedPackage through powershell.exe', async () => {
    const { run, calls } = fakeRunner(systemMachine());
    const raw = (await createAppxSource({ run, systemRoot: SYSTEM_ROOT }).collect(ctx)) as RawAppx;
    assert.deepEqual(calls, [
      { file: WHOAMI, args: ['/user', '/groups', '/fo', 'csv', '/nh'] },
      { file: POWERSHELL, args: [...PS_ARGS, packagesScript(true)] },
      { file: POWERSHELL, args: [...PS_ARGS, PROVISIONED_SCRIPT] },
    ]);
    assert.equal(raw.packages, fixtureText('appx-allusers.json'), 'the JSON is kept verbatim');
    assert.match(calls[1]!.args.at(-1)!, /Get-AppxPackage -AllUsers \| Select-Object Name, .*\| ConvertTo-Json -Compress$/);
    assert.match(calls[1]!.args.at(-1)!, /\[Console\]::OutputEncoding = \[System\.Text\.Encoding\]::UTF8/);
    for (const call of calls.slice(1))
      assert.ok(!call.args.at(-1)!.includes('"'), 'no double quotes for Windows command-line quoting to mangle');
  });

  it('not elevated: the current user’s packages only (named after whoami’s account), no provisioned list', async () => {
    const answers = systemMachine();
    answers.set(
      key(WHOAMI, ['/user', '/groups', '/fo', 'csv', '/nh']),
      'text:"pc\\anna","S-1-5-21-1-2-3-1001"\r\n\r\n"Mandatory Label\\Medium Mandatory Level","Label","S-1-16-8192",""\r\n',
    );
    answers.set(
      key(POWERSHELL, [...PS_ARGS, packagesScript(false)]),
      'text:{"Name":"5319275A.WhatsAppDesktop","PackageFamilyName":"5319275A.WhatsAppDesktop_cv1g1gvanyjgm"}',
    );
    const { run, calls } = fakeRunner(answers);
    const source = createAppxSource({ run, systemRoot: SYSTEM_ROOT });
    const raw = await source.collect(ctx);
    assert.deepEqual(calls.slice(1), [{ file: POWERSHELL, args: [...PS_ARGS, packagesScript(false)] }]);
    assert.ok(!packagesScript(false).includes('-AllUsers'));
    const { apps, problems } = await source.parse(raw);
    assert.deepEqual(
      apps.map((a) => [a.ids.appxFamily, a.scope, a.user]),
      [['5319275A.WhatsAppDesktop_cv1g1gvanyjgm', 'user', 'anna']],
    );
    assert.match(problems.join(' | '), /not elevated/);
  });

  it('fails the source when Get-AppxPackage itself fails (nothing to report without it)', async () => {
    const answers = systemMachine();
    answers.set(
      key(POWERSHELL, [...PS_ARGS, packagesScript(true)]),
      new SourceError('TIMEOUT', 'powershell.exe did not finish within 120000 ms'),
    );
    const { run } = fakeRunner(answers);
    await assert.rejects(
      createAppxSource({ run, systemRoot: SYSTEM_ROOT }).collect(ctx),
      (err: unknown) => (err as SourceError).code === 'TIMEOUT',
    );
  });

  it('keeps the packages when only the provisioned list fails or is garbage', () => {
    const base = {
      elevated: true,
      whoami: { ok: true as const, output: '' },
      packages: '{"Name":"MSTeams","PackageFamilyName":"MSTeams_8wekyb3d8bbwe"}',
    };
    const failed = parseAppx({
      ...base,
      provisioned: { ok: false, error: { code: 'EXIT', message: 'powershell.exe exited with 1' } },
    });
    assert.equal(failed.apps.length, 1);
    assert.match(failed.problems.join(' | '), /Get-AppxProvisionedPackage failed \(EXIT\)/);
    const garbage = parseAppx({
      ...base,
      provisioned: { ok: true, output: 'Get-AppxProvisionedPackage : Der angeforderte Vorgang erfordert erhöhte Rechte.' },
    });
    assert.equal(garbage.apps.length, 1);
    assert.match(garbage.problems.join(' | '), /provisioned packages unreadable/);
  });

  const failing: Array<[string, unknown, string]> = [
    ['the raw data is not an object', '[]', 'RAW_INVALID'],
    ['packages is not text', { elevated: true, whoami: { ok: true, output: '' }, packages: [] }, 'RAW_INVALID'],
    [
      'the package JSON is garbage',
      { elevated: true, whoami: { ok: true, output: '' }, packages: 'Zugriff verweigert' },
      'APPX_JSON',
    ],
    ['the package JSON is a bare number', { elevated: true, whoami: { ok: true, output: '' }, packages: '7' }, 'APPX_SHAPE'],
  ];
  for (const [what, raw, code] of failing) {
    it(`fails the source with ${code} when ${what}`, async () => {
      await assert.rejects(
        async () => parseAppx(await appxSource.check(raw)),
        (err: unknown) => (err as AppwachtError).code === code,
      );
    });
  }

  it('refuses to run PowerShell against a folder tree (NOT_LIVE)', async () => {
    const { run, calls } = fakeRunner(systemMachine());
    await assert.rejects(
      createAppxSource({ run, systemRoot: SYSTEM_ROOT }).collect({ os: 'windows', root: '/mnt', live: false }),
      (err: unknown) => (err as SourceError).code === 'NOT_LIVE',
    );
    assert.deepEqual(calls, []);
  });
});
