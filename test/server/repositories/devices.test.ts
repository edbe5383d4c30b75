import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { devicesRepo, type DeviceListQuery } from '../../../server/repositories/devices.js';
import { reportsRepo } from '../../../server/repositories/reports.js';
import { createTestDb, DIALECTS, finding, postgresUnavailable, validHost, validReport, type TestDb } from '../helpers.js';

for (const dialect of DIALECTS) {
  describe(`devicesRepo on ${dialect}`, () => {
    const withDb = (name: string, fn: (db: TestDb) => Promise<void>) =>
      it(name, async (ctx) => {
        if (dialect === 'postgres') {
          const why = await postgresUnavailable();
          if (why) return ctx.skip(why);
        }
        const db = await createTestDb(dialect);
        try {
          await fn(db);
        } finally {
          await db.cleanup();
        }
      });

    withDb('enroll() inserts once per machine id: racing enrollments make one device and change nothing else', async (db) => {
      const repo = devicesRepo(db.handle.db);
      const host = validHost();
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => repo.enroll(host, `hash-${i}`, 1000 + i)));
      assert.equal(new Set(results.map((r) => r.id)).size, 1);
      assert.equal(results.filter((r) => !r.reenrolled).length, 1);
      assert.equal(await repo.count(), 1);
      const winner = results.findIndex((r) => !r.reenrolled);
      const row = await repo.get(results[0]!.id);
      assert.equal(row?.token_hash, `hash-${winner}`, 'a known machine keeps its token: taking it over needs proof');
      // replaceToken() (after proof) keeps the first enrollment time and moves last-seen.
      await repo.replaceToken(row!.id, { ...host, hostname: 'PC-NEW' }, 'hash-late', 5000);
      const after = await repo.get(row!.id);
      assert.ok(after && after.enrolled_at >= 1000 && after.enrolled_at <= 1007);
      assert.equal(after.last_seen_at, 5000);
      assert.equal(after.token_hash, 'hash-late');
      assert.equal(after.hostname, 'PC-NEW');
    });

    withDb('stores timestamps as integer milliseconds and reads them back as numbers', async (db) => {
      const repo = devicesRepo(db.handle.db);
      const t = Date.parse('2026-05-04T03:02:01.123Z');
      const { id } = await repo.enroll(validHost(), 'h', t);
      const row = await repo.get(id);
      assert.equal(row?.last_seen_at, t);
      assert.equal(typeof row?.enrolled_at, 'number');
    });

    withDb('keyset pages cover every device exactly once in every sort order, with ties and filters', async (db) => {
      const repo = devicesRepo(db.handle.db);
      const reports = reportsRepo(db.handle.db);
      const oses = ['windows', 'macos', 'linux'] as const;
      for (let i = 0; i < 90; i++) {
        // Only 9 distinct last-seen values and 30 distinct hostnames: many ties for the id tie-breaker to settle.
        const { id } = await repo.enroll(
          validHost({ hostname: `PC-${String(i % 30).padStart(2, '0')}`, os: oses[i % 3]! }),
          `h${i}`,
          1_000_000 + (i % 9) * 1000,
        );
        if (i % 4 === 0) {
          await db.handle.db.transaction().execute((trx) =>
            reportsRepo(trx).ingest(
              id,
              validReport({
                findings: [finding(i % 8 === 0 ? 'whatsapp' : 'line')],
                scannedAt: new Date(1_000_000).toISOString(),
              }),
              '{}',
              1_000_000 + (i % 9) * 1000,
            ),
          );
        }
      }
      assert.equal(await reports.count(), 23);
      const walk = async (q: Omit<DeviceListQuery, 'after' | 'limit'>, limit: number) => {
        const ids: string[] = [];
        let after: DeviceListQuery['after'];
        for (let guard = 0; guard < 200; guard++) {
          const rows = await repo.list({ ...q, limit, ...(after ? { after } : {}) });
          const page = rows.slice(0, limit);
          ids.push(...page.map((r) => r.id));
          if (rows.length <= limit) return ids;
          const last = page[page.length - 1]!;
          after = [repo.sortValue(last, q.sort), last.id];
        }
        throw new Error('did not finish');
      };
      for (const sort of ['lastSeen', 'hostname', 'enrolledAt', 'status'] as const) {
        for (const order of ['asc', 'desc'] as const) {
          const ids = await walk({ sort, order }, 7);
          assert.equal(ids.length, 90, `${sort} ${order}`);
          assert.equal(new Set(ids).size, 90, `${sort} ${order} has no duplicates`);
        }
      }
      const whatsapp = await walk({ sort: 'lastSeen', order: 'desc', app: 'whatsapp' }, 4);
      assert.equal(whatsapp.length, 12);
      const macViolations = await walk({ sort: 'hostname', order: 'asc', os: ['macos'], status: ['violation'] }, 3);
      const expected = (await repo.list({ sort: 'hostname', order: 'asc', limit: 1000 })).filter(
        (d) => d.os === 'macos' && d.status === 'violation',
      );
      assert.deepEqual(
        macViolations,
        expected.map((d) => d.id),
      );
      const prefix = await walk({ sort: 'hostname', order: 'asc', hostnamePrefix: 'PC-1' }, 5);
      assert.equal(prefix.length, 30); // PC-10 … PC-19, three devices each
      const window = await walk({ sort: 'lastSeen', order: 'asc', lastSeenAfter: 1_002_000, lastSeenBefore: 1_004_000 }, 6);
      assert.equal(window.length, 20);
    });

    withDb('pruneReceivedBefore() deletes old history only, in slices', async (db) => {
      const repo = devicesRepo(db.handle.db);
      const { id } = await repo.enroll(validHost(), 'h', 0);
      for (let i = 0; i < 25; i++) {
        await db.handle.db
          .transaction()
          .execute((trx) =>
            reportsRepo(trx).ingest(id, validReport({ scannedAt: new Date(i * 1000).toISOString() }), '{}', i * 1000),
          );
      }
      const deleted = await reportsRepo(db.handle.db).pruneReceivedBefore(10_000, 4);
      assert.equal(deleted, 10);
      assert.equal(await reportsRepo(db.handle.db).count(), 15);
      assert.equal((await repo.get(id))?.last_scanned_at, 24_000, 'current state is untouched');
    });
  });
}

