/**
 * The migrator's table lookup reads only our own schemas. CI failed once with "schema aw_test_… does not exist" in a
 * parallel worker: Kysely's stock introspector walked every schema of the shared test database while another test file
 * dropped its own. Here a second client creates and drops schemas without pause while fresh schemas are migrated.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import pg from 'pg';
import { createTestDb, PG_URL, postgresUnavailable } from '../helpers.js';

describe('PostgreSQL introspection for migrations', () => {
  it('lists only the tables of its own schema', async (c) => {
    const why = await postgresUnavailable();
    if (why) return c.skip(why);
    const other = `aw_other_${randomBytes(5).toString('hex')}`;
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    c.after(async () => {
      await admin.query(`drop schema if exists ${other} cascade`);
      await admin.end();
    });
    await admin.query(`create schema ${other}; create table ${other}.stranger (id serial primary key)`);
    const db = await createTestDb('postgres');
    c.after(() => db.cleanup());
    const tables = await db.handle.db.introspection.getTables({ withInternalKyselyTables: true });
    const names = tables.map((t) => `${t.schema}.${t.name}`);
    assert.ok(names.includes(`${db.where}.devices`), names.join(', '));
    assert.ok(names.includes(`${db.where}.kysely_migration`), 'the bookkeeping table is found');
    assert.ok(tables.every((t) => t.schema === db.where), `only ${db.where}: ${names.join(', ')}`);
  });

  it('migrates fresh schemas while another client drops schemas without pause', async (c) => {
    const why = await postgresUnavailable();
    if (why) return c.skip(why);
    const churn = new pg.Client({ connectionString: PG_URL });
    await churn.connect();
    let stop = false;
    let dropped = 0;
    const churning = (async () => {
      while (!stop) {
        const s = `aw_churn_${randomBytes(5).toString('hex')}`;
        await churn.query(`create schema ${s}; create table ${s}.t (id serial primary key, v text)`);
        await churn.query(`drop schema ${s} cascade`);
        dropped++;
      }
    })();
    try {
      for (let i = 0; i < 5; i++) {
        const db = await createTestDb('postgres');
        await db.cleanup();
      }
    } finally {
      stop = true;
      await churning;
      await churn.end();
    }
    assert.ok(dropped > 0, 'schemas were dropped while migrating');
  });
});
