import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openDatabase } from '../../../server/db/connect.js';
import { createEscalation } from '../../../server/escalation/service.js';
import { bearer, createTestApp, DIALECTS, finding, PG_URL, postgresUnavailable, validReport, type TestApp } from '../helpers.js';

const DAY = 86_400_000;
const DEADLINE = Date.parse('2026-03-01T00:00:00Z'); // the fixture policy: warning after 14 days, block after 28
const ENV = {
  APPWACHT_EMPLOYEE_MAIL_TEMPLATE: '{user}@stadt.example',
  APPWACHT_WEBHOOK_URL: 'http://127.0.0.1:9/hook',
  APPWACHT_WEBHOOK_SECRET: 'a-webhook-secret-of-some-length',
};

/** A test app whose clock the test moves. */
async function clockApp(dialect: (typeof DIALECTS)[number], start: number) {
  const clock = { now: start };
  const t = await createTestApp(dialect, ENV, () => clock.now);
  return { t, clock };
}

async function post(t: TestApp, token: string, report: ReturnType<typeof validReport>) {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/reports', headers: bearer(token), payload: report });
  assert.ok(res.statusCode === 201 || res.statusCode === 200, res.body);
  return res.json() as { ladder?: { step: string; next?: { step: string; at: string }; blockAt?: string } };
}

const mails = (t: TestApp) =>
  t.db.handle.db.selectFrom('mail_outbox').select(['kind', 'employee', 'status', 'device_id']).orderBy('id').execute();

for (const dialect of DIALECTS) {
  describe(`escalation sweep on ${dialect}`, () => {
    const skipIfNoPg = async (ctx: { skip(msg: string): void }) => {
      if (dialect !== 'postgres') return false;
      const why = await postgresUnavailable();
      if (why) ctx.skip(why);
      return why !== null;
    };

    it('walks a device up the ladder by report and by clock, queues the mails and webhooks, and back down on a clean report', async (ctx) => {
      if (await skipIfNoPg(ctx)) return;
      const { t, clock } = await clockApp(dialect, DEADLINE - 2 * DAY);
      try {
        const dev = await t.enroll({ osUser: 'KOMMUNE\\Ben' });
        const at = (ms: number) => new Date(ms).toISOString();
        const first = await post(t, dev.deviceToken, validReport({ scannedAt: at(clock.now), findings: [finding('whatsapp')] }));
        assert.equal(first.ladder?.step, 'notice');
        assert.deepEqual(first.ladder?.next, { step: 'overdue', at: at(DEADLINE) });
        assert.equal(first.ladder?.blockAt, at(DEADLINE + 28 * DAY));

        clock.now = DEADLINE + 14 * DAY;
        let r = await t.app.appwacht.escalation.sweepOnce();
        assert.equal(r.evaluated, 1);
        assert.deepEqual(
          (await mails(t)).map((m) => [m.kind, m.employee]),
          [['warn', 'ben@stadt.example']],
        );

        clock.now = DEADLINE + 28 * DAY;
        r = await t.app.appwacht.escalation.sweepOnce();
        assert.deepEqual(
          (await mails(t)).map((m) => m.kind),
          ['warn', 'block'],
          'the reminder due on day 17 is folded into the block the sweep lands on',
        );
        const emp = await t.db.handle.db.selectFrom('employees').selectAll().executeTakeFirstOrThrow();
        assert.equal(emp.email, 'ben@stadt.example');
        assert.equal(emp.blocked_since, DEADLINE + 28 * DAY);

        // A second sweep at the same time does nothing: nothing is due.
        assert.deepEqual(await t.app.appwacht.escalation.sweepOnce(), { evaluated: 0, effects: 0 });

        clock.now += DAY;
        const clean = await post(t, dev.deviceToken, validReport({ scannedAt: at(clock.now) }));
        assert.equal(clean.ladder?.step, 'compliant');
        assert.deepEqual(
          (await mails(t)).map((m) => m.kind),
          ['warn', 'block', 'cleared'],
        );
        const after = await t.db.handle.db.selectFrom('employees').selectAll().executeTakeFirstOrThrow();
        assert.equal(after.blocked_since, null);
        const hooks = await t.db.handle.db.selectFrom('webhook_deliveries').select('body').orderBy('id').execute();
        assert.deepEqual(
          hooks.map((h) => (JSON.parse(h.body) as { decision: string }).decision),
          ['deny', 'allow'],
        );
      } finally {
        await t.close();
      }
    });

    it('finds due rows through next_at only, and a heartbeat does not rewrite the ladder row', async (ctx) => {
      if (await skipIfNoPg(ctx)) return;
      const { t, clock } = await clockApp(dialect, DEADLINE - 10 * DAY);
      try {
        const devs = [];
        for (let i = 0; i < 12; i++) devs.push(await t.enroll({ osUser: `user${i}` }));
        await t.app.appwacht.escalation.sweepOnce(); // first look at the new devices
        for (const [i, d] of devs.entries())
          await post(
            t,
            d.deviceToken,
            validReport({ scannedAt: new Date(clock.now).toISOString(), findings: i < 3 ? [finding('whatsapp')] : [] }),
          );
        const before = await t.db.handle.db.selectFrom('device_ladder').select(['device_id', 'changed_at', 'next_at']).execute();

        clock.now += 3600_000;
        for (const d of devs.slice(3))
          await post(t, d.deviceToken, validReport({ scannedAt: new Date(clock.now).toISOString(), kind: 'heartbeat' }));
        const afterBeat = await t.db.handle.db
          .selectFrom('device_ladder')
          .select(['device_id', 'changed_at', 'next_at'])
          .execute();
        assert.deepEqual(afterBeat, before, 'an unchanged heartbeat leaves the ladder row alone');

        clock.now = DEADLINE + 14 * DAY;
        for (const d of devs.slice(3))
          await post(t, d.deviceToken, validReport({ scannedAt: new Date(clock.now).toISOString(), kind: 'heartbeat' }));
        // Only the three violating devices are due (their deadline); the clean ones sleep until they would go stale.
        const r = await t.app.appwacht.escalation.sweepOnce();
        assert.equal(r.evaluated, 3);
      } finally {
        await t.close();
      }
    });

    it('report-only: the ladder runs, nothing is mailed, nobody is blocked', async (ctx) => {
      if (await skipIfNoPg(ctx)) return;
      const { t, clock } = await clockApp(dialect, DEADLINE + 40 * DAY);
      try {
        const admin = await t.adminToken();
        const current = await t.app.appwacht.policies.current();
        const policy = JSON.parse(current!.signed.payload) as Record<string, unknown> & { escalation: object };
        const res = await t.app.inject({
          method: 'POST',
          url: '/api/v1/admin/policies',
          headers: bearer(admin),
          payload: { ...policy, version: undefined, issuedAt: undefined, escalation: { ...policy.escalation, reportOnly: true } },
        });
        assert.equal(res.statusCode, 201, res.body);
        const dev = await t.enroll({ osUser: 'anna@corp' });
        const ack = await post(
          t,
          dev.deviceToken,
          validReport({ scannedAt: new Date(clock.now).toISOString(), findings: [finding('whatsapp')] }),
        );
        assert.equal(ack.ladder?.step, 'blocked');
        clock.now += 5 * DAY;
        await t.app.appwacht.escalation.sweepOnce();
        assert.deepEqual(await mails(t), []);
        assert.equal(
          (await t.db.handle.db.selectFrom('employees').selectAll().execute()).filter((e) => e.blocked_since !== null).length,
          0,
        );
      } finally {
        await t.close();
      }
    });
  });
}

