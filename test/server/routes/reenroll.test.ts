import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { appTest, bearer, DIALECTS, finding, type TestApp, validHost, validReport } from '../helpers.js';

/**
 * Issue 14, finding 1: with the enrollment secret and a victim's machine id, re-enrolling used to hand out the
 * victim's device id and a new token while the victim's token died. Re-enrolling a known machine now needs its
 * current token, or an admin's approval of a recorded request.
 */
for (const dialect of DIALECTS) {
  describe(`re-enrollment on ${dialect}`, () => {
    const withApp = appTest(dialect);

    const enrollRaw = (t: TestApp, host: ReturnType<typeof validHost>, headers: Record<string, string> = {}) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/enroll',
        headers,
        payload: { enrollmentSecret: t.secrets.enrollmentSecret, host },
      });
    const report = (t: TestApp, token: string, r = validReport()) =>
      t.app.inject({ method: 'POST', url: '/api/v1/reports', headers: bearer(token), payload: r });
    const admin = async (t: TestApp, method: 'GET' | 'POST', url: string) =>
      t.app.inject({ method, url: `/api/v1/admin${url}`, headers: bearer(await t.adminToken()) });

    withApp('the review reproduction: secret + victim machine id no longer takes the device over', async (t) => {
      const victim = await t.enroll({ hostname: 'PC-VICTIM' });
      assert.equal((await report(t, victim.deviceToken)).statusCode, 201);

      const attack = await enrollRaw(t, { ...victim.host, hostname: 'PC-ATTACKER', osUser: 'CITY\\mallory' });
      assert.equal(attack.statusCode, 202, attack.body);
      const answer = attack.json() as { deviceId: string; deviceToken: string; pendingApproval?: boolean };
      assert.equal(answer.pendingApproval, true);
      assert.notEqual(answer.deviceToken, victim.deviceToken);

      // The victim keeps working; the attacker's token is good for nothing until an admin approves.
      assert.equal((await report(t, victim.deviceToken)).statusCode, 201);
      const forged = await report(t, answer.deviceToken, validReport({ findings: [finding('whatsapp')] }));
      assert.equal(forged.statusCode, 403);
      assert.equal(forged.json().code, 'ENROLLMENT_PENDING');
      assert.ok(Number(forged.headers['retry-after']) > 0, 'a pending agent is told when to ask again');
      const policy = await t.app.inject({ method: 'GET', url: '/api/v1/policy', headers: bearer(answer.deviceToken) });
      assert.equal(policy.statusCode, 403);
      const d = await t.app.appwacht.repos.devices.get(victim.deviceId);
      assert.equal(d?.hostname, 'PC-VICTIM', 'host facts of the device are untouched');
      assert.equal(d?.status, 'compliant');

      const listed = await admin(t, 'GET', '/enrollment-requests');
      assert.equal(listed.statusCode, 200, listed.body);
      const items = (listed.json() as { items: Record<string, unknown>[] }).items;
      assert.equal(items.length, 1);
      assert.equal(items[0]!.deviceId, victim.deviceId);
      assert.equal(items[0]!.hostname, 'PC-ATTACKER');
      assert.equal(items[0]!.deviceHostname, 'PC-VICTIM');
      assert.equal(items[0]!.status, 'pending');

      const denied = await admin(t, 'POST', `/enrollment-requests/${items[0]!.id as string}/deny`);
      assert.equal(denied.statusCode, 200, denied.body);
      assert.equal((await report(t, answer.deviceToken)).statusCode, 401, 'a denied request token is dead');
      assert.equal((await report(t, victim.deviceToken)).statusCode, 201);
      const again = await admin(t, 'POST', `/enrollment-requests/${items[0]!.id as string}/approve`);
      assert.equal(again.statusCode, 409, 'a decided request cannot be decided again');

      const audit = await t.app.appwacht.repos.audit.list({ limit: 20 });
      const actions = audit.map((a) => a.action);
      assert.ok(actions.includes('device.reenroll.request'), actions.join());
      assert.ok(actions.includes('device.reenroll.deny'), actions.join());
      assert.ok(!actions.includes('device.reenroll'), 'no silent transfer happened');
    });

    withApp('re-enrolling with the current token: same device, new token, the old one dies', async (t) => {
      const first = await t.enroll({ hostname: 'PC-1' });
      const res = await enrollRaw(t, { ...first.host, hostname: 'PC-1-renamed' }, bearer(first.deviceToken));
      assert.equal(res.statusCode, 200, res.body);
      const again = res.json() as { deviceId: string; deviceToken: string; pendingApproval?: boolean };
      assert.equal(again.deviceId, first.deviceId);
      assert.equal(again.pendingApproval, undefined);
      assert.notEqual(again.deviceToken, first.deviceToken);
      assert.equal((await report(t, first.deviceToken)).statusCode, 401);
      assert.equal((await report(t, again.deviceToken)).statusCode, 201);
      assert.equal((await t.app.appwacht.repos.devices.get(first.deviceId))?.hostname, 'PC-1-renamed');
      assert.equal(await t.app.appwacht.repos.devices.count(), 1);
    });

    withApp('a token of another device is no proof for this machine', async (t) => {
      const victim = await t.enroll();
      const other = await t.enroll();
      const res = await enrollRaw(t, victim.host, bearer(other.deviceToken));
      assert.equal(res.statusCode, 202, res.body);
      assert.equal((await report(t, victim.deviceToken)).statusCode, 201);
      assert.equal((await report(t, other.deviceToken)).statusCode, 201, 'presenting a token does not cost it');
    });

    withApp('an approved request takes over the device: the new token works, the old one dies', async (t) => {
      // The laptop was reinstalled and lost its token; IT approves its request.
      const old = await t.enroll({ hostname: 'PC-7' });
      const res = await enrollRaw(t, { ...old.host, hostname: 'PC-7' });
      assert.equal(res.statusCode, 202);
      const pending = res.json() as { deviceId: string; deviceToken: string };
      const [request] = (
        (await (await admin(t, 'GET', '/enrollment-requests?status=pending')).json()) as { items: { id: string }[] }
      ).items;
      const approved = await admin(t, 'POST', `/enrollment-requests/${request!.id}/approve`);
      assert.equal(approved.statusCode, 200, approved.body);
      assert.equal((approved.json() as { status: string }).status, 'approved');
      assert.equal((await report(t, pending.deviceToken)).statusCode, 201);
      assert.equal((await report(t, old.deviceToken)).statusCode, 401);
      assert.equal(await t.app.appwacht.repos.devices.count(), 1);
      const actions = (await t.app.appwacht.repos.audit.list({ limit: 20 })).map((a) => a.action);
      assert.ok(actions.includes('device.reenroll.approve'), actions.join());
      const none = (await (await admin(t, 'GET', '/enrollment-requests?status=pending')).json()) as { items: unknown[] };
      assert.deepEqual(none.items, []);
    });

    withApp('cloned images (one machine id, two laptops) do not merge: the second waits for an admin', async (t) => {
      const shared = validHost();
      const a = await enrollRaw(t, { ...shared, hostname: 'PC-A' });
      const b = await enrollRaw(t, { ...shared, hostname: 'PC-B' });
      assert.equal(a.statusCode, 200);
      assert.equal(b.statusCode, 202);
      const tokenA = (a.json() as { deviceToken: string }).deviceToken;
      const tokenB = (b.json() as { deviceToken: string }).deviceToken;
      assert.equal((await report(t, tokenA)).statusCode, 201);
      assert.equal((await report(t, tokenB)).statusCode, 403);
      assert.equal(await t.app.appwacht.repos.devices.count(), 1);
    });

    withApp('open requests per machine are capped (an attacker cannot flood the admin list)', async (t) => {
      const victim = await t.enroll();
      const codes: number[] = [];
      for (let i = 0; i < 7; i++) codes.push((await enrollRaw(t, { ...victim.host, hostname: `X-${i}` })).statusCode);
      assert.deepEqual(codes, [202, 202, 202, 202, 202, 429, 429]);
      const last = await enrollRaw(t, victim.host);
      assert.equal(last.json().code, 'TOO_MANY_PENDING_ENROLLMENTS');
    });

    withApp('admin decisions need an admin and a real request', async (t) => {
      const anon = await t.app.inject({ method: 'GET', url: '/api/v1/admin/enrollment-requests' });
      assert.equal(anon.statusCode, 401);
      const missing = await admin(t, 'POST', '/enrollment-requests/00000000-0000-4000-8000-000000000000/approve');
      assert.equal(missing.statusCode, 404);
      const bad = await admin(t, 'POST', '/enrollment-requests/not-a-uuid/approve');
      assert.equal(bad.statusCode, 400);
    });
  });
}
