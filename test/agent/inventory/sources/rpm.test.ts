import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseRpmOutput, QUERY_FORMAT, rpmSource } from '../../../../agent/inventory/sources/rpm.js';
import { ctx, emptyRoot, put, scan } from './linux-fixture.js';

function hasTool(name: string): boolean {
  try {
    execFileSync(name, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('parseRpmOutput()', () => {
  it('reads name, epoch:version-release, vendor (else packager without e-mail), multilib once', () => {
    const output = [
      'signal-desktop\t(none)\t7.1.0\t1\tx86_64\tSignal Messenger, LLC\t(none)',
      'telegram-desktop\t1\t5.2.3\t1.fc40\tx86_64\tRPM Fusion\tRPM Fusion <rpmfusion-buildsys@lists.rpmfusion.org>',
      'wire-desktop\t(none)\t3.35\t(none)\tx86_64\t(none)\tWire Swiss GmbH <support@wire.com>',
      'gpg-pubkey\t(none)\t18b8e74c\t62f2920f\t(none)\t(none)\t(none)',
      'Package With Spaces\t(none)\t1.0\t1\tnoarch\tSome Vendor\t(none)',
      'glibc\t(none)\t2.39\t17.fc40\tx86_64\tFedora Project\t(none)',
      'glibc\t(none)\t2.39\t17.fc40\ti686\tFedora Project\t(none)',
      '',
    ].join('\n');
    const { apps, problems } = parseRpmOutput(output);
    assert.deepEqual(problems, []);
    assert.deepEqual(
      apps.map((a) => [a.name, a.version, a.publisher]),
      [
        ['signal-desktop', '7.1.0-1', 'Signal Messenger, LLC'],
        ['telegram-desktop', '1:5.2.3-1.fc40', 'RPM Fusion'],
        ['wire-desktop', '3.35', 'Wire Swiss GmbH'],
        ['Package With Spaces', '1.0-1', 'Some Vendor'],
        ['glibc', '2.39-17.fc40', 'Fedora Project'],
      ],
    );
    assert.deepEqual(apps[0]!.ids, { packageName: 'signal-desktop' });
    assert.equal(apps[0]!.source, 'rpm');
  });

  it('skips lines that are not in the query format and counts them', () => {
    const { apps, problems } = parseRpmOutput(
      'error: rpmdb: damaged\nbash\t(none)\t5.2\t1\tx86_64\tFedora\t(none)\n\u0000\u0001garbage\n',
    );
    assert.deepEqual(
      apps.map((a) => a.name),
      ['bash'],
    );
    assert.match(problems.join(), /2 line\(s\) of rpm output/);
  });

  it('asks rpm for tab-separated fields, one package a line', () => {
    assert.equal(QUERY_FORMAT, '%{NAME}\\t%{EPOCH}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t%{VENDOR}\\t%{PACKAGER}\\n');
  });
});

describe('rpm source collect', () => {
  it('is "not present" when the root has no rpm database (whether or not rpm is installed)', async (t) => {
    const root = await emptyRoot(t);
    assert.deepEqual(await rpmSource.collect(ctx(root)), { present: false });
    // An empty folder is not a database either.
    await mkdir(path.join(root, 'var/lib/rpm'), { recursive: true });
    assert.deepEqual(await rpmSource.collect(ctx(root)), { present: false });
  });

  it('fails with a clear reason when a database exists but the rpm tool does not', async (t) => {
    const root = await emptyRoot(t);
    await put(root, 'usr/lib/sysimage/rpm/rpmdb.sqlite', 'SQLite format 3\u0000');
    const savedPath = process.env.PATH;
    process.env.PATH = path.join(root, 'no-tools-here'); // the tests in this file run one after another
    try {
      await assert.rejects(rpmSource.collect(ctx(root)), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'TOOL_MISSING');
        assert.match(err.message, /an rpm database exists at \/usr\/lib\/sysimage\/rpm but the rpm tool is not installed/);
        return true;
      });
    } finally {
      process.env.PATH = savedPath;
    }
  });

  it('reads a real rpm database built with rpmbuild and rpm --justdb', async (t) => {
    if (!hasTool('rpm') || !hasTool('rpmbuild')) {
      t.skip('needs the Debian package "rpm" (rpm and rpmbuild) to build a real database');
      return;
    }
    const work = await emptyRoot(t);
    const root = path.join(work, 'root');
    const spec = await put(
      work,
      'top/SPECS/signal.spec',
      [
        'Name: signal-desktop',
        'Version: 7.1.0',
        'Release: 1',
        'Epoch: 2',
        'Summary: Private messaging from your desktop',
        'License: AGPL-3.0-only',
        'Vendor: Signal Messenger, LLC',
        'Packager: Signal Builders <support@signal.org>',
        'BuildArch: noarch',
        '%description',
        'Fixture package with no files.',
        '%files',
        '',
      ].join('\n'),
    );
    const quiet = { stdio: 'ignore' as const };
    execFileSync('rpmbuild', ['-bb', '--define', `_topdir ${path.join(work, 'top')}`, spec], quiet);
    const rpmFile = path.join(work, 'top/RPMS/noarch/signal-desktop-7.1.0-1.noarch.rpm');
    // Fedora's layout: the database in /usr/lib/sysimage/rpm, /var/lib/rpm a relative link to it.
    const db = ['--root', root, '--dbpath', '/usr/lib/sysimage/rpm'];
    execFileSync('rpm', [...db, '--initdb'], quiet);
    execFileSync('rpm', [...db, '-i', '--justdb', '--nodeps', rpmFile], quiet);
    await mkdir(path.join(root, 'var/lib'), { recursive: true });
    await symlink('../../usr/lib/sysimage/rpm', path.join(root, 'var/lib/rpm'));

    const { raw, apps, problems } = await scan(rpmSource, root);
    assert.equal((raw as { dbPath: string }).dbPath, '/usr/lib/sysimage/rpm');
    assert.deepEqual(problems, []);
    assert.deepEqual(apps, [
      {
        name: 'signal-desktop',
        version: '2:7.1.0-1',
        publisher: 'Signal Messenger, LLC',
        source: 'rpm',
        scope: 'machine',
        ids: { packageName: 'signal-desktop' },
      },
    ]);
  });
});
