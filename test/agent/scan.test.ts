/**
 * The scan pipeline fails closed: captures of the fixture machines (Windows: the reconstructed capture in
 * test/fixtures/windows; macOS and Linux: collected from the fixture trees below test/fixtures) with one source
 * failing at a time, replayed through scan() from a file the way `appwacht scan --from` does.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ESSENTIAL_SOURCES, type OsName, type Policy } from '../../protocol/index.js';
import { collectRawInventory, type RawInventory } from '../../agent/inventory/index.js';
import { loadDefaultPolicy as bundledPolicy } from '../../agent/policy/default-policy.js';
import { scan } from '../../agent/scan.js';
import { REPO } from '../helpers/cli.js';

const FIXTURES = join(REPO, 'test', 'fixtures');

/** A policy banning only Kik, which none of the fixture machines has: a complete scan of any of them is compliant. */
function kikOnly(): Policy {
  const base = bundledPolicy();
  return { ...base, rules: [{ id: 'kik', app: 'kik', action: 'ban', deadline: '2026-09-15T00:00:00+02:00' }] };
}

async function capture(os: OsName): Promise<RawInventory> {
  if (os === 'windows')
    return JSON.parse(await readFile(join(FIXTURES, 'windows', 'raw-inventory.json'), 'utf8')) as RawInventory;
  const root = join(FIXTURES, os === 'macos' ? 'macos/root' : 'linux/laptop');
  return collectRawInventory({ os, root });
}

function failSource(raw: RawInventory, id: string, error = { code: 'EACCES', message: 'permission denied' }): RawInventory {
  return { ...raw, sources: { ...raw.sources, [id]: { ok: false, ms: 1, error } } };
}

let dir: string;
let n = 0;
async function scanCapture(raw: RawInventory, policy: Policy) {
  const file = join(dir, `capture-${n++}.json`);
  await writeFile(file, JSON.stringify(raw));
  return scan({ from: file, policy });
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'appwacht-scan-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('scan() of fixture captures with one source failing', () => {
  for (const os of ['windows', 'macos', 'linux'] as const) {
    it(`${os}: the complete capture is compliant (the baseline the cases below change)`, async () => {
      const result = await scanCapture(await capture(os), kikOnly());
      assert.equal(result.evaluation.state.status, 'compliant');
      assert.equal(result.evaluation.state.gaps, undefined);
    });

    for (const id of ESSENTIAL_SOURCES[os]) {
      it(`${os}: ${id} failing alone makes it unknown, and says which`, async () => {
        const result = await scanCapture(failSource(await capture(os), id), kikOnly());
        assert.equal(result.evaluation.state.status, 'unknown');
        assert.deepEqual(result.evaluation.state.gaps, [{ code: 'SOURCE_FAILED', source: id }]);
        const reported = result.inventory.sources.find((s) => s.id === id);
        assert.equal(reported?.ok, false);
      });
    }

    it(`${os}: a non-essential source failing (running processes) leaves it compliant and shows the error`, async () => {
      const raw = {
        ...(await capture(os)),
        processes: { ok: false as const, ms: 1, error: { code: 'EPERM', message: 'no /proc' } },
      };
      const result = await scanCapture(raw, kikOnly());
      assert.equal(result.evaluation.state.status, 'compliant');
      assert.deepEqual(result.inventory.sources.find((s) => s.id === 'processes')?.error, { code: 'EPERM', message: 'no /proc' });
    });
  }

  it('linux: snap is not essential', async () => {
    const result = await scanCapture(failSource(await capture('linux'), 'snap'), kikOnly());
    assert.equal(result.evaluation.state.status, 'compliant');
  });

  it('a capture that lists no source at all is unknown', async () => {
    const raw = { ...(await capture('windows')), sources: {} };
    const result = await scanCapture(raw, kikOnly());
    assert.deepEqual(result.evaluation.state.gaps, [{ code: 'NO_SOURCES' }]);
    assert.equal(result.evaluation.state.status, 'unknown');
  });

  it('a source whose data is damaged counts as failed', async () => {
    const raw = await capture('macos');
    const result = await scanCapture({ ...raw, sources: { bundles: { ok: true, ms: 1, data: { bundles: 'x' } } } }, kikOnly());
    assert.equal(result.evaluation.state.status, 'unknown');
    assert.equal(result.inventory.sources[0]?.error?.code, 'RAW_INVALID');
  });
});

describe('scan() of a Windows capture where HKLM could not be read', () => {
  /** reg.exe denied for both HKLM views (AppLocker, a hardened ACL); HKCU/HKU and the Store worked. */
  async function hklmDenied(): Promise<RawInventory> {
    const raw = await capture('windows');
    const registry = raw.sources.registry as { ok: true; ms: number; data: { queries: { hive: string; result: unknown }[] } };
    for (const q of registry.data.queries)
      if (q.hive === 'HKLM')
        q.result = { ok: false, error: { code: 'EXIT', message: 'reg exited with 1: ERROR: Access is denied.' } };
    return raw;
  }

  it('is a violation when the Store WhatsApp is there, and reports the HKLM failure', async () => {
    const result = await scanCapture(await hklmDenied(), bundledPolicy());
    const { state, findings } = result.evaluation;
    assert.equal(state.status, 'violation');
    const whatsapp = findings.find((f) => f.appId === 'whatsapp');
    assert.ok(
      whatsapp?.installs.some((i) => i.source === 'appx'),
      'the Store package is evidence',
    );
    assert.deepEqual(state.gaps, [{ code: 'SOURCE_FAILED', source: 'registry' }]);
    const registry = result.inventory.sources.find((s) => s.id === 'registry')!;
    assert.equal(registry.ok, false);
    assert.equal(registry.partial, true);
    assert.ok(registry.count > 0, 'what HKCU/HKU held still counts');
    assert.match(
      registry.error!.message,
      /HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall \(EXIT: .*Access is denied/,
    );
    assert.match(registry.error!.message, /WOW6432Node/);
  });

  it('is unknown, not compliant, when nothing banned is in the parts that could be read', async () => {
    const result = await scanCapture(await hklmDenied(), kikOnly());
    assert.equal(result.evaluation.state.status, 'unknown');
  });
});
