/** Migration 0003-admin-tokens on a database that already has a token: it gets an expiry and keeps working. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Migrator, type Kysely } from 'kysely';
import { migrateToLatest, migrations } from '../../../server/db/migrations/index.js';
import { apiTokensRepo } from '../../../server/repositories/admins.js';
import { createTestDb, DIALECTS, postgresUnavailable } from '../helpers.js';

const DAY = 86_400_000;

describe('migration 0003-admin-tokens', () => {
  for (const dialect of DIALECTS) {
    it(`gives existing tokens 90 days from their creation (${dialect})`, async (c) => {
      if (dialect === 'postgres') {
        const why = await postgresUnavailable();
        if (why) return c.skip(why);
      }
      const db = await createTestDb(dialect, { migrate: false });
      c.after(() => db.cleanup());
      const raw = db.handle.db as unknown as Kysely<Record<string, Record<string, unknown>>>;
      const provider = { getMigrations: async () => migrations(dialect) };
      // Pin the bookkeeping tables to this run's schema, as migrateToLatest does (parallel runs have their own).
      const schema = dialect === 'postgres' ? { migrationTableSchema: db.where } : {};
      const first = await new Migrator({ db: raw, provider, ...schema }).migrateTo('0001-initial');
      assert.equal(first.error, undefined);
      const created = Date.parse('2026-05-01T00:00:00Z');
      await raw.insertInto('admins').values({ id: 'a1', username: 'admin', password_hash: 'x', created_at: created }).execute();
      await raw
        .insertInto('api_tokens')
        .values({
          id: 't1',
          name: 'old',
          token_hash: 'h1',
          admin_id: 'a1',
          created_at: created,
          last_used_at: null,
          revoked_at: null,
        })
        .execute();
      assert.ok((await migrateToLatest(raw as never, dialect)).includes('0003-admin-tokens'));
      const tokens = apiTokensRepo(db.handle.db);
      const [row] = await tokens.list();
      assert.equal(row?.expires_at, created + 90 * DAY);
      assert.equal(row?.created_in_session, null);
      assert.equal((await tokens.findActiveByHash('h1', created + 89 * DAY))?.id, 't1');
      assert.equal(await tokens.findActiveByHash('h1', created + 90 * DAY), undefined);
    });
  }
});
