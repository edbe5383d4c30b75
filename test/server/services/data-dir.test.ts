/**
 * Issue 14, finding 6: modes were set only when the data folder was created, and SQLite followed the umask, so an
 * existing folder (or a restored copy) left the database — admin password hashes, device token hashes — readable by
 * every local user. Every start now enforces 0700 on the folder and 0600 on the database, its -wal/-shm and the secrets.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startServer } from '../../../server/start.js';
import { tempDir, testConfig } from '../helpers.js';

const mode = (path: string) => statSync(path).mode & 0o777;
const octal = (m: number) => `0${m.toString(8)}`;

describe('data folder modes', { skip: process.platform === 'win32' ? 'POSIX modes do not exist on Windows' : false }, () => {
  it('a pre-existing world-readable folder and files are tightened on every start', async () => {
    const tmp = tempDir();
    const dataDir = join(tmp.dir, 'data');
    const old = process.umask(0o022);
    try {
      mkdirSync(dataDir, { mode: 0o777 });
      chmodSync(dataDir, 0o777);
      // First start in the loose folder.
      let server = await startServer(testConfig(dataDir), { logger: false });
      await server.close();
      const files = ['appwacht.sqlite', 'policy-signing-key.pem', 'enrollment-secret', 'session-secret', 'server.json'];
      assert.equal(octal(mode(dataDir)), '0700', 'the folder');
      for (const f of files) assert.equal(octal(mode(join(dataDir, f))), '0600', f);

      // Someone loosens everything again (a restore from backup, a careless chmod -R), and leaves WAL files behind.
      chmodSync(dataDir, 0o755);
      for (const f of files) chmodSync(join(dataDir, f), 0o644);
      for (const f of ['appwacht.sqlite-wal', 'appwacht.sqlite-shm']) writeFileSync(join(dataDir, f), '', { mode: 0o644 });
      server = await startServer(testConfig(dataDir), { logger: false });
      try {
        assert.equal(octal(mode(dataDir)), '0700', 'the folder after a restart');
        for (const f of [...files, 'appwacht.sqlite-wal', 'appwacht.sqlite-shm'])
          assert.equal(octal(mode(join(dataDir, f))), '0600', `${f} after a restart`);
        // The server still works on the tightened files.
        const res = await server.app.inject({ method: 'GET', url: '/readyz' });
        assert.equal(res.statusCode, 200);
      } finally {
        await server.close();
      }
    } finally {
      process.umask(old);
      tmp.remove();
    }
  });
});
