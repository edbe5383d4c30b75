import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { collectRawInventory, parseRawInventory, validateRawInventory } from '../../../agent/inventory/index.js';

// Real smoke tests: the Linux sources and the process source on the machine the tests run on.
const onLinux = process.platform === 'linux';

function dpkgInstalled(pkg: string): boolean {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' }).endsWith(' installed');
  } catch {
    return false;
  }
}

describe('Linux inventory of this machine', { skip: !onLinux && 'Linux only' }, () => {
  it('finds really installed dpkg packages and lists this test process', async (t) => {
    if (!dpkgInstalled('bash')) {
      t.skip('not a dpkg system (no bash package): the dpkg source has nothing to find');
      return;
    }
    const raw = await collectRawInventory();
    const inventory = await parseRawInventory(raw);
    const ids = inventory.sources.map((s) => s.id);
    assert.deepEqual(ids, ['dpkg', 'rpm', 'flatpak', 'snap', 'appimage', 'desktop-entry', 'processes']);
    for (const s of inventory.sources) assert.equal(s.ok, true, `${s.id}: ${s.error?.message}`);
    const bash = inventory.apps.find((a) => a.source === 'dpkg' && a.name === 'bash');
    const expectedVersion = execFileSync('dpkg-query', ['-W', '-f=${Version}', 'bash'], { encoding: 'utf8' });
    assert.equal(bash?.version, expectedVersion);
    const dpkgCount = Number(
      execFileSync('sh', ['-c', "dpkg-query -W -f='${db:Status-Status}\\n' | grep -c '^installed$'"], {
        encoding: 'utf8',
      }).trim(),
    );
    // dpkg-query counts multi-arch packages once per architecture; we count a package+version once.
    const ours = inventory.sources.find((s) => s.id === 'dpkg')!.count;
    assert.ok(ours <= dpkgCount && ours >= dpkgCount * 0.9, `dpkg: ${ours} records, dpkg-query says ${dpkgCount} installed`);
    const self = inventory.processes.find((p) => p.pid === process.pid);
    assert.equal(self?.path, process.execPath);
  });

  it('replays its own capture after a JSON round trip with the same result', async () => {
    const raw = await collectRawInventory({ processes: false });
    const replayed = await parseRawInventory(await validateRawInventory(JSON.parse(JSON.stringify(raw))));
    assert.deepEqual(replayed, await parseRawInventory(raw));
  });

  it('finds the Debian package telegram-desktop through dpkg and its desktop entry', async (t) => {
    if (!dpkgInstalled('telegram-desktop')) {
      t.skip('telegram-desktop is not installed (CI installs it: apt-get install -y telegram-desktop)');
      return;
    }
    const inventory = await parseRawInventory(await collectRawInventory({ processes: false }));
    const dpkg = inventory.apps.find((a) => a.source === 'dpkg' && a.ids.packageName === 'telegram-desktop');
    assert.ok(dpkg, 'dpkg record');
    assert.equal(dpkg.scope, 'machine');
    const desktop = inventory.apps.find(
      (a) => a.source === 'desktop-entry' && a.ids.desktopId === 'org.telegram.desktop.desktop',
    );
    assert.ok(desktop, 'desktop-entry record');
    assert.equal(desktop.ids.executable, 'telegram-desktop');
    assert.equal(desktop.location, '/usr/share/applications/org.telegram.desktop.desktop');
  });
});
