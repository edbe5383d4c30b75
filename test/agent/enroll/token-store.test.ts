import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { chmod, mkdtemp, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileTokenStore, type DeviceCredentials, type TokenStore } from '../../../agent/enroll/token-store.js';

const creds = (): DeviceCredentials => ({
  serverUrl: 'https://appwacht.stadt.example',
  deviceId: randomUUID(),
  deviceToken: 't'.repeat(43),
  enrolledAt: new Date().toISOString(),
});

let dir: string;
let store: TokenStore;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'appwacht-token-'));
  store = createFileTokenStore(join(dir, 'state'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const posixOnly = process.platform === 'win32' ? 'POSIX permissions do not apply on Windows (ACLs do)' : false;

describe('createFileTokenStore()', () => {
  it('is missing before the first save, and round-trips a save', async () => {
    assert.deepEqual(await store.load(), { status: 'missing' });
    const c = creds();
    await store.save(c);
    assert.deepEqual(await store.load(), { status: 'ok', credentials: c });
  });

  it('writes the token owner-only in an owner-only folder', { skip: posixOnly }, async () => {
    await store.save(creds());
    assert.equal((await stat(store.location)).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, 'state'))).mode & 0o777, 0o700);
  });

  it('discards a token file others can read (wrong permissions) and says why', { skip: posixOnly }, async () => {
    await store.save(creds());
    await chmod(store.location, 0o644);
    const read = await store.load();
    assert.equal(read.status, 'unusable');
    assert.match(
      read.status === 'unusable' ? read.reason : '',
      /readable or writable by others \(mode 0644\); the token was discarded/,
    );
    await assert.rejects(stat(store.location), { code: 'ENOENT' }, 'the exposed token is gone');
    assert.deepEqual(await store.load(), { status: 'missing' });
  });

  it('discards a token file that is group-writable', { skip: posixOnly }, async () => {
    await store.save(creds());
    await chmod(store.location, 0o620);
    assert.equal((await store.load()).status, 'unusable');
  });

  it('discards a symlink planted where the token file belongs', { skip: posixOnly }, async () => {
    await store.save(creds());
    const elsewhere = join(dir, 'elsewhere.json');
    await writeFile(elsewhere, JSON.stringify(creds()), { mode: 0o600 });
    await rm(store.location);
    await symlink(elsewhere, store.location);
    const read = await store.load();
    assert.equal(read.status, 'unusable');
    assert.match(read.status === 'unusable' ? read.reason : '', /not a plain file/);
  });

  it('moves a corrupt token file aside', async () => {
    await store.save(creds());
    await writeFile(store.location, '{"deviceId": "trunc', { mode: 0o600 });
    const read = await store.load();
    assert.equal(read.status, 'unusable');
    assert.ok((await readdir(join(dir, 'state'))).some((n) => n.startsWith('device.json.corrupt-')));
  });

  it('rejects a token file with the wrong shape', async () => {
    await store.save(creds());
    await writeFile(store.location, JSON.stringify({ ...creds(), deviceToken: 'short' }), { mode: 0o600 });
    assert.equal((await store.load()).status, 'unusable');
  });

  it('clear() removes the token and tolerates a missing file', async () => {
    await store.save(creds());
    await store.clear();
    await store.clear();
    assert.deepEqual(await store.load(), { status: 'missing' });
  });

  it('replaces a wrongly-permissioned file with an owner-only one on save', { skip: posixOnly }, async () => {
    await store.save(creds());
    await chmod(store.location, 0o666);
    await store.save(creds());
    assert.equal((await stat(store.location)).mode & 0o777, 0o600);
  });
});
