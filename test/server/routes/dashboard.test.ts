/**
 * The dashboard's server side (issue 9): device states, the overview, the daily history the chart reads, the device
 * list's state/search/policy filters, the catalog and admin accounts. Real SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { dayOf, takeSnapshot } from '../../../server/services/compliance-history.js';
import { appTest, bearer, DIALECTS, finding, validReport, type TestApp } from '../helpers.js';

async function seed(t: TestApp) {
  const admin = bearer(await t.adminToken());
  const report = async (token: string, findings: ReturnType<typeof finding>[]) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/reports',
      headers: bearer(token),
      payload: validReport({ findings }),
    });
    assert.equal(res.statusCode, 201, res.body);
  };
  const clean = await t.enroll({ hostname: 'PC-CLEAN', osUser: 'CITY\\a.clean' });
  const bad = await t.enroll({ hostname: 'PC-BAD', osUser: 'CITY\\b.bad' });
  const silent = await t.enroll({ hostname: 'PC-NEVER', osUser: 'CITY\\c.never', os: 'linux' });
  const gone = await t.enroll({ hostname: 'PC-GONE', osUser: 'CITY\\d.gone' });
  await report(clean.deviceToken, []);
  await report(bad.deviceToken, [finding('whatsapp')]);
  await report(gone.deviceToken, []);
  assert.equal(
    (await t.app.inject({ method: 'POST', url: `/api/v1/admin/devices/${gone.deviceId}/retire`, headers: admin })).statusCode,
    204,
  );
  await t.app.appwacht.escalation.sweepOnce();
  return { admin, clean, bad, silent, gone };
}

for (const dialect of DIALECTS) {
  const test = appTest(dialect);
  describe(`dashboard API (${dialect})`, () => {
    test('counts devices per state, lists by state and search, and keeps a daily history', async (t) => {
      const { admin, clean, bad, silent, gone } = await seed(t);
      const overview = await t.app.inject({ url: '/api/v1/admin/overview', headers: admin });
      assert.equal(overview.statusCode, 200, overview.body);
      const o = overview.json();
      assert.equal(o.counts.compliant, 1);
      assert.equal(o.counts.never, 1);
      assert.equal(o.counts.retired, 1);
      const badState = ['violation', 'overdue', 'blocked'].find((s) => o.counts[s] === 1);
      assert.ok(badState, `the device with WhatsApp is in a failing state: ${JSON.stringify(o.counts)}`);
      assert.deepEqual(o.topApps, [{ appId: 'whatsapp', name: 'WhatsApp', devices: 1 }]);
      assert.deepEqual(o.history, [], 'no snapshot taken yet');

      const byState = async (state: string) =>
        (await t.app.inject({ url: `/api/v1/admin/devices?state=${state}`, headers: admin }))
          .json()
          .items.map((d: { id: string; state: string }) => [d.id, d.state]);
      assert.deepEqual(await byState(badState), [[bad.deviceId, badState]]);
      assert.deepEqual(await byState('never'), [[silent.deviceId, 'never']]);
      assert.deepEqual(
        (await byState('compliant,retired')).sort(),
        [
          [clean.deviceId, 'compliant'],
          [gone.deviceId, 'retired'],
        ].sort(),
      );
      const search = await t.app.inject({ url: '/api/v1/admin/devices?search=CITY%5Cc', headers: admin });
      assert.deepEqual(
        search.json().items.map((d: { hostname: string }) => d.hostname),
        ['PC-NEVER'],
      );
      const byHost = await t.app.inject({ url: '/api/v1/admin/devices?search=PC-B', headers: admin });
      assert.deepEqual(
        byHost.json().items.map((d: { hostname: string }) => d.hostname),
        ['PC-BAD'],
      );
      const v1 = await t.app.inject({ url: '/api/v1/admin/devices?policyVersion=1', headers: admin });
      assert.equal(v1.json().items.length, 3, 'the three devices that reported under version 1');

      const detail = await t.app.inject({ url: `/api/v1/admin/devices/${bad.deviceId}`, headers: admin });
      assert.equal(detail.json().state, badState);
      assert.equal(detail.json().ladder.reason, 'violation');

      const now = Date.now();
      await takeSnapshot(t.app.appwacht.repos, now);
      await takeSnapshot(t.app.appwacht.repos, now + 1000); // overwrites the day, never duplicates it
      const after = (await t.app.inject({ url: '/api/v1/admin/overview', headers: admin })).json();
      assert.deepEqual(after.history, [{ day: dayOf(now), counts: o.counts }]);
    });

    test('lists the catalog with what each app is recognised by per OS', async (t) => {
      const res = await t.app.inject({ url: '/api/v1/admin/catalog', headers: bearer(await t.adminToken()) });
      assert.equal(res.statusCode, 200, res.body);
      const whatsapp = res.json().items.find((a: { id: string }) => a.id === 'whatsapp');
      assert.ok(whatsapp.matches.windows.appxNames.length > 0);
      assert.ok(whatsapp.matches.macos.bundleIds.includes('net.whatsapp.WhatsApp'));
    });

    test('creates admins with a role; duplicate names and short passwords are refused', async (t) => {
      const admin = bearer(await t.adminToken());
      const post = (payload: object) => t.app.inject({ method: 'POST', url: '/api/v1/admin/admins', headers: admin, payload });
      assert.equal((await post({ username: 'lena', password: 'long enough password', role: 'readonly' })).statusCode, 201);
      assert.equal((await post({ username: 'lena', password: 'long enough password', role: 'admin' })).statusCode, 409);
      assert.equal((await post({ username: 'kurt', password: 'short', role: 'admin' })).statusCode, 400);
      assert.equal((await post({ username: '<b>x</b>', password: 'long enough password', role: 'admin' })).statusCode, 400);
      const list = (await t.app.inject({ url: '/api/v1/admin/admins', headers: admin })).json().items;
      assert.deepEqual(
        list.map((a: { username: string; role: string }) => [a.username, a.role]),
        [
          ['admin', 'admin'],
          ['lena', 'readonly'],
        ],
      );
    });
  });
}
