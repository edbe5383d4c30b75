/**
 * The sweep's unsynced transaction (server/db/unsynced-commit.ts): on SQLite/WAL only that transaction commits under
 * synchronous=NORMAL, the setting comes back afterwards (also after a failure), and no other query runs in between;
 * elsewhere it is a plain transaction.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sql, type Kysely } from 'kysely';
import { openDatabase } from '../../../server/db/connect.js';
import type { Database } from '../../../server/db/schema.js';
import { unsyncedTransaction } from '../../../server/db/unsynced-commit.js';
import { dbTest, DIALECTS, tempDir } from '../helpers.js';

const level = async (db: Kysely<Database>) =>
  Number((await sql<{ synchronous: number }>`pragma synchronous`.execute(db)).rows[0]!.synchronous);
const metaValue = async (db: Kysely<Database>, key: string) =>
  (await db.selectFrom('escalation_meta').select('value').where('key', '=', key).executeTakeFirst())?.value ?? null;

describe('unsyncedTransaction on SQLite', () => {
  for (const [configured, expected] of [
    ['full', { inside: 1, after: 2 }],
    ['normal', { inside: 1, after: 1 }],
  ] as const) {
    it(`synchronous=${configured}: NORMAL inside, ${configured} again afterwards, also after a failure`, async () => {
      const tmp = tempDir();
      const h = openDatabase({ kind: 'sqlite', file: join(tmp.dir, 'a.sqlite'), synchronous: configured });
      try {
        await sql`create table escalation_meta (key text primary key, value text not null)`.execute(h.db);
        const inside = await unsyncedTransaction(h.db, async (trx) => {
          await trx.insertInto('escalation_meta').values({ key: 'a', value: '1' }).execute();
          return level(trx);
        });
        assert.equal(inside, expected.inside);
        assert.equal(await level(h.db), expected.after);
        assert.equal(await metaValue(h.db, 'a'), '1', 'committed');

        await assert.rejects(
          unsyncedTransaction(h.db, async (trx) => {
            await trx.insertInto('escalation_meta').values({ key: 'b', value: '2' }).execute();
            throw new Error('boom');
          }),
          /boom/,
        );
        assert.equal(await metaValue(h.db, 'b'), null, 'rolled back');
        assert.equal(await level(h.db), expected.after, 'restored after the failure');
      } finally {
        await h.close();
        tmp.remove();
      }
    });
  }

  it('holds the one connection: a query that arrives meanwhile runs afterwards, under FULL', async () => {
    const tmp = tempDir();
    const h = openDatabase({ kind: 'sqlite', file: join(tmp.dir, 'b.sqlite') });
    try {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const order: string[] = [];
      const sweep = unsyncedTransaction(h.db, async (trx) => {
        order.push(`sweep sees ${await level(trx)}`);
        await gate;
        order.push('sweep commits');
      });
      await new Promise((r) => setTimeout(r, 20));
      const other = level(h.db).then((l) => order.push(`other sees ${l}`));
      await new Promise((r) => setTimeout(r, 20));
      release();
      await Promise.all([sweep, other]);
      assert.deepEqual(order, ['sweep sees 1', 'sweep commits', 'other sees 2']);
    } finally {
      await h.close();
      tmp.remove();
    }
  });
});

for (const dialect of DIALECTS) {
  describe(`unsyncedTransaction on ${dialect} (migrated schema)`, () => {
    dbTest(dialect)('commits, and rolls back on failure', async (t) => {
      const db = t.handle.db;
      await unsyncedTransaction(db, (trx) => trx.insertInto('escalation_meta').values({ key: 'k', value: 'v' }).execute());
      await assert.rejects(
        unsyncedTransaction(db, async (trx) => {
          await trx.insertInto('escalation_meta').values({ key: 'x', value: 'y' }).execute();
          throw new Error('boom');
        }),
      );
      assert.equal(await metaValue(db, 'k'), 'v');
      assert.equal(await metaValue(db, 'x'), null);
    });
  });
}
