/**
 * What an employee sees of the update client: the machine service's tray channel (a real Unix socket with its file-claim
 * peer proof) serves update.json's last event — here written by a real update step whose server is gone — and
 * `appwacht status` of an employee (formatTrayState) words it in German and English. A damaged record shows nothing.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connectTray, type TrayConnection } from '../../../agent/channel/client.js';
import { formatTrayState } from '../../../agent/channel/format.js';
import type { StateMessage } from '../../../agent/channel/messages.js';
import { startTrayChannel, type TrayChannel } from '../../../agent/channel/server.js';
import { memoryLogger, silentLogger } from '../../../agent/log.js';
import { statePath } from '../../../agent/state/names.js';
import { runUpdateStep } from '../../../agent/update/step.js';
import { generateSigningKeys } from '../../../protocol/index.js';
import { standInPort } from './helpers.js';

describe('the update event over the tray channel', () => {
  let dir: string;
  let stateDir: string;
  let channel: TrayChannel;
  let conn: TrayConnection;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aw-update-channel-'));
    stateDir = join(dir, 'state');
    await mkdir(stateDir, { mode: 0o700 });
    channel = await startTrayChannel({ dir: join(dir, 'channel'), stateDir, log: silentLogger, requestCheck: () => {} });
    conn = await connectTray(join(dir, 'channel'));
  });
  after(async () => {
    conn?.close();
    await channel?.close();
    await rm(dir, { recursive: true, force: true });
  });
  const state = async () => (await conn.request({ type: 'read-state' })) as StateMessage;

  it('none before the client ever ran; then its last event, worded for the employee in both languages', async () => {
    assert.equal((await state()).update, null);
    await runUpdateStep({
      stateDir,
      serverUrl: 'http://127.0.0.1:1',
      fetch: globalThis.fetch,
      policyPublicKey: generateSigningKeys().publicKey,
      settings: { enabled: true, channel: 'stable', checkEveryHours: 6 },
      os: 'linux',
      arch: 'x64',
      port: standInPort(join(dir, 'never-ran')),
      current: '0.2.0',
      log: memoryLogger(),
    });
    const s = await state();
    assert.equal(s.update?.what === 'failed' && s.update.code, 'FEED_UNAVAILABLE');
    assert.match(
      formatTrayState(s, 'de'),
      /Aktualisierung: Update fehlgeschlagen beim Abruf des Update-Verzeichnisses .* FEED_UNAVAILABLE/,
    );
    assert.match(formatTrayState(s, 'en'), /Update: update failed checking the update feed .* FEED_UNAVAILABLE/);
  });

  it('a damaged update.json is served as no event', async () => {
    await writeFile(statePath(stateDir, 'update'), '{"format":"appwacht-update","version":1,"lastCheck":"yesterday"}');
    const s = await state();
    assert.equal(s.update, null);
    assert.doesNotMatch(formatTrayState(s, 'en'), /Update:/);
  });
});
