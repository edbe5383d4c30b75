/**
 * One employee through the whole ladder with a clock the test moves: notice, mail warning received by a real SMTP
 * server (smtp-server in this process, parsed with mailparser), reminder, block (Dovecot and nginx decisions deny, a
 * real HTTP receiver gets the webhook and checks its signature), a clean report, the unblock mail, allow again.
 * Then the modes that must not bite: report-only, an exempt employee; and a stale device that must.
 */
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createWebhookDispatcher } from '../../../server/webhooks/dispatch.js';
import { bearer, createTestApp, finding, validReport, type TestApp } from '../helpers.js';
import { Smtp } from '../mail/smtp.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const DEADLINE = Date.parse('2026-03-01T00:00:00Z'); // fixture policy: warning after 14 days, block after 28, reminders every 3
const SECRET = 'whsec-of-the-city-gateway-0123456789';
const iso = (t: number) => new Date(t).toISOString();

/** A webhook receiver as a city's gateway script would write it: checks the HMAC and the age, keeps what it accepted. */
class Receiver {
  accepted: { decision: string; employee: string; since: string }[] = [];
  decisions = (): string[] => this.accepted.map((h) => h.decision);
  refused = 0;
  private server: Server | null = null;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(req.headers['x-appwacht-signature']));
        const expected = m ? createHmac('sha256', SECRET).update(`${m[1]}.${body}`).digest() : null;
        if (!m || !expected || !timingSafeEqual(expected, Buffer.from(m[2]!, 'hex'))) {
          this.refused++;
          res.writeHead(401).end();
          return;
        }
        this.accepted.push(JSON.parse(body) as Receiver['accepted'][number]);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/appwacht`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server?.close(() => r()));
  }
}

interface World {
  t: TestApp;
  clock: { now: number };
  smtp: Smtp;
  hooks: Receiver;
  dovecot(login: string): Promise<{ status: number; msg: string }>;
  nginx(user: string): Promise<number>;
  report(token: string, banned: boolean): Promise<{ step: string } | undefined>;
  /** A sweep, then the mail queue and the webhooks drained, as the timers in main would. */
  tick(): Promise<void>;
  setEscalation(over: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

async function world(start: number): Promise<World> {
  const smtp = new Smtp();
  await smtp.start();
  const hooks = new Receiver();
  await hooks.start();
  const clock = { now: start };
  const t = await createTestApp(
    'sqlite',
    {
      APPWACHT_EMPLOYEE_MAIL_TEMPLATE: '{user}@stadt.example',
      APPWACHT_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
      APPWACHT_MAIL_FROM: 'Appwacht <appwacht@stadt.example>',
      APPWACHT_WEBHOOK_URL: hooks.url,
      APPWACHT_WEBHOOK_SECRET: SECRET,
    },
    () => clock.now,
  );
  const tokens = JSON.parse(readFileSync(join(t.dataDir, 'decision-tokens.json'), 'utf8')) as Record<string, string>;
  const dispatcher = createWebhookDispatcher({ db: t.db.handle.db, webhook: t.config.escalation.webhook!, now: () => clock.now });
  return {
    t,
    clock,
    smtp,
    hooks,
    async dovecot(login) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/decision/dovecot?command=allow',
        headers: { 'x-appwacht-token': tokens.dovecot! },
        payload: { login, remote: '192.0.2.7', protocol: 'imap', service: 'imap' },
      });
      assert.equal(res.statusCode, 200);
      return res.json();
    },
    async nginx(user) {
      const res = await t.app.inject({
        method: 'PROPFIND',
        url: '/api/v1/decision/nginx',
        headers: { 'x-appwacht-token': tokens.nginx!, authorization: `Basic ${Buffer.from(`${user}:pw`).toString('base64')}` },
      });
      return res.statusCode;
    },
    async report(token, banned) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/reports',
        headers: bearer(token),
        payload: validReport({ scannedAt: iso(clock.now), findings: banned ? [finding('whatsapp')] : [] }),
      });
      assert.ok(res.statusCode === 200 || res.statusCode === 201, res.body);
      return (res.json() as { ladder?: { step: string } }).ladder;
    },
    async tick() {
      await t.app.appwacht.escalation.sweepOnce();
      await t.app.appwacht.mail!.drainOnce();
      await dispatcher.drainOnce();
    },
    async setEscalation(over) {
      const current = await t.app.appwacht.policies.current();
      const policy = JSON.parse(current!.signed.payload) as Record<string, unknown> & { escalation: object };
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/admin/policies',
        headers: bearer(await t.adminToken()),
        payload: {
          ...policy,
          version: undefined,
          issuedAt: undefined,
          expiresAt: undefined,
          escalation: { ...policy.escalation, ...over },
        },
      });
      assert.equal(res.statusCode, 201, res.body);
    },
    async close() {
      await t.close();
      await smtp.stop();
      await hooks.stop();
    },
  };
}

describe('the whole ladder, one employee, real SMTP and a real webhook receiver', () => {
  let w: World;
  before(async () => (w = await world(DEADLINE - 2 * DAY)));
  after(() => w.close());

  it('notice → warning mail → reminder → block (deny, webhook) → clean report → unblock mail → allow', async () => {
    const dev = await w.t.enroll({ osUser: 'KOMMUNE\\Ben', hostname: 'PC-BAU-17' });
    const ben = 'ben@stadt.example';

    // Before the deadline: the notice, nothing mailed, access allowed.
    assert.equal((await w.report(dev.deviceToken, true))?.step, 'notice');
    await w.tick();
    assert.equal(w.smtp.received.length, 0);
    assert.deepEqual(await w.dovecot(ben), { status: 0, msg: '' });

    // Deadline passed: overdue, still no mail until the warning point (14 days).
    w.clock.now = DEADLINE + 1 * HOUR;
    await w.tick();
    assert.equal(w.smtp.received.length, 0);

    w.clock.now = DEADLINE + 14 * DAY + HOUR;
    await w.tick();
    assert.equal(w.smtp.received.length, 1);
    const warn = w.smtp.received[0]!;
    assert.equal(warn.subject, 'Verbotene App auf Ihrem Dienstgerät / Banned app on your service device');
    assert.equal((warn.to as { text: string }).text, ben);
    assert.match(warn.text!, /PC-BAU-17 ist noch WhatsApp installiert/);
    assert.match(warn.text!, /29\. März 2026/, 'the block date, in German');
    assert.match(warn.text!, /blocked on 29 March 2026/);
    assert.match(warn.text!, /it-support@musterstadt\.example/);
    assert.match(String(warn.html), /<div lang="de">/);
    assert.deepEqual(await w.dovecot(ben), { status: 0, msg: '' });

    // Reminder three days later, once.
    w.clock.now += 3 * DAY;
    await w.tick();
    await w.tick();
    assert.equal(w.smtp.received.length, 2);
    assert.match(w.smtp.received[1]!.subject!, /^Erinnerung/);

    // The block: the decision denies in every form, the webhook arrives signed, the mail says so.
    w.clock.now = DEADLINE + 28 * DAY;
    await w.tick();
    assert.equal(w.smtp.received.length, 3, 'the reminders due on days 20–26 are folded into the block the sweep lands on');
    assert.equal(w.smtp.received[2]!.subject, 'Mail- und Kalenderzugang gesperrt / Mail and calendar access blocked');
    assert.match(w.smtp.received[2]!.text!, /seit dem 29\. März 2026 gesperrt/);
    const denied = await w.dovecot('KOMMUNE\\ben');
    assert.equal(denied.status, -1);
    assert.match(denied.msg, /Zugang gesperrt.*Access blocked/);
    assert.equal(await w.nginx(ben), 403);
    assert.equal(await w.nginx('anna@stadt.example'), 204);
    assert.deepEqual(w.hooks.accepted, [
      { event: 'decision.changed', employee: ben, decision: 'deny', since: iso(w.clock.now), at: iso(w.clock.now) },
    ]);
    assert.equal(w.hooks.refused, 0);

    // Clean report: allowed again at once, the unblock mail and the allow webhook follow.
    w.clock.now += 2 * HOUR;
    assert.equal((await w.report(dev.deviceToken, false))?.step, 'compliant');
    assert.deepEqual(await w.dovecot(ben), { status: 0, msg: '' });
    assert.equal(await w.nginx(ben), 204);
    await w.tick();
    const last = w.smtp.received[w.smtp.received.length - 1]!;
    assert.equal(last.subject, 'Zugang wieder frei / Access restored');
    assert.match(last.text!, /PC-BAU-17 ist wieder in Ordnung/);
    assert.deepEqual(
      w.hooks.accepted.map((h) => h.decision),
      ['deny', 'allow'],
    );

    // Nothing more: every step was mailed once.
    const count = w.smtp.received.length;
    w.clock.now += 10 * DAY;
    await w.tick();
    assert.equal(w.smtp.received.length, count);
    assert.deepEqual(
      w.smtp.received.map((m) => m.subject!.split(' / ')[1]),
      [
        'Banned app on your service device',
        'Reminder: banned app on your service device',
        'Mail and calendar access blocked',
        'Access restored',
      ],
    );
    assert.equal(new Set(w.smtp.received.map((m) => m.messageId)).size, count);
  });
});

describe('what must not bite, and what must', () => {
  it('report-only: the ladder runs and is shown, nothing is mailed or blocked; switched off, what is due happens at once', async () => {
    const w = await world(DEADLINE - 2 * DAY);
    try {
      await w.setEscalation({ reportOnly: true });
      const dev = await w.t.enroll({ osUser: 'anna' });
      await w.report(dev.deviceToken, true);
      for (const day of [1, 14, 17, 28, 40]) {
        w.clock.now = DEADLINE + day * DAY;
        await w.tick();
      }
      assert.equal((await w.report(dev.deviceToken, true))?.step, 'blocked', 'the tray shows where the device stands');
      assert.equal(w.smtp.received.length, 0);
      assert.deepEqual(await w.dovecot('anna@stadt.example'), { status: 0, msg: '' });
      assert.equal(await w.nginx('anna'), 204);
      assert.deepEqual(w.hooks.accepted, []);

      await w.setEscalation({ reportOnly: false });
      await w.tick();
      assert.equal((await w.dovecot('anna@stadt.example')).status, -1);
      assert.deepEqual(
        w.smtp.received.map((m) => m.subject),
        ['Mail- und Kalenderzugang gesperrt / Mail and calendar access blocked'],
      );
      assert.deepEqual(w.hooks.decisions(), ['deny']);
    } finally {
      await w.close();
    }
  });

  it('an exempt employee is never mailed or blocked while the exemption runs', async () => {
    const w = await world(DEADLINE - 2 * DAY);
    try {
      const dev = await w.t.enroll({ osUser: 'KOMMUNE\\carla' });
      const grant = await w.t.app.inject({
        method: 'POST',
        url: '/api/v1/admin/exemptions',
        headers: bearer(await w.t.adminToken()),
        payload: {
          employee: 'carla@stadt.example',
          reason: 'Pilot of the replacement messenger',
          until: iso(w.clock.now + 300 * DAY),
        },
      });
      assert.equal(grant.statusCode, 201, grant.body);
      await w.report(dev.deviceToken, true);
      for (const day of [1, 14, 17, 28, 60, 200]) {
        w.clock.now = DEADLINE + day * DAY;
        await w.tick();
        assert.deepEqual(await w.dovecot('carla@stadt.example'), { status: 0, msg: '' }, `day ${day}`);
      }
      assert.equal(w.smtp.received.length, 0);
      assert.deepEqual(w.hooks.accepted, []);
    } finally {
      await w.close();
    }
  });

  it('a device that stops reporting escalates when the policy says stale counts, and not when it says otherwise', async () => {
    for (const counts of [true, false]) {
      const w = await world(DEADLINE - 2 * DAY);
      try {
        await w.setEscalation({ staleCountsAsViolation: counts });
        const dev = await w.t.enroll({ osUser: 'dora' });
        assert.equal((await w.report(dev.deviceToken, false))?.step, 'compliant');
        const staleAt = w.clock.now + 72 * HOUR; // the agent was killed right after this report
        for (const at of [staleAt + HOUR, staleAt + 14 * DAY, staleAt + 28 * DAY]) {
          w.clock.now = at;
          await w.tick();
        }
        const decision = await w.dovecot('dora@stadt.example');
        if (counts) {
          assert.equal(decision.status, -1, 'killing the agent is no way out');
          assert.deepEqual(
            w.smtp.received.map((m) => m.subject!.split(' / ')[1]),
            ['Banned app on your service device', 'Mail and calendar access blocked'],
          );
        } else {
          assert.equal(decision.status, 0);
          assert.equal(w.smtp.received.length, 0);
        }
      } finally {
        await w.close();
      }
    }
  });
});
