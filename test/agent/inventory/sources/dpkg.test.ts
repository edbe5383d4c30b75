import assert from 'node:assert/strict';
import { readFile, truncate } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { collectRawInventory, parseRawInventory } from '../../../../agent/inventory/index.js';
import {
  dpkgSource,
  lineNumbers,
  maintainerName,
  parseDeb822,
  parseDpkgStatus,
} from '../../../../agent/inventory/sources/dpkg.js';
import { prng } from '../../../helpers/prng.js';
import { emptyRoot, LAPTOP, mkfifo, put, scan } from './linux-fixture.js';

const STATUS = path.join(LAPTOP, 'var/lib/dpkg/status');

describe('parseDpkgStatus() on the fixture status file', () => {
  it('keeps installed and held packages, with version, maintainer and package name', async () => {
    const { apps, problems } = parseDpkgStatus(await readFile(STATUS, 'utf8'));
    assert.deepEqual(problems, []);
    assert.deepEqual(
      apps.map((a) => a.name),
      [
        'base-files',
        'bash',
        'dash',
        'libc6',
        'telegram-desktop',
        'vim',
        'signal-desktop',
        'wireguard',
        'wireshark',
        'element-desktop',
      ],
    );
    assert.deepEqual(
      apps.find((a) => a.name === 'telegram-desktop'),
      {
        name: 'telegram-desktop',
        version: '4.6.5+ds-2+deb12u1',
        publisher: 'Nicholas Guriev',
        source: 'dpkg',
        scope: 'machine',
        ids: { packageName: 'telegram-desktop' },
      },
    );
    assert.equal(apps.find((a) => a.name === 'signal-desktop')?.publisher, 'Signal Messenger, LLC');
    assert.equal(apps.find((a) => a.name === 'element-desktop')?.publisher, 'support@element.io', 'hold ok installed counts');
  });

  it('does not count removed (config-files) or purged packages', async () => {
    const { apps } = parseDpkgStatus(await readFile(STATUS, 'utf8'));
    assert.ok(!apps.some((a) => a.name === 'skypeforlinux' || a.name === 'viber'));
  });
});

describe('parseDpkgStatus() states and shapes', () => {
  const stanza = (status: string, pkg = 'foo') => `Package: ${pkg}\nStatus: ${status}\nVersion: 1.0\n\n`;
  const table: [string, string, string[]][] = [
    ['install ok installed', stanza('install ok installed'), ['foo']],
    ['hold ok installed', stanza('hold ok installed'), ['foo']],
    ['deinstall ok installed (selected for removal, still on disk)', stanza('deinstall ok installed'), ['foo']],
    ['install reinstreq half-installed (files on disk)', stanza('install reinstreq half-installed'), ['foo']],
    ['install ok unpacked', stanza('install ok unpacked'), ['foo']],
    ['install ok triggers-pending', stanza('install ok triggers-pending'), ['foo']],
    ['deinstall ok config-files', stanza('deinstall ok config-files'), []],
    ['purge ok not-installed', stanza('purge ok not-installed'), []],
    [
      'multi-arch duplicates count once',
      stanza('install ok installed', 'libc6') + stanza('install ok installed', 'libc6'),
      ['libc6'],
    ],
    ['empty file', '', []],
  ];
  for (const [name, text, expected] of table) {
    it(name, () =>
      assert.deepEqual(
        parseDpkgStatus(text).apps.map((a) => a.name),
        expected,
      ),
    );
  }

  it('joins continuation lines and splits on blank lines with spaces', () => {
    const { stanzas } = parseDeb822('Package: a\nDescription: x\n more\n .\n\t tab\n \nPackage: b\n\n');
    assert.equal(stanzas.length, 2);
    assert.equal(stanzas[0]!.fields.get('Description'), 'x\nmore\n.\n tab');
  });

  // parseDeb822 jumps over the lines of fields it does not keep with one search: it must end up exactly where the
  // line-by-line walk does, on whatever the text holds.
  it('keeps the same fields, stanzas and problems with `wanted` as without it, on random deb822-like texts', () => {
    const wanted = new Set(['Package', 'Status', 'Version', 'Maintainer']);
    const lines = [
      'Package: a',
      'Status: install ok installed',
      'Version: 1',
      'Maintainer: M <m@x>',
      'Packages: not wanted',
      'Depends: libc6',
      'Description: d',
      ' more',
      ' .',
      '\t tab',
      ' ',
      '\t',
      ' \u00a0',
      '',
      '\r',
      'garbage line',
      ':no name',
      'bad name: x',
      'Conffiles:',
      ' /etc/x 0123',
      'Version: 2\r',
      ' Version: indented',
      'X-Ünicode: y',
    ];
    const random = prng(822);
    for (let round = 0; round < 2000; round++) {
      const count = Math.floor(random() * 14);
      const chosen = Array.from({ length: count }, () => lines[Math.floor(random() * lines.length)]!);
      const text = chosen.join('\n') + (random() < 0.7 ? '\n' : '');
      const all = parseDeb822(text);
      const keep = (s: { fields: Map<string, string>; start: number }) => ({
        start: s.start,
        fields: [...s.fields].filter(([name]) => wanted.has(name)),
      });
      const some = parseDeb822(text, wanted);
      assert.deepEqual(
        { stanzas: some.stanzas.map(keep), incomplete: some.incomplete && keep(some.incomplete), problems: some.problems },
        { stanzas: all.stanzas.map(keep), incomplete: all.incomplete && keep(all.incomplete), problems: all.problems },
        JSON.stringify(text),
      );
    }
  });

  it('names the line of a stanza in problems', () => {
    const text = 'Package: a\nStatus: install ok installed\n\nPackage: b\nDescription: x\n y\n\nPackage: c\nVersion: 1\n';
    assert.deepEqual(parseDpkgStatus(text).problems, [
      'incomplete stanza at line 8 (Package: c): the file ends inside it (truncated?), not used',
      'package b (line 4) has no valid Status field, skipped',
    ]);
    const lineOf = lineNumbers(text);
    assert.deepEqual([0, 10, 11, 40].map(lineOf), [1, 1, 2, 3]);
  });

  it('strips the e-mail from Maintainer', () => {
    assert.equal(maintainerName('Nicholas Guriev <guriev-ns@ya.ru>'), 'Nicholas Guriev');
    assert.equal(maintainerName('support@element.io'), 'support@element.io');
    assert.equal(maintainerName('<only@mail>'), '<only@mail>');
  });
});

