/**
 * The update client (agent/update/step.ts) against the real Appwacht server's feed over the agent's real transport
 * (undici, agent/transport/http.ts), with real files and a real installer process (a stand-in for dpkg that records what
 * it was given; the real dpkg runs in install-deb.test.ts). Faults the real server cannot produce (a connection cut
 * mid-file, more bytes than announced, an unsigned index) come from a node:http stand-in feed that signs like the server.
 */
import assert from 'node:assert/strict';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { access, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { publicKeyToBase64, signUpdateIndex, UPDATE_SIGNATURE_HEADER, type UpdatePolicy } from '../../../protocol/index.js';
import { memoryLogger } from '../../../agent/log.js';
import { createHttpTransport, type HttpTransport } from '../../../agent/transport/http.js';
import { readRecord } from '../../../agent/update/record.js';
import { runUpdateStep, type UpdateStepOptions } from '../../../agent/update/step.js';
import { describeUpdate } from '../../../agent/update/texts.js';
import { statePath } from '../../../agent/state/names.js';
import { createTestApp, type TestApp } from '../../server/helpers.js';
import { entry, indexYaml, publish, sha512, standInPort, waitForInstall } from './helpers.js';

const installer = Buffer.from('appwacht 0.3.0 installer bytes\n'.repeat(4000));
const NAME = 'appwacht_0.3.0_amd64.deb';
const settings: UpdatePolicy = { enabled: true, channel: 'stable', checkEveryHours: 6 };

let t: TestApp;
let serverUrl: string;
let transport: HttpTransport;
let work: string;

before(async () => {
  t = await createTestApp('sqlite');
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  serverUrl = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
  transport = await createHttpTransport({ env: {} });
  work = await mkdtemp(join(tmpdir(), 'appwacht-update-'));
});
after(async () => {
  await transport.close();
  await t.close();
  await rm(work, { recursive: true, force: true });
});

let n = 0;
/** A fresh state folder and marker for one test, and the step's options against the real server. */
async function fresh(over: Partial<UpdateStepOptions> = {}) {
  const stateDir = await mkdtemp(join(work, `state-${++n}-`));
  const marker = join(work, `ran-${n}`);
  const log = memoryLogger();
  const options: UpdateStepOptions = {
    stateDir,
    serverUrl,
    fetch: transport.fetch,
    policyPublicKey: t.secrets.publicKey,
    settings,
    os: 'linux',
    arch: 'x64',
    port: standInPort(marker),
    current: '0.2.0',
    log,
    ...over,
  };
  const downloads = async () => (await readdir(statePath(stateDir, 'updates')).catch(() => [])).sort();
  const ran = () =>
    access(marker).then(
      () => true,
      () => false,
    );
  const record = () => readRecord(stateDir);
  /** The step failed with `code`, left no installer or partial file, and ran nothing; returns the record. */
  const refused = async (code: string) => {
    const rec = (await record())!;
    assert.equal(rec.last?.what === 'failed' && rec.last.code, code);
    assert.deepEqual(await downloads(), [], 'no installer and no partial file left');
    assert.equal(await ran(), false, 'nothing ran');
    return rec;
  };
  return { stateDir, marker, log, options, downloads, ran, record, refused };
}

describe('update client against the real server', () => {
  it('downloads, verifies, runs the installer on the verified file, then records it installed', async () => {
    await publish(t.dataDir, 'stable', indexYaml('0.3.0', [entry(NAME, installer)]), { [NAME]: installer });
    const s = await fresh();
    const next = await runUpdateStep(s.options);
    const result = await waitForInstall(s.stateDir);
    assert.equal(result.status, 0);
    assert.equal(await readFile(s.marker, 'utf8'), sha512(installer), 'the installer ran on exactly the verified bytes');
    assert.equal((await s.record())?.installing?.version, '0.3.0');
    assert.ok(next !== null && next > Date.now(), 'it comes back to see the outcome');
    assert.match(await readFile(join(statePath(s.stateDir, 'updates'), 'install.log'), 'utf8'), /stand-in installer ran/);

    // The next step (here: the old agent still runs; a restarted one would be 0.3.0) reads the helper's result.
    await runUpdateStep(s.options);
    const rec = (await s.record())!;
    assert.equal(rec.last?.what, 'installed');
    assert.equal(rec.installedVersion, '0.3.0');
    assert.deepEqual(await s.downloads(), ['install.log'], 'the installer is removed once installed');
    assert.match(describeUpdate(rec.last!, 'en'), /^updated to 0\.3\.0 \(/);
    assert.match(describeUpdate(rec.last!, 'de'), /^auf 0\.3\.0 aktualisiert \(/);

    // And it does not install the same version again while the old agent runs on.
    await runUpdateStep({ ...s.options, now: () => new Date(Date.now() + 7 * 3_600_000) });
    assert.equal((await s.record())?.last?.what, 'up-to-date');
  });

  it('a wrong sha512 in the index: the download is deleted and nothing runs', async () => {
    const other = Buffer.from('not the installer the index describes'.repeat(100));
    await publish(t.dataDir, 'stable', indexYaml('0.3.0', [{ ...entry(NAME, installer), size: other.length }]), {
      [NAME]: other,
    });
    const s = await fresh();
    await runUpdateStep(s.options);
    const rec = await s.refused('SHA512_MISMATCH');
    assert.equal(rec.downloaded, null);
    assert.deepEqual(rec.lastCheck?.ok, false, 'asked again within the hour');
    assert.match(describeUpdate(rec.last!, 'de'), /^Update auf 0\.3\.0 fehlgeschlagen beim Herunterladen .* SHA512_MISMATCH/);
  });

  it('a file shorter than the index says (the server announces its length): refused before writing, nothing runs', async () => {
    await publish(t.dataDir, 'stable', indexYaml('0.3.0', [entry(NAME, installer)]), { [NAME]: installer.subarray(0, 1000) });
    const s = await fresh();
    await runUpdateStep(s.options);
    await s.refused('DOWNLOAD_TRUNCATED');
  });

  it('no downgrade, no reinstall of the running version', async () => {
    await publish(t.dataDir, 'stable', indexYaml('0.1.0', [entry(NAME, installer)]), { [NAME]: installer });
    const s = await fresh();
    await runUpdateStep(s.options);
    const rec = (await s.record())!;
    assert.equal(rec.last?.what, 'refused');
    assert.match(describeUpdate(rec.last!, 'en'), /update to 0\.1\.0 not taken .*: 0\.1\.0/);
    assert.deepEqual(await s.downloads(), []);
    await publish(t.dataDir, 'stable', indexYaml('0.2.0', [entry(NAME, installer)]), { [NAME]: installer });
    const again = await fresh();
    await runUpdateStep(again.options);
    assert.equal((await again.record())?.last?.what, 'up-to-date');
    assert.equal(await again.ran(), false);
  });

  it('hostile index: paths, escapes and other hosts are refused, never fetched; nothing is downloaded', async () => {
    let evilHits = 0;
    const evil = createServer((_req, res) => {
      evilHits++;
      res.end('evil');
    });
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
    const evilUrl = `http://127.0.0.1:${(evil.address() as { port: number }).port}`;
    try {
      const hostile = [
        '../../../../etc/appwacht.deb',
        '..',
        '/etc/passwd.deb',
        `${evilUrl}/appwacht_0.3.0_amd64.deb`,
        `${serverUrl}/updates/stable/${NAME}`,
        'sub/appwacht.deb',
        '..\\..\\appwacht.deb',
        '%2e%2e%2fappwacht.deb',
        '.hidden.deb',
      ];
      await publish(
        t.dataDir,
        'stable',
        indexYaml(
          '0.3.0',
          hostile.map((url) => entry(url, installer)),
        ),
        { [NAME]: installer },
      );
      const s = await fresh();
      await runUpdateStep(s.options);
      const rec = (await s.record())!;
      assert.equal(rec.last?.what, 'refused');
      assert.match(rec.last?.what === 'refused' ? rec.last.reason : '', /^wanted \.deb for x64; the index lists \.\.\/\.\.\//);
      const said = s.log.lines.filter((l) => l.msg === 'update index entry refused').map((l) => l.url);
      assert.deepEqual(said, hostile, 'each refused entry is said');
      assert.equal(evilHits, 0, 'another host is never contacted');
      assert.deepEqual(await s.downloads(), []);
      assert.equal(await s.ran(), false);
    } finally {
      evil.close();
    }
  });

  it('a YAML bomb or garbage index is a failed check, not a crash', async () => {
    const bomb =
      'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n';
    for (const [text, why] of [
      [`version: 0.3.0\n${bomb}`, /not YAML: .*alias/i],
      ['version: [unclosed', /not YAML/],
      ['- just\n- a list\n', /not in the expected format/],
      ['version: 0.3.0\nfiles: []\n', /files: .*(1|least)/],
    ] as const) {
      await publish(t.dataDir, 'stable', text);
      const s = await fresh();
      await runUpdateStep(s.options);
      const rec = (await s.record())!;
      assert.equal(rec.last?.what === 'failed' && rec.last.stage, 'check', text.slice(0, 30));
      assert.match(rec.last?.what === 'failed' ? rec.last.reason : '', why);
      assert.equal(rec.lastCheck?.ok, false);
    }
  });

  it('a channel the server does not have is a failed check (HTTP 404), said in both languages', async () => {
    const s = await fresh({ settings: { ...settings, channel: 'nightly' } });
    await runUpdateStep(s.options);
    const rec = (await s.record())!;
    assert.equal(rec.last?.what === 'failed' && rec.last.code, 'FEED_REFUSED');
    assert.match(describeUpdate(rec.last!, 'en'), /failed checking the update feed .* HTTP 404/);
    assert.match(describeUpdate(rec.last!, 'de'), /fehlgeschlagen beim Abruf des Update-Verzeichnisses/);
  });

  it('an index signed by another key is refused', async () => {
    await publish(t.dataDir, 'stable', indexYaml('0.3.0', [entry(NAME, installer)]), { [NAME]: installer });
    const other = publicKeyToBase64(generateKeyPairSync('ed25519').publicKey);
    const s = await fresh({ policyPublicKey: other });
    await runUpdateStep(s.options);
    await s.refused('INDEX_UNSIGNED');
  });

  it('the server gone: a failed check, retried within the hour; the next check is not before then', async () => {
    const s = await fresh({ serverUrl: 'http://127.0.0.1:1' });
    const t0 = Date.now();
    const next = await runUpdateStep(s.options);
    const rec = (await s.record())!;
    assert.equal(rec.last?.what === 'failed' && rec.last.code, 'FEED_UNAVAILABLE');
    assert.ok(next! >= t0 + 3_600_000 - 1000 && next! <= Date.now() + 3_600_000);
  });

  it('outside the install window it waits with the verified file; inside, it checks the file again and installs', async () => {
    await publish(t.dataDir, 'stable', indexYaml('0.3.0', [entry(NAME, installer)]), { [NAME]: installer });
    const day = new Date();
    const noon = new Date(day.getFullYear(), day.getMonth(), day.getDate(), 12, 0);
    const night = new Date(noon.getTime() + 11 * 3_600_000); // 23:00
    const s = await fresh({ settings: { ...settings, installWindow: { from: '22:00', to: '05:00' } }, now: () => noon });
    const next = await runUpdateStep(s.options);
    assert.equal(next, noon.getTime() + 6 * 3_600_000, 'the next check (18:00) comes before the window');
    let rec = (await s.record())!;
    const at22 = new Date(day.getFullYear(), day.getMonth(), day.getDate(), 22, 0).getTime();
    assert.equal(rec.last?.what === 'downloaded' && rec.last.installAt, at22);
    assert.match(describeUpdate(rec.last!, 'de'), /heruntergeladen und geprüft .* wird ab .* installiert/);
    assert.deepEqual(await s.downloads(), [NAME]);
    assert.equal(await s.ran(), false);

    await runUpdateStep({ ...s.options, now: () => night });
    await waitForInstall(s.stateDir);
    assert.equal(await readFile(s.marker, 'utf8'), sha512(installer));
    rec = (await s.record())!;
    assert.equal(rec.installing?.version, '0.3.0');
  });

  it('a waiting installer changed on disk is deleted at install time, never run', async () => {
    await publish(t.dataDir, 'stable', indexYaml('0.3.0', [entry(NAME, installer)]), { [NAME]: installer });
    const day = new Date();
    const noon = new Date(day.getFullYear(), day.getMonth(), day.getDate(), 12, 0);
    const s = await fresh({ settings: { ...settings, installWindow: { from: '22:00', to: '05:00' } }, now: () => noon });
    await runUpdateStep(s.options);
    await writeFile(join(statePath(s.stateDir, 'updates'), NAME), Buffer.from(installer).fill(0x41, 0, 10));
    await runUpdateStep({ ...s.options, now: () => new Date(noon.getTime() + 11 * 3_600_000) });
    await s.refused('SHA512_MISMATCH');
  });

  it('an installer that fails is recorded with its output, and given up after three attempts', async () => {
    await publish(t.dataDir, 'stable', indexYaml('0.3.0', [entry(NAME, installer)]), { [NAME]: installer });
    const s = await fresh();
    const failing = standInPort(s.marker, 3);
    let clock = Date.now();
    for (let attempt = 1; attempt <= 3; attempt++) {
      await runUpdateStep({ ...s.options, port: failing, now: () => new Date(clock) });
      await waitForInstall(s.stateDir);
      await runUpdateStep({ ...s.options, port: failing, now: () => new Date(clock) });
      const rec = (await s.record())!;
      assert.equal(rec.last?.what === 'failed' && rec.last.stage, 'install');
      assert.match(rec.last?.what === 'failed' ? rec.last.reason : '', /exit code 3 – stand-in installer ran/);
      assert.equal(rec.attempts?.count, attempt);
      clock += 7 * 3_600_000;
    }
    await rm(s.marker);
    await runUpdateStep({ ...s.options, port: failing, now: () => new Date(clock) });
    const rec = (await s.record())!;
    assert.equal(rec.last?.what, 'refused');
    assert.match(describeUpdate(rec.last!, 'en'), /failed 3 times; waiting for a newer version/);
    assert.equal(await s.ran(), false);
  });

  it('a wrapper that starts the helper elsewhere (as systemd-run does) is waited for; one that refuses fails the install', async () => {
    await publish(t.dataDir, 'stable', indexYaml('0.3.0', [entry(NAME, installer)]), { [NAME]: installer });
    const s = await fresh();
    // Starts the helper in the background and returns at once, like `systemd-run` handing it to a unit of its own.
    const starts = {
      ...standInPort(s.marker),
      outsideService: async (argv: string[]) => ['sh', '-c', '"$@" </dev/null >/dev/null 2>&1 &', 'sh', ...argv],
    };
    await runUpdateStep({ ...s.options, port: starts });
    assert.equal((await waitForInstall(s.stateDir)).status, 0);
    assert.equal(await readFile(s.marker, 'utf8'), sha512(installer));

    const refused = await fresh();
    const refuses = {
      ...standInPort(refused.marker),
      outsideService: async () => ['sh', '-c', 'echo "Failed to start transient service unit: Access denied" >&2; exit 1'],
    };
    await runUpdateStep({ ...refused.options, port: refuses });
    const rec = (await refused.record())!;
    assert.equal(rec.installing, null);
    assert.match(rec.last?.what === 'failed' ? rec.last.reason : '', /sh exited with 1: Failed to start transient service unit/);
    assert.equal(await refused.ran(), false);
  });

  it('without an updates block (or disabled) it does nothing at all', async () => {
    for (const off of [undefined, { ...settings, enabled: false }]) {
      const s = await fresh({ settings: off });
      assert.equal(await runUpdateStep(s.options), null);
      assert.equal(await s.record(), undefined);
    }
  });
});

describe('update client against a misbehaving feed', () => {
  const key = generateKeyPairSync('ed25519');
  const publicKey = publicKeyToBase64(key.publicKey);
  const index = Buffer.from(indexYaml('0.3.0', [entry(NAME, installer)]));
  let behaviour: 'cut' | 'more' | 'unsigned' = 'cut';
  let server: Server;
  let url: string;
  before(async () => {
    server = createServer((req, res) => {
      if (req.url === '/updates/stable/latest-linux.yml') {
        if (behaviour !== 'unsigned')
          res.setHeader(
            UPDATE_SIGNATURE_HEADER,
            signUpdateIndex(
              'stable',
              'latest-linux.yml',
              index,
              createPrivateKey(key.privateKey.export({ format: 'pem', type: 'pkcs8' })),
            ),
          );
        return void res.end(index);
      }
      if (req.url === `/updates/stable/${NAME}`) {
        if (behaviour === 'cut') {
          // Announces the whole file, sends half, drops the connection.
          res.writeHead(200, { 'content-length': installer.length });
          res.write(installer.subarray(0, installer.length / 2));
          return void setTimeout(() => res.socket?.destroy(), 50);
        }
        // No length announced, and more bytes than the index says.
        res.writeHead(200);
        res.write(installer);
        return void res.end(Buffer.alloc(1024 * 1024));
      }
      res.statusCode = 404;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(() => server.close());

  for (const [b, code] of [
    ['cut', 'DOWNLOAD_FAILED'],
    ['more', 'DOWNLOAD_TOO_LARGE'],
    ['unsigned', 'INDEX_UNSIGNED'],
  ] as const)
    it(`${b}: ${code}, no file left, nothing run`, async () => {
      behaviour = b;
      const s = await fresh({ serverUrl: url, policyPublicKey: publicKey });
      await runUpdateStep(s.options);
      await s.refused(code);
    });
});