describe('escalation sweep, two instances on one PostgreSQL', () => {
  it('acts once per device when two sweeps run at the same time', async (ctx) => {
    const why = await postgresUnavailable();
    if (why) return ctx.skip(why);
    const clock = { now: DEADLINE - DAY };
    const t = await createTestApp('postgres', ENV, () => clock.now);
    // A second pool on the same schema stands for the second server process (the test with real processes is in
    // the crash tests); each has its own connections, so row locks really compete.
    const other = openDatabase({ kind: 'postgres', url: PG_URL, poolMax: 4, searchPath: t.db.where });
    try {
      const n = 1200;
      const ids = Array.from({ length: n }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
      const db = t.db.handle.db;
      for (let i = 0; i < n; i += 100) {
        const part = ids.slice(i, i + 100);
        await db
          .insertInto('devices')
          .values(
            part.map((id) => ({
              id,
              machine_id: id,
              token_hash: id,
              hostname: `PC-${id.slice(-4)}`,
              os: 'windows' as const,
              os_version: '10',
              os_user: `u${id.slice(-6)}`,
              agent_version: '0.1.0',
              enrolled_at: DEADLINE - 30 * DAY,
              last_seen_at: DEADLINE + 14 * DAY,
              last_scanned_at: DEADLINE + 14 * DAY,
              last_report_id: null,
              status: 'violation' as const,
              failing_since: DEADLINE - 30 * DAY,
              deadline: DEADLINE,
              policy_version: 1,
            })),
          )
          .execute();
        await db
          .insertInto('device_ladder')
          .values(part.map((id) => ({ device_id: id, next_at: 0, changed_at: 0 })))
          .execute();
        await db
          .insertInto('device_apps')
          .values(
            part.map((id) => ({
              device_id: id,
              rule_id: 'ban-whatsapp',
              app_id: 'whatsapp',
              name: 'WhatsApp',
              action: 'ban' as const,
              evidence: 'installed',
              first_seen_at: DEADLINE,
            })),
          )
          .execute();
      }
      clock.now = DEADLINE + 14 * DAY;
      const second = createEscalation({ db: other.db, config: t.config.escalation, now: () => clock.now });
      const [a, b] = await Promise.all([t.app.appwacht.escalation.sweepOnce(), second.sweepOnce()]);
      assert.equal(a.evaluated + b.evaluated, n, `${a.evaluated} + ${b.evaluated}`);
      assert.ok(a.evaluated > 0 && b.evaluated > 0, `both took part: ${a.evaluated} / ${b.evaluated}`);
      const warned = await mails(t);
      assert.equal(warned.length, n);
      assert.equal(new Set(warned.map((m) => m.device_id)).size, n);
    } finally {
      await other.close();
      await t.close();
    }
  });
});
