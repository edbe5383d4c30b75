/**
 * The device list at fleet scale, for correctness (bench:server measures its speed): a seeded fleet of thousands of
 * devices is paged through GET /api/v1/admin/devices with every kind of filter and sort, and the concatenated pages
 * must equal a brute-force filter and sort of all rows — each device exactly once, in order. The fleet has an app
 * above and one below SELECTIVE_APP_ROWS, so both ways of answering the app filter are compared with the truth.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seedFleet } from '../../bench/server-fleet.js';
import type { DeviceRow } from '../../server/db/schema.js';
import { SELECTIVE_APP_ROWS } from '../../server/repositories/devices.js';
import { createTestApp, DIALECTS, postgresUnavailable } from './helpers.js';

const FLEET = 6000;
const PAGE = 250;
const DAY = 24 * 3600_000;

type Sort = 'lastSeen' | 'hostname' | 'enrolledAt' | 'status';
const COLUMN = { lastSeen: 'last_seen_at', hostname: 'hostname', enrolledAt: 'enrolled_at', status: 'status' } as const;

interface Case {
  name: string;
  query: Record<string, string>;
  keep: (d: DeviceRow, apps: Set<string>) => boolean;
}

for (const dialect of DIALECTS) {
  describe(`device list of a ${FLEET.toLocaleString('en')}-device fleet on ${dialect}`, () => {
    it('pages through every filter and sort exactly as a brute-force filter and sort of all rows', async (t) => {
      if (dialect === 'postgres') {
        const why = await postgresUnavailable();
        if (why) return t.skip(why);
      }
      const app = await createTestApp(dialect);
      try {
        const now = Date.now();
        const { summary } = await seedFleet(app.db.handle.db, FLEET, { now, seed: 7, violationShare: 0.35 });
        const whatsapp = summary.byApp.whatsapp ?? 0;
        const kik = summary.byApp.kik ?? 0;
        assert.ok(whatsapp > SELECTIVE_APP_ROWS, `whatsapp on ${whatsapp} devices: the probing path must be exercised`);
        assert.ok(kik > 0 && kik <= SELECTIVE_APP_ROWS, `kik on ${kik} devices: the selective path must be exercised`);

        const devices = await app.db.handle.db.selectFrom('devices').selectAll().execute();
        const appsOf = new Map<string, Set<string>>();
        for (const a of await app.db.handle.db.selectFrom('device_apps').selectAll().execute()) {
          appsOf.set(a.device_id, (appsOf.get(a.device_id) ?? new Set()).add(a.app_id));
        }
        const staleBefore = now - 3 * DAY;
        const cases: Case[] = [
          { name: 'everything, newest first', query: {}, keep: () => true },
          { name: 'oldest first', query: { sort: 'lastSeen', order: 'asc' }, keep: () => true },
          { name: 'common app', query: { app: 'whatsapp' }, keep: (_, a) => a.has('whatsapp') },
          { name: 'rare app', query: { app: 'kik' }, keep: (_, a) => a.has('kik') },
          { name: 'app nobody has', query: { app: 'threema' }, keep: (_, a) => a.has('threema') },
          {
            name: 'common app on macOS',
            query: { app: 'whatsapp', os: 'macos' },
            keep: (d, a) => a.has('whatsapp') && d.os === 'macos',
          },
          {
            name: 'rare app, by hostname',
            query: { app: 'kik', sort: 'hostname', order: 'asc' },
            keep: (_, a) => a.has('kik'),
          },
          {
            name: 'telegram by enrollment',
            query: { app: 'telegram', sort: 'enrolledAt', order: 'asc' },
            keep: (_, a) => a.has('telegram'),
          },
          {
            name: 'two statuses on macOS',
            query: { status: 'violation,warning', os: 'macos' },
            keep: (d) => (d.status === 'violation' || d.status === 'warning') && d.os === 'macos',
          },
          {
            name: 'not seen for 3 days',
            query: { lastSeenBefore: new Date(staleBefore).toISOString() },
            keep: (d) => d.last_seen_at < staleBefore,
          },
          {
            name: 'hostname prefix',
            query: { hostname: 'SOZIAL-', sort: 'hostname', order: 'desc' },
            keep: (d) => d.hostname.startsWith('SOZIAL-'),
          },
          { name: 'by status on Linux', query: { sort: 'status', os: 'linux' }, keep: (d) => d.os === 'linux' },
        ];
        const token = await app.adminToken();
        for (const c of cases) {
          const sort = (c.query.sort ?? 'lastSeen') as Sort;
          const dir = c.query.order === 'asc' ? 1 : -1;
          const col = COLUMN[sort];
          const expected = devices
            .filter((d) => c.keep(d, appsOf.get(d.id) ?? new Set()))
            .sort((a, b) => {
              const x = a[col];
              const y = b[col];
              if (x !== y) return (x < y ? -1 : 1) * dir;
              return (a.id < b.id ? -1 : 1) * dir;
            })
            .map((d) => d.id);
          const got: string[] = [];
          let cursor: string | null = null;
          for (let pages = 0; ; pages++) {
            assert.ok(pages <= FLEET / PAGE + 1, `${c.name}: paging does not end`);
            const query: URLSearchParams = new URLSearchParams({
              ...c.query,
              limit: String(PAGE),
              ...(cursor ? { cursor } : {}),
            });
            const res: { statusCode: number; body: string; json(): unknown } = await app.app.inject({
              method: 'GET',
              url: `/api/v1/admin/devices?${query}`,
              headers: { authorization: `Bearer ${token}` },
            });
            assert.equal(res.statusCode, 200, `${c.name}: ${res.body}`);
            const body = res.json() as { items: { id: string }[]; nextCursor: string | null };
            got.push(...body.items.map((d) => d.id));
            cursor = body.nextCursor;
            if (!cursor) break;
          }
          assert.equal(got.length, expected.length, `${c.name}: number of devices`);
          assert.deepEqual(got, expected, `${c.name}: devices and order`);
        }
      } finally {
        await app.close();
      }
    });
  });
}