describe('parseDpkgStatus() with bad input', () => {
  it('keeps every complete stanza of a truncated file and names the incomplete one', async () => {
    const full = await readFile(STATUS, 'utf8');
    const cut = full.indexOf('Package: wireshark') + 'Package: wireshark\nStatus: install ok inst'.length;
    const { apps, problems } = parseDpkgStatus(full.slice(0, cut));
    assert.deepEqual(apps.at(-1)?.name, 'wireguard');
    assert.ok(!apps.some((a) => a.name === 'wireshark'));
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /incomplete stanza at line \d+ \(Package: wireshark\).*truncated/);
  });

  it('treats a stanza cut exactly at a line end as incomplete too (dpkg always ends one with a blank line)', async () => {
    const full = await readFile(STATUS, 'utf8');
    const cut = full.indexOf('Package: wireshark') + 'Package: wireshark\nStatus: install ok installed\n'.length;
    const { apps, problems } = parseDpkgStatus(full.slice(0, cut));
    assert.ok(!apps.some((a) => a.name === 'wireshark'));
    assert.match(problems.join(), /Package: wireshark/);
  });

  it('survives garbage bytes: no exception, problems say what was skipped', () => {
    // Deterministic pseudo-random bytes, with a valid stanza in the middle.
    let seed = 42;
    const noise = Buffer.from(Array.from({ length: 4096 }, () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 256));
    const text =
      noise.toString('latin1') + '\n\nPackage: bash\nStatus: install ok installed\nVersion: 5.2\n\n' + noise.toString('utf8');
    const { apps, problems } = parseDpkgStatus(text);
    assert.ok(apps.some((a) => a.name === 'bash'));
    assert.ok(problems.length > 0);
    assert.match(problems.join('\n'), /NUL bytes|not "Field: value"|without a valid Package/);
  });

  it('skips a package without Status and says so', () => {
    const { apps, problems } = parseDpkgStatus('Package: nostatus\nVersion: 1\n\nPackage: ok\nStatus: install ok installed\n\n');
    assert.deepEqual(
      apps.map((a) => a.name),
      ['ok'],
    );
    assert.match(problems.join(), /nostatus .*no valid Status/);
  });
});

describe('dpkg source collect', () => {
  it('is "not present" without a status file', async (t) => {
    const root = await emptyRoot(t);
    assert.deepEqual(await dpkgSource.collect({ os: 'linux', root, live: false }), { present: false });
    assert.deepEqual(dpkgSource.parse({ present: false }), { apps: [], problems: [] });
  });

  it('reads the status file verbatim below the root', async () => {
    const { raw, apps } = await scan(dpkgSource, LAPTOP);
    assert.equal((raw as { text: string }).text, await readFile(STATUS, 'utf8'));
    assert.equal(apps.length, 10);
  });

  it('fails the source (not the scan) for a huge status file, a FIFO, or a folder in its place', async (t) => {
    const cases: [string, (root: string) => Promise<void>, string][] = [
      [
        'huge (sparse 200 MB)',
        async (root) => {
          const file = await put(root, 'var/lib/dpkg/status', '');
          await truncate(file, 200 * 1024 * 1024);
        },
        'FILE_TOO_LARGE',
      ],
      ['fifo', (root) => mkfifo(path.join(root, 'var/lib/dpkg/status')), 'NOT_A_FILE'],
      ['folder', (root) => put(root, 'var/lib/dpkg/status/x', 'x').then(() => undefined), 'NOT_A_FILE'],
    ];
    for (const [name, make, code] of cases) {
      const root = await emptyRoot(t);
      await make(root);
      const raw = await collectRawInventory({ os: 'linux', root });
      const inventory = await parseRawInventory(raw);
      const dpkg = inventory.sources.find((s) => s.id === 'dpkg')!;
      assert.equal(dpkg.ok, false, name);
      assert.equal(dpkg.error?.code, code, name);
      assert.ok(
        inventory.sources.filter((s) => s.id !== 'dpkg').every((s) => s.ok),
        `${name}: the other sources still ran`,
      );
    }
  });

  it('fails with RAW_INVALID on a replayed capture of the wrong shape', async () => {
    await assert.rejects(dpkgSource.check({ present: true, text: 42 }), { code: 'RAW_INVALID' });
  });
});
