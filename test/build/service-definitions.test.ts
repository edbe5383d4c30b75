/**
 * The machine agent's service definitions in build/ (issue 14): the systemd unit is checked with the real
 * `systemd-analyze verify`; the LaunchDaemon plist and the Windows task are parsed here (launchd and the Task Scheduler
 * cannot run on this machine — on a Mac: `plutil -lint`, on Windows: `schtasks /Create … /XML`, see the files).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO } from '../helpers/cli.js';

const run = promisify(execFile);
const BUILD = join(REPO, 'build');
const ANALYZE = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((p) => existsSync(p));

async function verify(unitText: string, name = 'appwacht-agent.service') {
  const dir = await mkdtemp(join(tmpdir(), 'appwacht-unit-'));
  try {
    await writeFile(join(dir, name), unitText);
    return await run(ANALYZE!, ['verify', join(dir, name)], { encoding: 'utf8' }).then(
      (r) => ({ ok: true, stderr: r.stderr }),
      (err: { stderr?: string }) => ({ ok: false, stderr: err.stderr ?? '' }),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('build/ service definitions of the machine agent', () => {
  it(
    'the systemd unit passes systemd-analyze verify (and a broken copy does not: the check can fail)',
    { skip: ANALYZE ? false : 'systemd-analyze is not installed (.ci/run installs the systemd package)' },
    async () => {
      // The unit names the Node the package installs (/opt/Appwacht/runtime); here this test's Node stands in for it
      // (linux-packages.test.ts verifies the installed unit as it is).
      const unit = (await readFile(join(BUILD, 'linux', 'appwacht-agent.service'), 'utf8')).replace(
        'ExecStart=/opt/Appwacht/runtime/bin/node',
        `ExecStart=${process.execPath}`,
      );
      const good = await verify(unit);
      assert.ok(good.ok, good.stderr);
      assert.equal(good.stderr.trim(), '', 'no warnings either');
      const broken = await verify(unit.replace(`ExecStart=${process.execPath}`, 'ExecStart=relative/node'));
      assert.ok(!broken.ok || broken.stderr.includes('ExecStart'), 'a relative ExecStart is reported');
    },
  );

  it('the unit runs `run --system` as root with a root-only state folder and keeps the homes readable', async () => {
    const unit = await readFile(join(BUILD, 'linux', 'appwacht-agent.service'), 'utf8');
    // The shipped Node runtime on the bundled agent, both where the deb/rpm put them.
    assert.match(
      unit,
      /^ExecStart=\/opt\/Appwacht\/runtime\/bin\/node .*\/opt\/Appwacht\/agent\/bin\/appwacht\.js run --system$/m,
    );
    assert.doesNotMatch(unit, /^User=(?!root)/m);
    assert.match(unit, /^StateDirectoryMode=0700$/m);
    assert.match(unit, /^Environment=APPWACHT_CHANNEL_DIR=\/run\/appwacht$/m);
    assert.doesNotMatch(unit, /^ProtectHome=/m, 'the agent must read every home');
    assert.match(unit, /^CacheDirectoryMode=0700$/m, 'the compile cache holds code the agent runs: root-only');
  });

  it('the LaunchDaemon runs `run --system` as root at load and keeps it alive', async () => {
    const bytes = await readFile(join(BUILD, 'macos', 'de.appwacht.agent.plist'));
    const { parsePlistDict } = await import('../../agent/inventory/sources/plist.js');
    const plist = parsePlistDict(bytes);
    assert.equal(plist.Label, 'de.appwacht.agent');
    assert.equal(plist.UserName, 'root');
    assert.equal(plist.RunAtLoad, true);
    assert.equal(plist.KeepAlive, true);
    assert.deepEqual((plist.ProgramArguments as string[]).slice(-2), ['run', '--system']);
  });

  it('the Windows task runs `run --system` as LocalSystem at boot and the installer locks the state folder down', async () => {
    const task = await readFile(join(BUILD, 'windows', 'appwacht-agent-task.xml'), 'utf8');
    assert.match(task, /<UserId>S-1-5-18<\/UserId>/);
    assert.match(task, /<BootTrigger>/);
    assert.match(task, /<Arguments>[^<]*appwacht\.js" run --system<\/Arguments>/);
    const script = await readFile(join(BUILD, 'windows', 'install-agent.ps1'), 'utf8');
    assert.match(script, /icacls \$state \/inheritance:r \/grant:r '\*S-1-5-18:\(OI\)\(CI\)F' '\*S-1-5-32-544:\(OI\)\(CI\)F'/);
  });
});
