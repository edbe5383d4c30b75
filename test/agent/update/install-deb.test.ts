/**
 * The Linux install step for real: a throwaway deb (appwacht-update-selftest, built here with dpkg-deb) published in the
 * real server's feed, downloaded and verified by the update client, installed by the real `dpkg -i` through the detached
 * install helper, its outcome read back by the next step, then removed. Never the real appwacht package:
 * test/build/linux-packages.test.ts installs that one, and the two must not collide.
 * Needs root and dpkg; skips saying why otherwise. Without a running systemd (as here) the helper is a detached process;
 * the systemd-run path (installer.linux.ts) needs a machine with systemd.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { createHttpTransport, type HttpTransport } from '../../../agent/transport/http.js';
import { linuxInstaller } from '../../../agent/update/installer.linux.js';
import { readRecord } from '../../../agent/update/record.js';
import { runUpdateStep } from '../../../agent/update/step.js';
import { memoryLogger } from '../../../agent/log.js';
import { statePath } from '../../../agent/state/names.js';
import { createTestApp, type TestApp } from '../../server/helpers.js';
import { entry, indexYaml, publish, waitForInstall } from './helpers.js';

const run = promisify(execFile);
const PKG = 'appwacht-update-selftest';
const has = (tool: string) =>
  run('sh', ['-c', `command -v ${tool}`]).then(
    () => true,
    () => false,
  );

async function whyNot(): Promise<string | undefined> {
  if (process.platform !== 'linux') return 'dpkg installs are Linux only';
  if (process.getuid?.() !== 0) return 'dpkg -i needs root';
  for (const tool of ['dpkg', 'dpkg-deb', 'dpkg-query']) if (!(await has(tool))) return `${tool} is not installed`;
  return undefined;
}

const installedStatus = () =>
  run('dpkg-query', ['-W', '-f=${Status} ${Version}', PKG]).then(
    (r) => r.stdout,
    () => 'not installed',
  );
const purge = () => run('dpkg', ['--purge', PKG]).catch(() => {});

async function buildDeb(dir: string, version: string): Promise<Buffer> {
  const root = join(dir, 'root');
  await mkdir(join(root, 'DEBIAN'), { recursive: true });
  await mkdir(join(root, 'usr', 'share', PKG), { recursive: true });
  await writeFile(
    join(root, 'DEBIAN', 'control'),
    `Package: ${PKG}\nVersion: ${version}\nArchitecture: all\nMaintainer: Appwacht tests <tests@appwacht.invalid>\nDescription: throwaway package of the update client's install test\n`,
  );
  await writeFile(join(root, 'DEBIAN', 'postinst'), `#!/bin/sh\nset -e\necho "${PKG} postinst $1 $2"\n`);
  await chmod(join(root, 'DEBIAN', 'postinst'), 0o755);
  await writeFile(join(root, 'usr', 'share', PKG, 'VERSION'), `${version}\n`);
  const out = join(dir, `${PKG}_${version}_all.deb`);
  await run('dpkg-deb', ['--root-owner-group', '--build', root, out]);
  return readFile(out);
}

describe('update client: a real deb installed by dpkg', async () => {
  const skip = await whyNot();
  let t: TestApp;
  let transport: HttpTransport;
  let work: string;
  before(async () => {
    if (skip) return;
    t = await createTestApp('sqlite');
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    transport = await createHttpTransport({ env: {} });
    work = await mkdtemp(join(tmpdir(), 'appwacht-update-deb-'));
    await purge(); // left by a run that was killed
  });
  after(async () => {
    if (skip) return;
    await purge();
    await transport.close();
    await t.close();
    await rm(work, { recursive: true, force: true });
  });

  it(
    'downloads and verifies the deb, dpkg -i installs it detached, the next step records it; dpkg -r removes it',
    { skip },
    async (ctx) => {
      const deb = await buildDeb(work, '1.0.0');
      const name = `${PKG}_1.0.0_all.deb`;
      await publish(t.dataDir, 'stable', indexYaml('1.0.0', [entry(name, deb)]), { [name]: deb });
      const stateDir = await mkdtemp(join(work, 'state-'));
      const options = {
        stateDir,
        serverUrl: `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`,
        fetch: transport.fetch,
        policyPublicKey: t.secrets.publicKey,
        settings: { enabled: true, channel: 'stable', checkEveryHours: 24 },
        os: 'linux' as const,
        arch: process.arch,
        // The real Linux port (dpkg command, outside-the-service launch); only "which package owns this install" is
        // answered for the selftest package, since the agent running this test was not installed by dpkg.
        port: { ...linuxInstaller, kinds: async () => ['deb' as const] },
        current: '0.9.0',
        log: memoryLogger(),
      };
      await runUpdateStep(options);
      const result = await waitForInstall(stateDir, 120_000);
      const log = await readFile(join(statePath(stateDir, 'updates'), 'install.log'), 'utf8');
      if (result.status !== 0 && /lock/i.test(log))
        return ctx.skip(`dpkg was busy with another install: ${log.trim().slice(-200)}`);
      assert.equal(result.status, 0, log);
      assert.equal(await installedStatus(), 'install ok installed 1.0.0');
      assert.equal(await readFile(`/usr/share/${PKG}/VERSION`, 'utf8'), '1.0.0\n');
      assert.match(log, new RegExp(`${PKG} postinst configure`), 'the maintainer script ran');

      await runUpdateStep(options);
      const rec = (await readRecord(stateDir))!;
      assert.equal(rec.last?.what, 'installed');
      assert.equal(rec.installedVersion, '1.0.0');

      await run('dpkg', ['-r', PKG]);
      assert.match(await installedStatus(), /^(deinstall ok config-files|unknown ok not-installed|not installed)/);
    },
  );
});