describe('migrations on PostgreSQL', () => {
  it('migrate a schema even when another schema in the same database already holds Appwacht tables', async (t) => {
    const why = await postgresUnavailable();
    if (why) return t.skip(why);
    const a = await createTestDb('postgres');
    const b = await createTestDb('postgres');
    try {
      assert.equal(await devicesRepo(b.handle.db).count(), 0);
      await devicesRepo(b.handle.db).enroll(validHost(), 'h', 1);
      assert.equal(await devicesRepo(a.handle.db).count(), 0, 'schemas are separate');
    } finally {
      await a.cleanup();
      await b.cleanup();
    }
  });
});

for (const dialect of DIALECTS) {
  describe(`reportsRepo.ingestBatch() on ${dialect}`, () => {
    it('settles duplicates and foreign ids inside one batch and folds each device in order', async (t) => {
      if (dialect === 'postgres') {
        const why = await postgresUnavailable();
        if (why) return t.skip(why);
      }
      const db = await createTestDb(dialect);
      try {
        const devices = devicesRepo(db.handle.db);
        const a = (await devices.enroll(validHost(), 'ha', 0)).id;
        const b = (await devices.enroll(validHost(), 'hb', 0)).id;
        const at = (min: number) => new Date(Date.parse('2026-04-01T08:00:00Z') + min * 60_000).toISOString();
        const r1 = validReport({ scannedAt: at(1), findings: [finding('whatsapp')] });
        const r2 = validReport({ scannedAt: at(2), findings: [finding('whatsapp'), finding('kik')] });
        const r3 = validReport({ scannedAt: at(3), findings: [finding('kik')] });
        const old = validReport({ scannedAt: at(0) });
        const item = (deviceId: string, report: typeof r1) => ({
          deviceId,
          report,
          body: JSON.stringify(report),
          receivedAt: 1000,
        });
        const outcomes = await db.handle.db
          .transaction()
          .execute((trx) =>
            reportsRepo(trx).ingestBatch([
              item(a, old),
              item(a, r1),
              item(a, r2),
              item(a, r1),
              item(b, r1),
              item(a, r3),
              item(b, validReport({ scannedAt: at(5) })),
            ]),
          );
        assert.deepEqual(
          outcomes.map((o) => o.kind),
          ['stored', 'stored', 'stored', 'duplicate', 'foreign', 'stored', 'stored'],
        );
        const devA = await devices.get(a);
        assert.equal(devA?.status, 'violation');
        assert.equal(devA?.last_scanned_at, Date.parse(at(3)));
        assert.equal(devA?.failing_since, Date.parse(at(1)));
        assert.equal(devA?.last_report_id, r3.reportId);
        const apps = await devices.appsOf([a]);
        assert.deepEqual(
          apps.map((x) => [x.app_id, x.first_seen_at]),
          [['kik', Date.parse(at(2))]],
          'kik stays from its first appearance; whatsapp is gone',
        );
        assert.equal((await devices.get(b))?.status, 'compliant');
        assert.equal(await reportsRepo(db.handle.db).count(), 5);
      } finally {
        await db.cleanup();
      }
    });
  });
}
