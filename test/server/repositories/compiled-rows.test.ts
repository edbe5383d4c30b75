/**
 * The sweep's precompiled multi-row statements (server/repositories/compiled-rows.ts) against Kysely's own
 * compilation, on both dialects: the same SQL and the same parameters for 1, 99, 100, 101 and 250 rows, and the rows
 * read back as written.
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { ladderRepo, ladderUpsert, mailInsert, type LadderWrite } from '../../../server/repositories/ladder.js';
import { dbTest, DIALECTS } from '../helpers.js';

const STEPS = ['compliant', 'notice', 'overdue', 'blocked'] as const;
const id = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

/** Every column differs between rows and columns, and some are null: a misplaced parameter shows. */
function ladderRow(i: number): LadderWrite {
  const t = 1_700_000_000_000 + i * 1000;
  return {
    device_id: id(i),
    employee: i % 3 === 0 ? null : `u${i}@stadt.example`,
    step: STEPS[i % 4]!,
    reason: i % 2 ? 'violation' : 'stale',
    deadline: t + 1,
    failing_since: i % 5 === 0 ? null : t + 2,
    warned_at: t + 3,
    reminded_at: i % 7 === 0 ? null : t + 4,
    reminders: i % 9,
    blocked_at: t + 5,
    cleared_at: null,
    stale_since: t + 6,
    unknown_since: t + 7,
    exempt_until: t + 8,
    next_at: t + 9,
    changed_at: t + 10,
    why: `why ${i} ‘quoted’ 'x'`,
  };
}

for (const dialect of DIALECTS) {
  describe(`precompiled multi-row statements on ${dialect}`, () => {
    dbTest(dialect)('compile to what Kysely compiles, and write what they are given', async (t) => {
      const db = t.handle.db;
      for (const n of [1, 99, 100, 101, 250]) {
        const rows = Array.from({ length: n }, (_, i) => ladderRow(i));
        const ours = ladderUpsert.compile(db, rows).map((q) => ({ sql: q.sql, parameters: q.parameters }));
        const kysely = ladderUpsert.reference(db, rows).map((q) => ({ sql: q.sql, parameters: q.parameters }));
        assert.deepEqual(ours, kysely, `${n} ladder rows`);
        const mails = rows.map((r, i) => ({
          created_at: i,
          device_id: r.device_id,
          employee: r.employee,
          kind: 'warn' as const,
          facts: JSON.stringify({ i }),
          status: 'pending' as const,
          next_attempt_at: i + 1,
          last_error: i % 2 ? null : 'x',
          sent_at: null,
          message_id: null,
        }));
        assert.deepEqual(
          mailInsert.compile(db, mails).map((q) => [q.sql, q.parameters]),
          mailInsert.reference(db, mails).map((q) => [q.sql, q.parameters]),
          `${n} mails`,
        );
      }

      // Written through the repository (insert branch here, update branch on the second write), read back.
      const rows = Array.from({ length: 150 }, (_, i) => ladderRow(i));
      await db
        .insertInto('devices')
        .values(
          rows.map((r, i) => ({
            id: r.device_id,
            machine_id: r.device_id,
            token_hash: `h${i}`,
            hostname: `PC-${i}`,
            os: 'windows' as const,
            os_version: '10',
            os_user: `u${i}`,
            agent_version: '0.1.0',
            enrolled_at: 0,
            last_seen_at: 0,
            last_scanned_at: null,
            last_report_id: null,
            failing_since: null,
            deadline: null,
            policy_version: 1,
          })),
        )
        .execute();
      const repo = ladderRepo(db);
      await repo.writeRows(rows.map((r) => ({ ...r, why: 'first' })));
      await repo.writeRows(rows);
      const back = await db.selectFrom('device_ladder').selectAll().orderBy('device_id').execute();
      assert.deepEqual(
        back.map((r) => ({ ...r })),
        rows,
      );
    });
  });
}
