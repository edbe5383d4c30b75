import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { listHomes, parsePasswd } from '../../../../agent/inventory/sources/homes.js';
import { RootFs } from '../../../../agent/inventory/sources/rootfs.js';
import { emptyRoot, isRoot, LAPTOP, put } from './linux-fixture.js';

describe('parsePasswd()', () => {
  it('keeps people (uid 0 and 1000–60000) and skips system accounts, nobody and malformed lines', () => {
    const text = [
      'root:x:0:0:root:/root:/bin/bash',
      'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin',
      'anna:x:1000:1000:Anna:/home/anna:/bin/bash',
      'svc:x:999:999::/var/lib/svc:/usr/sbin/nologin',
      'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin',
      'broken:line',
      'rel:x:1001:1001::relative/home:/bin/sh',
      '+@netgroup::::::',
      '',
    ].join('\n');
    assert.deepEqual(parsePasswd(text), [
      { user: 'root', uid: 0, home: '/root' },
      { user: 'anna', uid: 1000, home: '/home/anna' },
    ]);
  });
});

describe('listHomes()', () => {
  it('finds the homes of the fixture laptop that exist; a passwd home never created is no problem', async () => {
    const { homes, problems } = await listHomes(new RootFs(LAPTOP));
    assert.deepEqual(problems, []);
    assert.deepEqual(homes, [
      { user: 'root', path: '/root' },
      { user: 'anna', path: '/home/anna' },
      { user: 'bernd', path: '/home/bernd' },
    ]);
  });

  it('adds /home folders of directory (LDAP/AD) accounts missing from passwd, and dedupes linked homes', async (t) => {
    const root = await emptyRoot(t);
    await put(root, 'etc/passwd', 'anna:x:1000:1000::/home/anna:/bin/bash\nalias:x:1005:1005::/home/alias:/bin/bash\n');
    await mkdir(path.join(root, 'home/anna'), { recursive: true });
    await mkdir(path.join(root, 'home/m.mueller@stadt.example'), { recursive: true });
    await symlink('anna', path.join(root, 'home/alias'));
    const { homes } = await listHomes(new RootFs(root));
    assert.deepEqual(homes, [
      { user: 'anna', path: '/home/anna' },
      { user: 'm.mueller@stadt.example', path: '/home/m.mueller@stadt.example' },
    ]);
  });

  it('keeps a home that links outside the root inside the root', async (t) => {
    const root = await emptyRoot(t);
    await put(root, 'etc/passwd', 'evil:x:1000:1000::/home/evil:/bin/bash\n');
    await mkdir(path.join(root, 'home'), { recursive: true });
    await symlink('/etc', path.join(root, 'home/evil')); // the host's /etc exists; the root's /etc is the fixture's
    await symlink('../../../../..', path.join(root, 'home/climber'));
    const { homes } = await listHomes(new RootFs(root));
    assert.deepEqual(homes, [
      { user: 'evil', path: '/etc' },
      { user: 'climber', path: '/' },
    ]);
  });

  it('skips an unreadable home with a problem instead of failing', async (t) => {
    if (isRoot) {
      // chmod 000 does not stop root, so this process cannot see the failure; a child running as nobody can.
      const result = await listHomesAsNobody(await unreadableHomeRoot(t));
      if (!result) {
        t.skip('running as root and cannot start a child process as nobody: chmod 000 does not deny root');
        return;
      }
      assert.deepEqual(result.homes, [{ user: 'bernd', path: '/home/bernd' }]);
      assert.deepEqual(result.problems, ['home of anna skipped: /home/anna: permission denied (EACCES)']);
      return;
    }
    const { homes, problems } = await listHomes(new RootFs(await unreadableHomeRoot(t)));
    assert.deepEqual(homes, [{ user: 'bernd', path: '/home/bernd' }]);
    assert.deepEqual(problems, ['home of anna skipped: /home/anna: permission denied (EACCES)']);
  });
});

