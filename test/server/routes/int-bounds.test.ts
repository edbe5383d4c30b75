/**
 * Issue 14, finding 7: a device or an admin could make PostgreSQL answer 500 — `policyVersion: 2147483648` overflowed
 * the int4 column, and a device-list cursor whose value had the wrong type for its sort key reached the query. Integers
 * are now bounded to their columns and cursor values are typed per sort key: 400, on both dialects.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe } from 'node:test';
import { appTest, bearer, DIALECTS, validReport } from '../helpers.js';

const INT4_MAX = 2_147_483_647;
const cursor = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

for (const dialect of DIALECTS) {
  describe(`integer and cursor bounds on ${dialect}`, () => {
    const withApp = appTest(dialect);

    withApp('a report with policyVersion beyond int4 is a 400, the largest int4 is stored', async (t) => {
      const d = await t.enroll();
      const post = (policyVersion: number) =>
        t.app.inject({
          method: 'POST',
          url: '/api/v1/reports',
          headers: bearer(d.deviceToken),
          payload: validReport({ policyVersion }),
        });
      const over = await post(INT4_MAX + 1);
      assert.equal(over.statusCode, 400, over.body);
      assert.equal(over.json().code, 'VALIDATION');
      assert.equal((await post(INT4_MAX)).statusCode, 201);
      assert.equal((await t.app.appwacht.repos.devices.get(d.deviceId))?.policy_version, INT4_MAX);
    });

    withApp('device-list cursors of the wrong type for their sort key are a 400, good ones page on', async (t) => {
      for (let i = 0; i < 3; i++) await t.enroll({ hostname: `PC-${i}` });
      const token = await t.adminToken();
      const list = (query: string) =>
        t.app.inject({ method: 'GET', url: `/api/v1/admin/devices?${query}`, headers: bearer(token) });
      const id = randomUUID();
      const bad: [string, unknown][] = [
        ['sort=lastSeen', { s: 'lastSeen', o: 'desc', v: 'not-a-time', i: id }],
        ['sort=enrolledAt&order=asc', { s: 'enrolledAt', o: 'asc', v: 'x', i: id }],
        ['sort=hostname&order=asc', { s: 'hostname', o: 'asc', v: 12345, i: id }],
        ['sort=status&order=asc', { s: 'status', o: 'asc', v: 7, i: id }],
        ['sort=status&order=asc', { s: 'status', o: 'asc', v: 'no-such-status', i: id }],
        ['sort=lastSeen', { s: 'lastSeen', o: 'desc', v: 2 ** 63, i: id }],
        ['sort=lastSeen', { s: 'lastSeen', o: 'desc', v: -1, i: id }],
        ['sort=lastSeen', { s: 'lastSeen', o: 'desc', v: 1.5, i: id }],
      ];
      for (const [query, value] of bad) {
        const res = await list(`${query}&cursor=${cursor(value)}`);
        assert.equal(res.statusCode, 400, `${query} ${JSON.stringify(value)}: ${res.body}`);
        assert.equal(res.json().code, 'BAD_CURSOR');
      }
      // A real cursor still pages.
      const first = await list('sort=hostname&order=asc&limit=2');
      const page = first.json() as { items: { hostname: string }[]; nextCursor: string };
      assert.deepEqual(
        page.items.map((d) => d.hostname),
        ['PC-0', 'PC-1'],
      );
      const next = await list(`sort=hostname&order=asc&limit=2&cursor=${page.nextCursor}`);
      assert.deepEqual(
        (next.json() as { items: { hostname: string }[] }).items.map((d) => d.hostname),
        ['PC-2'],
      );
    });

    withApp('admin integers beyond their columns are a 400: policy paging, report-history cursor', async (t) => {
      const token = await t.adminToken();
      const d = await t.enroll();
      const get = (url: string) => t.app.inject({ method: 'GET', url, headers: bearer(token) });
      for (const url of [
        `/api/v1/admin/policies?before=${INT4_MAX + 1}`,
        `/api/v1/admin/policies/${INT4_MAX + 1}`,
        `/api/v1/admin/devices/${d.deviceId}?reportsCursor=${cursor([2 ** 63, randomUUID()])}`,
        `/api/v1/admin/audit?before=${2 ** 63}`,
      ]) {
        const res = await get(url);
        assert.equal(res.statusCode, 400, `${url}: ${res.body}`);
      }
      assert.equal((await get(`/api/v1/admin/policies?before=${INT4_MAX}`)).statusCode, 200);
    });
  });
}
