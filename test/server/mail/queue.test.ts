import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MailFacts } from '../../../server/escalation/service.js';
import { createMailQueue } from '../../../server/mail/queue.js';
import { createTestDb } from '../helpers.js';
import { Smtp } from './smtp.js';

const HOSTILE = '<img src=x onerror=alert(1)>';
const facts = (over: Partial<MailFacts> = {}): MailFacts => ({
  kind: 'warn',
  employee: 'ben@stadt.example',
  hostname: `PC-${HOSTILE}`,
  os: 'windows',
  osUser: 'KOMMUNE\\ben',
  apps: ['WhatsApp', `Evil "</p><script>x()</script>`],
  deadline: '2026-03-01T00:00:00.000Z',
  blockAt: '2026-03-29T00:00:00.000Z',
  blockedAt: null,
  organization: 'Stadtverwaltung',
  support: { email: 'it-servicedesk@example.org', phone: '+49 30 1234' },
  ...over,
});

async function setup() {
  const smtp = new Smtp();
  await smtp.start();
  const db = await createTestDb('sqlite');
  const clock = { now: Date.parse('2026-03-15T09:00:00Z') };
  const crash = { on: false };
  const queue = createMailQueue({
    db: db.handle.db,
    smtp: { url: `smtp://127.0.0.1:${smtp.port}`, from: 'Appwacht <appwacht@stadt.example>' },
    now: () => clock.now,
    afterAccept: () => {
      if (crash.on) throw new Error('simulated crash between acceptance and commit');
    },
  });
  const enqueue = (f: MailFacts) =>
    db.handle.db
      .insertInto('mail_outbox')
      .values({
        created_at: clock.now,
        device_id: null,
        employee: f.employee,
        kind: f.kind,
        facts: JSON.stringify(f),
        status: 'pending',
        next_attempt_at: clock.now,
        last_error: null,
        sent_at: null,
        message_id: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
  const row = (id: number) => db.handle.db.selectFrom('mail_outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  return {
    smtp,
    db,
    clock,
    crash,
    queue,
    enqueue,
    row,
    async close() {
      queue.close();
      await smtp.stop();
      await db.cleanup();
    },
  };
}

describe('mail queue over a real SMTP server', () => {
  it('sends a bilingual text+HTML mail with the apps, dates and support contact; device data is escaped', async () => {
    const s = await setup();
    try {
      const { id } = await s.enqueue(facts());
      const stats = await s.queue.drainOnce();
      assert.equal(stats.sent, 1);
      assert.equal(s.smtp.received.length, 1);
      const m = s.smtp.received[0]!;
      assert.equal(m.subject, 'Verbotene App auf Ihrem Dienstgerät / Banned app on your service device');
      assert.equal(m.messageId, `<appwacht-mail-${id}@appwacht.invalid>`);
      assert.match(m.text!, /Bitte entfernen Sie die App: Einstellungen → Apps/);
      assert.match(m.text!, /Please remove the app: Settings → Apps/);
      assert.match(m.text!, /1\. März 2026/);
      assert.match(m.text!, /29 March 2026/);
      assert.match(m.text!, /it-servicedesk@example\.org/);
      const html = String(m.html);
      assert.ok(!html.includes('<script>') && !html.includes('<img'), 'device-supplied text must not become markup');
      assert.ok(html.includes('&lt;script&gt;'), html);
      assert.equal((await s.row(id)).status, 'sent');
      // Sent once: a second drain (a restart) sends nothing.
      assert.equal((await s.queue.drainOnce()).sent, 0);
      assert.equal(s.smtp.received.length, 1);
    } finally {
      await s.close();
    }
  });

  it('SMTP down: the mail waits with backoff and goes out when the server is back', async () => {
    const s = await setup();
    try {
      const port = s.smtp.port;
      await s.smtp.stop();
      const { id } = await s.enqueue(facts({ kind: 'block', blockedAt: '2026-03-29T00:00:00.000Z' }));
      let stats = await s.queue.drainOnce();
      assert.equal(stats.retried, 1);
      let r = await s.row(id);
      assert.equal(r.status, 'pending');
      assert.equal(r.next_attempt_at, s.clock.now + 30_000);
      assert.ok(r.last_error);
      // Not yet due: nothing is tried.
      await s.smtp.start(port);
      assert.equal((await s.queue.drainOnce()).sent, 0);
      s.clock.now += 30_000;
      stats = await s.queue.drainOnce();
      assert.equal(stats.sent, 1);
      r = await s.row(id);
      assert.equal(r.status, 'sent');
      assert.equal(r.attempts, 2);
      assert.match(s.smtp.received[0]!.subject!, /gesperrt/);
    } finally {
      await s.close();
    }
  });

  it('4xx is retried later with a longer wait; 5xx fails the mail for the admin to see', async () => {
    const s = await setup();
    try {
      s.smtp.answer = 451;
      const a = await s.enqueue(facts());
      assert.equal((await s.queue.drainOnce()).retried, 1);
      s.clock.now += 30_000;
      assert.equal((await s.queue.drainOnce()).retried, 1);
      const r = await s.row(a.id);
      assert.equal(r.status, 'pending');
      assert.equal(r.next_attempt_at, s.clock.now + 60_000, 'the second wait doubles');
      assert.match(r.last_error!, /try again later/);

      s.smtp.answer = 550;
      s.clock.now += 60_000;
      assert.equal((await s.queue.drainOnce()).failed, 1);
      assert.equal((await s.row(a.id)).status, 'failed');
      s.clock.now += 3600_000;
      assert.equal((await s.queue.drainOnce()).failed, 0, 'a failed mail is not retried');
      assert.equal(s.smtp.received.length, 0);
    } finally {
      await s.close();
    }
  });

  it('a crash between SMTP acceptance and the commit is the only duplicate window, and the duplicate has the same Message-ID', async () => {
    const s = await setup();
    try {
      const { id } = await s.enqueue(facts({ kind: 'cleared' }));
      s.crash.on = true;
      await assert.rejects(s.queue.drainOnce(), /simulated crash/);
      assert.equal((await s.row(id)).status, 'sending');
      s.crash.on = false;
      // Within the lease nobody else sends it.
      assert.equal((await s.queue.drainOnce()).sent, 0);
      s.clock.now += 120_000;
      const stats = await s.queue.drainOnce();
      assert.equal(stats.sent, 1);
      assert.equal(s.smtp.received.length, 2);
      assert.equal(s.smtp.received[0]!.messageId, s.smtp.received[1]!.messageId);
      assert.ok(stats.acceptToCommitMs[0]! < 1000, `accept→commit ${stats.acceptToCommitMs[0]} ms`);
    } finally {
      await s.close();
    }
  });
});