async function unreadableHomeRoot(t: Parameters<typeof emptyRoot>[0]): Promise<string> {
  const root = await emptyRoot(t);
  await put(root, 'etc/passwd', 'anna:x:1000:1000::/home/anna:/bin/bash\nbernd:x:1001:1001::/home/bernd:/bin/bash\n');
  await mkdir(path.join(root, 'home/anna'), { recursive: true });
  await mkdir(path.join(root, 'home/bernd'), { recursive: true });
  await chmod(path.join(root, 'home/anna'), 0o000);
  await chmod(root, 0o755); // mkdtemp makes it 0700: nobody must be able to enter the root itself
  // The empty 000 folder can be removed anyway; restoring its mode matters only if something was left in it.
  t.after(() => chmod(path.join(root, 'home/anna'), 0o755).catch(() => undefined));
  return root;
}

/** Runs listHomes in a child process as user nobody (uid 65534); undefined when that cannot be done. */
async function listHomesAsNobody(root: string): Promise<Awaited<ReturnType<typeof listHomes>> | undefined> {
  const sources = path.resolve(import.meta.dirname, '../../../../agent/inventory/sources');
  const url = (file: string) => JSON.stringify(pathToFileURL(path.join(sources, file)).href);
  const script = path.join(root, 'as-nobody.mts');
  await writeFile(
    script,
    `import { listHomes } from ${url('homes.ts')};\nimport { RootFs } from ${url('rootfs.ts')};\n` +
      `console.log(JSON.stringify(await listHomes(new RootFs(${JSON.stringify(root)}))));\n`,
    { mode: 0o644 },
  );
  const child = spawnSync(process.execPath, ['--import', 'tsx', script], {
    cwd: path.resolve(import.meta.dirname, '../../../..'), // where tsx is installed
    uid: 65534,
    gid: 65534,
    encoding: 'utf8',
    timeout: 60_000,
    env: { PATH: process.env.PATH, HOME: '/tmp', TMPDIR: '/tmp' },
  });
  if (child.status !== 0) return undefined;
  return JSON.parse(child.stdout.trim().split('\n').pop()!) as Awaited<ReturnType<typeof listHomes>>;
}

describe('RootFs', () => {
  it('resolves links like a chroot: absolute targets restart at the root, ".." stops at it', async (t) => {
    const root = await emptyRoot(t);
    await put(root, 'usr/lib/sysimage/rpm/rpmdb.sqlite', 'x');
    await mkdir(path.join(root, 'var/lib'), { recursive: true });
    await symlink('/usr/lib/sysimage/rpm', path.join(root, 'var/lib/rpm'));
    await symlink('../../../../../../usr', path.join(root, 'var/lib/up'));
    const fs = new RootFs(root);
    assert.equal(await fs.resolve('/var/lib/rpm/rpmdb.sqlite'), '/usr/lib/sysimage/rpm/rpmdb.sqlite');
    assert.equal(await fs.resolve('/var/lib/up/lib'), '/usr/lib');
    assert.equal(await fs.readText('/var/lib/rpm/rpmdb.sqlite', 10), 'x');
  });

  it('stops a link loop with ELOOP', async (t) => {
    const root = await emptyRoot(t);
    await symlink('b', path.join(root, 'a'));
    await symlink('a', path.join(root, 'b'));
    await assert.rejects(new RootFs(root).resolve('/a'), { code: 'ELOOP' });
  });

  it('finds files recursively, enters each folder once and caps depth and count', async (t) => {
    const root = await emptyRoot(t);
    for (let i = 0; i < 5; i++) await put(root, `apps/f${i}.desktop`, '');
    await put(root, 'apps/a/b/c/deep.desktop', '');
    await symlink('.', path.join(root, 'apps/self'));
    const fs = new RootFs(root);
    const problems: string[] = [];
    const all = await fs.findFiles('/apps', '.desktop', { maxDepth: 10, maxFiles: 100 }, problems);
    assert.deepEqual(all.map((f) => f.relative).sort(), [
      'a/b/c/deep.desktop',
      'f0.desktop',
      'f1.desktop',
      'f2.desktop',
      'f3.desktop',
      'f4.desktop',
    ]);
    assert.deepEqual(problems, []);
    const capped: string[] = [];
    const some = await fs.findFiles('/apps', '.desktop', { maxDepth: 1, maxFiles: 3 }, capped);
    assert.equal(some.length, 3);
    assert.match(capped.join('\n'), /more than 3 \.desktop files/);
    const shallow: string[] = [];
    await fs.findFiles('/apps', '.desktop', { maxDepth: 1, maxFiles: 100 }, shallow);
    assert.match(shallow.join('\n'), /\/apps\/a\/b: deeper than 1 folders/);
  });
});
