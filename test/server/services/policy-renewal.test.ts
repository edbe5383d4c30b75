/**
 * Issue 14 finding 2 on the server side: every policy gets a default expiry, and the newest version is renewed by
 * re-signing (same content, later issuedAt/expiresAt) in the second half of its validity — on a real SQLite file and on
 * PostgreSQL, through the real GET /policy route with a clock the test moves.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Policy, samePolicyContent, SignedPolicy } from '../../../protocol/policy.js';
import { policyEtag, publicKeyFromBase64, verifyPayload } from '../../../protocol/signing.js';
import { checkSuccessor } from '../../../agent/policy/signed.js';
import { bearer, createTestApp, DIALECTS, postgresUnavailable, type TestApp } from '../helpers.js';

const DAY = 86_400_000;

for (const dialect of DIALECTS) {
  describe(`policy expiry and renewal on ${dialect}`, () => {
    const withApp = (name: string, fn: (t: TestApp, clock: { at: number }) => Promise<void>) =>
      it(name, async (ctx) => {
        if (dialect === 'postgres') {
          const why = await postgresUnavailable();
          if (why) return ctx.skip(why);
        }
        const clock = { at: Date.parse('2026-03-01T08:00:00Z') };
        const t = await createTestApp(dialect, {}, () => clock.at);
        try {
          await fn(t, clock);
        } finally {
          await t.close();
        }
      });

    async function fetchPolicy(t: TestApp, token: string) {
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/policy', headers: bearer(token) });
      assert.equal(res.statusCode, 200);
      const signed = SignedPolicy.parse(res.json());
      const policy = Policy.parse(JSON.parse(verifyPayload(signed, publicKeyFromBase64(t.secrets.publicKey))));
      return { signed, policy, etag: res.headers.etag as string };
    }

    withApp(
      'gives a policy without expiresAt the default 14 days and renews it by re-signing in its second half',
      async (t, clock) => {
        const { deviceToken } = await t.enroll();
        const first = await fetchPolicy(t, deviceToken);
        assert.equal(first.policy.expiresAt, new Date(clock.at + 14 * DAY).toISOString());
        assert.equal(first.etag, policyEtag(first.signed));

        clock.at += 6 * DAY; // first half: unchanged, and a 304 for the held ETag
        const same = await fetchPolicy(t, deviceToken);
        assert.equal(same.signed.payload, first.signed.payload);
        const notModified = await t.app.inject({
          method: 'GET',
          url: '/api/v1/policy',
          headers: { ...bearer(deviceToken), 'if-none-match': first.etag },
        });
        assert.equal(notModified.statusCode, 304);

        clock.at += 2 * DAY; // day 8: second half — renewed
        const renewed = await fetchPolicy(t, deviceToken);
        assert.equal(renewed.policy.version, first.policy.version, 'a renewal is no new version');
        assert.ok(samePolicyContent(renewed.policy, first.policy), 'nothing but issuedAt/expiresAt changed');
        assert.equal(renewed.policy.expiresAt, new Date(clock.at + 14 * DAY).toISOString());
        assert.notEqual(renewed.etag, first.etag);
        // An agent holding the first signing takes the renewal, and refuses the first signing after it.
        checkSuccessor(
          { policy: renewed.policy, payload: renewed.signed.payload },
          { policy: first.policy, payload: first.signed.payload },
          new Date(clock.at),
        );
        assert.throws(
          () =>
            checkSuccessor(
              { policy: first.policy, payload: first.signed.payload },
              { policy: renewed.policy, payload: renewed.signed.payload },
              new Date(clock.at),
            ),
          { code: 'POLICY_OLDER' },
        );
        const old304 = await t.app.inject({
          method: 'GET',
          url: '/api/v1/policy',
          headers: { ...bearer(deviceToken), 'if-none-match': first.etag },
        });
        assert.equal(old304.statusCode, 200, 'the old ETag no longer matches');

        const audit = await t.app.appwacht.repos.audit.list({ limit: 10 });
        assert.deepEqual(
          audit.filter((a) => a.action === 'policy.renew').map((a) => a.target),
          ['policy:1'],
        );
        assert.equal((await fetchPolicy(t, deviceToken)).etag, renewed.etag, 'renewed once, not on every request');
      },
    );

    withApp("never extends an admin's own expiresAt", async (t, clock) => {
      const draft = Policy.parse(JSON.parse((await t.app.appwacht.policies.current())!.signed.payload));
      const { version: _v, issuedAt: _i, expiresAt: _e, ...rest } = draft;
      const expiresAt = new Date(clock.at + 4 * DAY).toISOString();
      await t.app.appwacht.policies.create({ ...rest, expiresAt }, 'admin');
      const { deviceToken } = await t.enroll();
      clock.at += 3 * DAY;
      const served = await fetchPolicy(t, deviceToken);
      assert.equal(served.policy.version, 2);
      assert.equal(served.policy.expiresAt, expiresAt);
    });

    withApp(
      'renews a policy stored before migration 0006 (no expiresAt, no renewal flag) at its first request',
      async (t, clock) => {
        const current = (await t.app.appwacht.policies.current())!;
        const legacy = Policy.parse(JSON.parse(current.signed.payload));
        delete legacy.expiresAt;
        // As 0001 wrote rows: no expiry in the payload, the column NULL.
        await t.db.handle.db
          .updateTable('policies')
          .set({ payload: JSON.stringify(legacy), etag: '"v1-legacy"', expiry_renewable: null })
          .where('version', '=', current.version)
          .execute();
        const fresh = await createTestAppSharing(t);
        try {
          const { deviceToken } = await t.enroll();
          const served = await fetchPolicy(fresh, deviceToken);
          assert.equal(served.policy.expiresAt, new Date(clock.at + 14 * DAY).toISOString());
          assert.equal(served.etag, policyEtag(served.signed));
        } finally {
          await fresh.app.close();
        }
      },
    );
  });
}

/** A second app on the same database (its policy cache empty), as after a server upgrade and restart. */
async function createTestAppSharing(t: TestApp): Promise<TestApp> {
  const { buildApp } = await import('../../../server/app.js');
  const app = await buildApp(t.config, {
    handle: t.db.handle,
    secrets: t.secrets,
    logger: false,
    now: () => Date.parse('2026-03-01T08:00:00Z'),
  });
  return { ...t, app, enroll: t.enroll };
}
