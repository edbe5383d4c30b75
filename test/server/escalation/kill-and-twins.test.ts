/**
 * The sweep and the mail queue act once, with real server processes and a real SMTP server:
 * - SIGKILL of the server in the middle of a sweep and again while it mails, restarted on the same SQLite file: every
 *   device's step is queued once, and no mail goes twice except one in the accept→commit window (same Message-ID).
 * - Two server processes on one PostgreSQL schema sweeping and mailing the same due fleet: every mail exactly once.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import pg from 'pg';
import { seedFleet } from '../../../bench/escalation-fleet.js';
import { spawnAppwachtServer, type Spawned } from '../../../bench/server-process.js';
import { openDatabase, type DatabaseTarget } from '../../../server/db/connect.js';
import type { ServerInfo } from '../../../server/start.js';
import { bootstrapDatabase, loadOrCreateSecrets } from '../../../server/services/bootstrap.js';
import { ADMIN_PASSWORD, FIXTURE_POLICY, PG_URL, postgresUnavailable, tempDir, testConfig } from '../helpers.js';
import { Smtp } from '../mail/smtp.js';

/** More than two sweep batches (500 each): a kill can land between them. */
const DEVICES = 1200;
/** Mail is slower than the sweep: only every 8th device's user maps to an address (the rest queue as `unmapped`). */
const MAILED = DEVICES / 8;
const mapped = (i: number) => i % 8 === 0;

function env(smtpPort: number): Record<string, string> {
  return {
    APPWACHT_INITIAL_POLICY: FIXTURE_POLICY,
    APPWACHT_SQLITE_SYNCHRONOUS: 'full',
    APPWACHT_LOG_LEVEL: 'warn',
    APPWACHT_EMPLOYEE_MAIL_TEMPLATE: '{user}@stadt.example',
    APPWACHT_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
    APPWACHT_SWEEP_SECONDS: '1',
    // A mail whose sender was killed goes again after its lease: short here so the test need not wait 2 minutes.
    APPWACHT_MAIL_LEASE_SECONDS: '6',
  };
}

/** Creates the schema, secrets and policy in this process (as a first start would), then writes the due fleet. */
async function prepare(target: DatabaseTarget, dataDir: string, smtpPort: number): Promise<void> {
  const config = testConfig(dataDir, env(smtpPort));
  const h = openDatabase(target);
  try {
    await bootstrapDatabase(h, config, loadOrCreateSecrets(dataDir));
    await seedFleet(h.db, {
      count: DEVICES,
      violating: () => true,
      seenAt: Date.now(),
      nextAt: () => 0,
      osUser: (i) => (mapped(i) ? `KOMMUNE\\u${i}` : `Gast ${i}`),
    });
  } finally {
    await h.close();
  }
}

async function outbox(target: DatabaseTarget) {
  const h = openDatabase(target);
  try {
    const rows = await h.db.selectFrom('mail_outbox').select(['device_id', 'status', 'kind']).execute();
    const blocked = await h.db
      .selectFrom('device_ladder')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('step', '=', 'blocked')
      .executeTakeFirstOrThrow();
    return { rows, blocked: Number(blocked.n) };
  } finally {
    await h.close();
  }
}

/** Waits until the SMTP server has `n` distinct messages, then a little longer for any stray duplicate. */
async function allDelivered(smtp: Smtp, n: number, servers: Spawned<ServerInfo>[]): Promise<void> {
  const started = Date.now();
  while (new Set(smtp.received.map((m) => m.messageId)).size < n) {
    for (const s of servers) if (s.child.exitCode !== null) throw new Error(`a server exited: ${s.stderr().slice(-2000)}`);
    if (Date.now() - started > 150_000)
      throw new Error(`only ${new Set(smtp.received.map((m) => m.messageId)).size} of ${n} mails after 150 s`);
    await new Promise((r) => setTimeout(r, 250));
  }
  await new Promise((r) => setTimeout(r, 2500));
}

/**
 * Waits until no mail is left mid-send. A mail the SMTP server accepted just before a kill, but whose row was not yet
 * marked sent, goes again only when its lease runs out (6 s here): the SMTP count is complete before that, the row not.
 */
async function nothingInFlight(target: DatabaseTarget): Promise<void> {
  const started = Date.now();
  for (;;) {
    const { rows } = await outbox(target);
    if (rows.every((r) => r.status === 'sent' || r.status === 'unmapped')) return;
    if (Date.now() - started > 60_000) return; // the assertion after it says which rows
    await new Promise((r) => setTimeout(r, 250));
  }
}

function assertOnce(t: TestContext, smtp: Smtp, allowedDuplicates: number): void {
  const byId = new Map<string, number>();
  for (const m of smtp.received) byId.set(m.messageId!, (byId.get(m.messageId!) ?? 0) + 1);
  const recipients = new Set(smtp.received.map((m) => (m.to as { text: string }).text));
  assert.equal(byId.size, MAILED, 'one distinct mail per mapped device');
  assert.equal(recipients.size, MAILED, 'every employee got their mail');
  const duplicates = smtp.received.length - byId.size;
  t.diagnostic(`${smtp.received.length} messages received, ${byId.size} distinct, ${duplicates} duplicate(s)`);
  assert.ok(duplicates <= allowedDuplicates, `${duplicates} duplicates (at most ${allowedDuplicates} allowed)`);
}

