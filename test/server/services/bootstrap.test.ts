import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Policy } from '../../../protocol/policy.js';
import { ConfigError } from '../../../server/errors.js';
import { bootstrapDatabase, findDefaultPolicyFile, loadOrCreateSecrets } from '../../../server/services/bootstrap.js';
import { createTestDb, tempDir, testConfig } from '../helpers.js';

describe('first start', () => {
  it('creates the secrets once and reads the same ones on the next start', () => {
    const tmp = tempDir();
    try {
      const first = loadOrCreateSecrets(join(tmp.dir, 'data'));
      assert.deepEqual(first.created.sort(), ['enrollment-secret', 'policy-signing-key.pem', 'session-secret']);
      assert.match(first.publicKey, /^[A-Za-z0-9+/]{43}=$/);
      const second = loadOrCreateSecrets(join(tmp.dir, 'data'));
      assert.deepEqual(second.created, []);
      assert.equal(second.publicKey, first.publicKey);
      assert.equal(second.enrollmentSecret, first.enrollmentSecret);
    } finally {
      tmp.remove();
    }
  });

  it('refuses a damaged signing key with a message naming the file', () => {
    const tmp = tempDir();
    try {
      loadOrCreateSecrets(tmp.dir);
      writeFileSync(join(tmp.dir, 'policy-signing-key.pem'), '-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n');
      assert.throws(
        () => loadOrCreateSecrets(tmp.dir),
        (err: unknown) => err instanceof ConfigError && /policy-signing-key\.pem: not an Ed25519/.test(err.message),
      );
    } finally {
      tmp.remove();
    }
  });

  it('publishes the bundled assets/default-policy.json as version 1 and creates the first admin once', async (t) => {
    const file = findDefaultPolicyFile();
    if (file === null) return t.skip('assets/default-policy.json is not in this checkout');
    const tmp = tempDir();
    const db = await createTestDb('sqlite', { migrate: false });
    try {
      const config = { ...testConfig(tmp.dir), initialPolicyFile: null, firstAdmin: { username: 'admin', password: null } };
      const secrets = loadOrCreateSecrets(tmp.dir);
      const first = await bootstrapDatabase(db.handle, config, secrets);
      assert.equal(first.initialPolicyVersion, 1);
      assert.ok(first.firstAdmin?.generated);
      assert.ok(first.firstAdmin.password.length >= 20);
      const row = await db.handle.db.selectFrom('policies').selectAll().executeTakeFirstOrThrow();
      const policy = Policy.parse(JSON.parse(row.payload));
      assert.ok(policy.rules.length > 0);
      const again = await bootstrapDatabase(db.handle, config, secrets);
      assert.deepEqual(again, { migrations: [], firstAdmin: null, initialPolicyVersion: null });
    } finally {
      await db.cleanup();
      tmp.remove();
    }
  });
});
