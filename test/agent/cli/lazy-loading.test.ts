/**
 * What a short CLI command loads: each command's module (and zod, the inventory, the HTTP client behind it) only when
 * that command runs. Recorded with the loader hook of the supervisor test while the real CLI runs; the start-up figures
 * these keep are in BENCHMARKS.md ("Start-up").
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { commands } from '../../../agent/cli/commands/index.js';
import { loadDefaultPolicy } from '../../../agent/policy/default-policy.js';
import { recordChecked } from '../../../agent/policy/checked-marker.js';
import { createFilePolicyStore } from '../../../agent/policy/store.js';
import { emptyState } from '../../../agent/runtime/state.js';
import { generateSigningKeys, signPayload } from '../../../protocol/signing.js';
import { STATE_FILES, statePath } from '../../../agent/state/names.js';
import { AGENT_VERSION } from '../../../agent/version.js';
import { REPO } from '../../helpers/cli.js';
import { loadedSources } from '../../helpers/loaded-sources.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'appwacht-lazy-'));
});
after(() => rm(dir, { recursive: true, force: true }));

/** Runs `appwacht <args>` under the import recorder; the source files it loaded. */
async function sourcesLoadedBy(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  const out = join(dir, `${args.join('_').replace(/\W/g, '')}.txt`);
  const child = spawn(
    process.execPath,
    ['--import', join(REPO, 'test', 'fixtures', 'runtime', 'record-imports.mjs'), join(REPO, 'bin', 'appwacht.js'), ...args],
    {
      cwd: REPO,
      env: {
        ...process.env,
        HOME: dir,
        APPWACHT_STATE_DIR: join(dir, 'state'),
        APPWACHT_RECORD_IMPORTS: out,
        LANG: 'C.UTF-8',
        ...env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  assert.ok(code !== null && code <= 3 && !/unexpected/.test(stderr), `appwacht ${args.join(' ')} exited ${code}: ${stderr}`);
  const urls = (await readFile(out, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' ')[1]!);
  return loadedSources(urls);
}

describe('lazy command loading', () => {
  it('lists every command by the name its module gives it', async () => {
    for (const entry of commands) assert.equal((await entry.load()).name, entry.name);
  });

  it('--help loads no command module, no zod and no protocol schemas', async () => {
    const loaded = await sourcesLoadedBy(['--help']);
    assert.ok(loaded.includes('agent/cli/main.ts'), 'the recorder saw the CLI: an empty list would prove nothing');
    assert.deepEqual(
      loaded.filter((s) => /^agent\/cli\/commands\/(?!index)|^node_modules\/zod\/|^protocol\//.test(s)),
      [],
    );
  });

  // protocol/public-key.ts (the key check) and protocol/updates.ts (the UpdateChannel setting's pattern) hold no zod;
  // protocol/signing.ts would load node:crypto.
  it('status, with a state file the agent wrote, loads its own command only: no zod, catalog, inventory, HTTP or plist', async () => {
    await mkdir(join(dir, 'state'), { recursive: true });
    await writeFile(join(dir, 'state', STATE_FILES.runtimeState), JSON.stringify(emptyState(new Date(), 1, '0.1.0')));
    for (const args of [['status'], ['status', '--json']]) {
      const loaded = await sourcesLoadedBy(args);
      assert.ok(loaded.includes('agent/cli/commands/status.ts'));
      assert.deepEqual(
        loaded.filter((s) =>
          /^agent\/cli\/commands\/(scan|run|inventory|enroll|config)\.ts$|^agent\/(inventory\/sources|catalog)\/|^node_modules\/(zod|undici|plist|@xmldom|bplist-parser)\/|^protocol\/(?!public-key|updates)/.test(
            s,
          ),
        ),
        [],
        args.join(' '),
      );
    }
  });

  // The inventory's capture check (capture-check.ts, the one inventory module that imports zod) is for data read from
  // disk; what a live scan collected comes from our own typed code.
  it('a scan of this (Linux) machine loads the Linux sources only: no other OS’s source, plist parser or capture check', async (t) => {
    if (process.platform !== 'linux') return t.skip('checks the Linux scan');
    const loaded = await sourcesLoadedBy(['scan', '--json']);
    assert.ok(loaded.includes('agent/inventory/sources/dpkg.ts'), 'the recorder saw the Linux sources');
    assert.deepEqual(
      loaded.filter((s) =>
        /^agent\/inventory\/(capture-check\.ts|sources\.(windows|macos)\.ts|sources\/(registry|windows-commands|appx|bundles|plist)\.ts)$|^node_modules\/(plist|@xmldom|bplist-parser)\//.test(
          s,
        ),
      ),
      [],
    );
  });

  // The bundled policy is checked by the build (scripts/check-default-policy.ts). The server's signed policy has its
  // signature verified on every read; the schemas (zod) are needed only for bytes this agent version has not checked in
  // full before (agent/policy/checked-marker.ts).
  const zodCode = (s: string) =>
    /^node_modules\/zod\/|^protocol\/(common|matcher|policy|report|enrollment)\.ts$|^agent\/policy\/(store|signed|policy-file|default-policy-check)\.ts$/.test(
      s,
    );
  const signatureCode = (s: string) => /^protocol\/signing\.ts$|^agent\/policy\/signature-check\.ts$/.test(s);

  it('a scan in local mode loads no zod, no protocol schema and no signature code', async () => {
    const local = await sourcesLoadedBy(['scan', '--json']);
    assert.ok(local.includes('agent/policy/default-policy.ts'), 'the recorder saw the bundled policy');
    assert.deepEqual(
      local.filter((s) => zodCode(s) || signatureCode(s)),
      [],
    );
  });

  it('an enrolled scan verifies the signature; it loads zod only without the agent’s checked marker (or with a stale one), and writes no marker itself', async () => {
    const stateDir = join(dir, 'enrolled-state');
    const keys = generateSigningKeys();
    // As the agent saves a policy it has checked: the cache and the marker.
    await createFilePolicyStore(stateDir).save({
      signed: signPayload(JSON.stringify(loadDefaultPolicy()), keys.privateKeyPem),
      receivedAt: new Date(),
    });
    const enrolledScan = () =>
      sourcesLoadedBy(['scan', '--json'], {
        APPWACHT_STATE_DIR: stateDir,
        APPWACHT_SERVER_URL: 'https://appwacht.intranet.example',
        APPWACHT_POLICY_PUBLIC_KEY: keys.publicKey,
      });
    const markerPath = statePath(stateDir, 'policyChecked');
    const cacheText = await readFile(statePath(stateDir, 'policy'), 'utf8');

    const withMarker = await enrolledScan();
    assert.ok(withMarker.includes('agent/policy/checked-marker.ts'), 'the recorder saw the cache read');
    for (const file of ['protocol/signing.ts', 'agent/policy/signature-check.ts'])
      assert.ok(withMarker.includes(file), `the signature is verified with ${file}`);
    assert.deepEqual(withMarker.filter(zodCode), [], 'no zod, no schemas');

    const stale = { name: 'stale', prepare: () => recordChecked(stateDir, cacheText, `${AGENT_VERSION}-older`) };
    const missing = { name: 'missing', prepare: () => rm(markerPath) };
    for (const { name, prepare } of [stale, missing]) {
      await prepare();
      const marker = await readFile(markerPath, 'utf8').catch(() => 'none');
      const loaded = await enrolledScan();
      for (const file of [
        'node_modules/zod/v4/core/core.js',
        'protocol/policy.ts',
        'agent/policy/signed.ts',
        'protocol/signing.ts',
      ])
        assert.ok(loaded.includes(file), `marker ${name}: the cached policy is checked in full, with ${file}`);
      assert.equal(
        await readFile(markerPath, 'utf8').catch(() => 'none'),
        marker,
        `marker ${name}: the scan leaves it to the agent`,
      );
    }
  });

  it('a scan of a Linux capture (--from) loads the capture check and the Linux sources, no other OS’s', async () => {
    const capture = join(dir, 'linux-capture.json');
    const data = { present: false };
    await writeFile(
      capture,
      JSON.stringify({
        format: 'appwacht-raw-inventory',
        version: 1,
        os: 'linux',
        root: '/',
        collectedAt: new Date().toISOString(),
        sources: { dpkg: { ok: true, ms: 1, data }, rpm: { ok: true, ms: 1, data } },
      }),
    );
    const loaded = await sourcesLoadedBy(['scan', '--json', '--from', capture]);
    assert.ok(loaded.includes('agent/inventory/capture-check.ts'), 'a capture is checked');
    assert.ok(loaded.includes('agent/inventory/sources/dpkg.ts'));
    assert.deepEqual(
      loaded.filter((s) => /^agent\/inventory\/sources\/(registry|appx|bundles)\.ts$/.test(s)),
      [],
    );
  });

  it('the bundle holds the plist parser but not its builder (xmlbuilder): the agent only reads property lists', async () => {
    const meta = JSON.parse(await readFile(join(REPO, 'dist', 'cli', 'meta.json'), 'utf8')) as {
      outputs: Record<string, { inputs: Record<string, unknown> }>;
    };
    const inputs = Object.values(meta.outputs).flatMap((o) => Object.keys(o.inputs));
    assert.ok(
      inputs.some((i) => i.startsWith('node_modules/plist/')),
      'plist is in the bundle',
    );
    assert.deepEqual(
      inputs.filter((i) => i.startsWith('node_modules/xmlbuilder/') || /node_modules\/plist\/dist\/build/.test(i)),
      [],
    );
  });
});
