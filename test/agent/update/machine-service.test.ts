/**
 * The update client in a real machine service: `appwacht run --system` (the bundled CLI, as root, its own state folder)
 * against the real Appwacht server, whose admin publishes a policy with an `updates` block and a release in the feed.
 * The signed policy carries the block to the agent, the turn loads the update chunk, fetches and verifies the signed
 * index and records the outcome. The release holds only a Windows installer, so nothing can be installed on this
 * machine whatever it is: the test never touches the real appwacht package (test/build/linux-packages.test.ts does).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readRecord } from '../../../agent/update/record.js';
import { REPO, spawnMachineAgent } from '../../helpers/cli.js';
import { createTestApp, publishPolicyWith, type TestApp } from '../../server/helpers.js';
import { entry, indexYaml, publish } from './helpers.js';

const why =
  process.platform !== 'linux'
    ? 'the machine service is run as on Linux'
    : process.geteuid?.() !== 0
      ? 'appwacht run --system needs root'
      : !existsSync(join(REPO, 'dist', 'cli', 'appwacht.js'))
        ? 'dist/ is missing: run "npm run build" first (npm test does)'
        : undefined;

describe('update client in a real machine service', { skip: why ?? false }, () => {
  let t: TestApp;
  let base: string;
  let agent: ChildProcess;
  let log = (): string => '';

  before(async () => {
    t = await createTestApp('sqlite');
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const created = await publishPolicyWith(t, { updates: { enabled: true, channel: 'stable', checkEveryHours: 6 } });
    assert.equal(created.statusCode, 201, created.body);
    const exe = Buffer.from('a Windows installer, of no use here'.repeat(50));
    await publish(t.dataDir, 'stable', indexYaml('9.9.9', [entry('Appwacht-Setup-9.9.9.exe', exe)]), {
      'Appwacht-Setup-9.9.9.exe': exe,
    });
    base = await mkdtemp(join(tmpdir(), 'appwacht-update-service-'));
    ({ child: agent, log } = spawnMachineAgent(base, {
      APPWACHT_STATE_DIR: join(base, 'state'),
      APPWACHT_CHANNEL_DIR: join(base, 'channel'),
      APPWACHT_SERVER_URL: `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`,
      APPWACHT_ENROLLMENT_SECRET: t.secrets.enrollmentSecret,
      APPWACHT_POLICY_PUBLIC_KEY: t.secrets.publicKey,
    }));
  });
  after(async () => {
    if (agent && agent.exitCode === null) {
      agent.kill('SIGTERM');
      await new Promise((r) => agent.once('exit', r));
    }
    await t?.close();
    await rm(base, { recursive: true, force: true });
  });

  it('takes the signed updates block, checks the signed index, and records why the offer does not fit this machine', async () => {
    const deadline = Date.now() + 120_000;
    let record = await readRecord(join(base, 'state'));
    while (!record?.last) {
      if (agent.exitCode !== null || Date.now() > deadline)
        throw new Error(`no update event (agent exit ${agent.exitCode}):\n${log().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 500));
      record = await readRecord(join(base, 'state'));
    }
    assert.equal(record.lastCheck?.ok, true, 'the index came and its signature verified');
    assert.equal(record.last.what, 'refused', JSON.stringify(record.last));
    assert.equal(record.last.what === 'refused' && record.last.version, '9.9.9');
    // Not installed from a package here (a development checkout), or a deb install that finds no .deb in the release.
    assert.match(record.last.what === 'refused' ? record.last.reason : '', /not installed from a package|wanted \.(deb|rpm)/);
    assert.doesNotMatch(log(), /"level":"error"/);
  });
});
