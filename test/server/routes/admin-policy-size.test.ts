/**
 * Issue 14 finding 5: a 1.1 MB draft was signed and stored as version 2 and then answered 500; every agent refused it
 * (protocol cap: 1,000,000 characters of payload) and the fleet silently stayed on version 1.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SignedPolicy } from '../../../protocol/policy.js';
import { bearer, createTestApp, type TestApp } from '../helpers.js';
import policyFixture from '../../fixtures/server/default-policy.json' with { type: 'json' };

/** A valid draft whose serialized policy is about `rules` × 3.9 KB. */
function bigDraft(rules: number) {
  const { version: _v, issuedAt: _i, ...rest } = policyFixture;
  const text = (lang: string) => `${lang}: ${'Dieses Programm ist auf Dienstgeräten nicht erlaubt. '.repeat(35)}`.slice(0, 1900);
  return {
    ...rest,
    rules: Array.from({ length: rules }, (_, i) => ({
      id: `ban-custom-${i}`,
      custom: { name: `Messenger ${i}`, match: { processes: [`messenger${i}.exe`] } },
      action: 'ban',
      deadline: '2026-03-01T00:00:00Z',
      message: { de: text('de'), en: text('en') },
    })),
  };
}

describe('policy size (issue 14 finding 5)', () => {
  let t: TestApp;
  let token: string;
  before(async () => {
    t = await createTestApp('sqlite');
    token = await t.adminToken();
  });
  after(() => t.close());
  const publish = (payload: unknown) =>
    t.app.inject({ method: 'POST', url: '/api/v1/admin/policies', headers: bearer(token), payload: payload as object });

  it('answers 400 POLICY_TOO_LARGE for a policy over the protocol cap: nothing stored, no version used up', async () => {
    const draft = bigDraft(290);
    const body = JSON.stringify(draft);
    assert.ok(body.length > 1_000_000 && body.length < 2 * 1024 * 1024, `draft is ${body.length} characters`);
    const auditBefore = await t.app.appwacht.repos.audit.count();
    const res = await publish(draft);
    assert.equal(res.statusCode, 400, res.body.slice(0, 300));
    assert.equal(res.json().code, 'POLICY_TOO_LARGE');
    assert.match(res.json().message, /1000000/);
    assert.equal((await t.app.appwacht.policies.current())?.version, 1);
    assert.equal((await t.app.inject({ url: '/api/v1/admin/policies/2', headers: bearer(token) })).statusCode, 404);
    assert.equal(await t.app.appwacht.repos.audit.count(), auditBefore);
    // The next publish gets version 2: the refused one burned nothing.
    const next = await publish(bigDraft(2));
    assert.equal(next.statusCode, 201, next.body.slice(0, 300));
    assert.equal(next.json().version, 2);
  });

  it('accepts a large policy under the cap, and agents get one they can parse', async () => {
    const res = await publish(bigDraft(200));
    assert.equal(res.statusCode, 201, res.body.slice(0, 300));
    const dev = await t.enroll();
    const got = await t.app.inject({ url: '/api/v1/policy', headers: bearer(dev.deviceToken) });
    assert.equal(got.statusCode, 200);
    const signed = SignedPolicy.parse(got.json());
    assert.ok(signed.payload.length > 700_000, `payload ${signed.payload.length}`);
  });
});