describe('the sweep and the mail queue act once', () => {
  it('SIGKILL in the middle of a sweep and while mailing (SQLite): each step queued once, no mail twice', async (t) => {
    const tmp = tempDir('appwacht-kill-sweep-');
    const smtp = new Smtp(true);
    await smtp.start();
    const target: DatabaseTarget = { kind: 'sqlite', file: join(tmp.dir, 'appwacht.sqlite') };
    const start = () =>
      spawnAppwachtServer({ dataDir: tmp.dir, adminPassword: ADMIN_PASSWORD, env: env(smtp.port), readyTimeoutMs: 90_000 });
    let server: Spawned<ServerInfo> | null = null;
    try {
      await prepare(target, tmp.dir, smtp.port);
      // Kill 1: as soon as the sweep's first batch has committed, while the next ones run.
      server = await start();
      const reader = openDatabase(target);
      try {
        for (let i = 0; ; i++) {
          const r = await reader.db
            .selectFrom('device_ladder')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('step', '=', 'blocked')
            .executeTakeFirstOrThrow();
          if (Number(r.n) > 0) break;
          if (i > 3000) throw new Error('the sweep never began');
          await new Promise((r) => setTimeout(r, 10));
        }
      } finally {
        await reader.close();
      }
      assert.equal(await server.kill(), 'SIGKILL');
      const mid = await outbox(target);
      t.diagnostic(
        `kill 1: ${mid.blocked}/${DEVICES} devices swept, ${mid.rows.length} mails queued, ${smtp.received.length} sent`,
      );
      assert.equal(mid.rows.length, mid.blocked, 'a swept device has its mail queued in the same transaction, and only then');
      assert.ok(mid.blocked > 0 && mid.blocked < DEVICES, `killed mid-sweep: ${mid.blocked} of ${DEVICES} swept`);

      // Kill 2: while the queue is mailing.
      server = await start();
      const before = smtp.received.length;
      while (smtp.received.length < before + 10) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, randomInt(200)));
      assert.equal(await server.kill(), 'SIGKILL');
      t.diagnostic(`kill 2: after ${smtp.received.length} messages`);

      server = await start();
      await allDelivered(smtp, MAILED, [server]);
      await nothingInFlight(target);
      assert.equal(await server.stop(), 0);
      const end = await outbox(target);
      assert.equal(end.rows.length, DEVICES, 'one queued mail per device across three processes');
      assert.equal(new Set(end.rows.map((r) => r.device_id)).size, DEVICES);
      assert.ok(
        end.rows.every((r) => r.status === (mapped(Number(r.device_id!.slice(-12))) ? 'sent' : 'unmapped') && r.kind === 'block'),
      );
      // Only a kill between the SMTP server's acceptance and the commit can repeat a mail: one per kill at most.
      assertOnce(t, smtp, 2);
    } finally {
      if (server && server.child.exitCode === null && server.child.signalCode === null) await server.kill();
      await smtp.stop();
      tmp.remove();
    }
  });

  it('two server processes on one PostgreSQL: every device swept and mailed exactly once', async (t) => {
    const why = await postgresUnavailable();
    if (why) return t.skip(why);
    const schema = `aw_twins_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    const tmp = tempDir('appwacht-twins-');
    const smtp = new Smtp(true);
    await smtp.start();
    const url = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}options=-c%20search_path%3D${schema}`;
    const target: DatabaseTarget = { kind: 'postgres', url: PG_URL, searchPath: schema };
    const start = () =>
      spawnAppwachtServer({
        dataDir: tmp.dir,
        adminPassword: ADMIN_PASSWORD,
        databaseUrl: url,
        env: env(smtp.port),
        readyTimeoutMs: 90_000,
      });
    const servers: Spawned<ServerInfo>[] = [];
    try {
      await prepare(target, tmp.dir, smtp.port);
      servers.push(...(await Promise.all([start(), start()])));
      await allDelivered(smtp, MAILED, servers);
      for (const s of servers) assert.equal(await s.stop(), 0);
      const end = await outbox(target);
      assert.equal(end.blocked, DEVICES);
      assert.equal(end.rows.length, DEVICES, 'each device’s step queued by one instance only');
      assert.equal(end.rows.filter((r) => r.status === 'sent').length, MAILED);
      assertOnce(t, smtp, 0);
    } finally {
      for (const s of servers) if (s.child.exitCode === null && s.child.signalCode === null) await s.kill();
      await smtp.stop();
      await admin.query(`drop schema ${schema} cascade`);
      await admin.end();
      tmp.remove();
    }
  });
});
