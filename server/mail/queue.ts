/**
 * Delivers the mail outbox (rows written in the same transaction as the ladder step) over SMTP with nodemailer.
 *
 * A row is leased (status `sending`, next_attempt_at = lease end) in its own short transaction before the SMTP
 * conversation, and marked `sent` right after the server accepted it. So no mail is sent twice across restarts,
 * except in one window: a crash after the SMTP server's acceptance and before the `sent` commit; the lease then
 * runs out and the mail goes again. That window is measured (`acceptToCommitMs`) and the Message-ID is fixed per row,
 * so a receiving server or client can drop the duplicate. With several instances on PostgreSQL the lease is taken
 * with FOR UPDATE SKIP LOCKED: one instance per row.
 *
 * SMTP away or answering 4xx: the row waits with exponential backoff. 5xx (permanent): the row is `failed` with the
 * server's answer, shown to the admin; it is not retried.
 */
import type { FastifyBaseLogger } from 'fastify';
import { PostgresAdapter, type Kysely } from 'kysely';
import nodemailer from 'nodemailer';
import type { Database } from '../db/schema.js';
import type { MailFacts } from '../escalation/service.js';
import { mailTemplatesRepo } from '../repositories/mail-templates.js';
import { renderMail } from './render.js';

const LEASE_MS = 120_000;
/** One mail leased at a time: a lease never has to outlast several slow SMTP conversations. */
const BATCH = 1;
const BACKOFF_BASE_MS = 30_000;
const BACKOFF_MAX_MS = 3600_000;

export interface MailerStats {
  sent: number;
  retried: number;
  failed: number;
  /** Per sent mail: time from the SMTP server's acceptance to the commit that marks it sent (the duplicate window). */
  acceptToCommitMs: number[];
}

export function backoffMs(attempts: number): number {
  return Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempts - 1));
}

export function createMailQueue(deps: {
  db: Kysely<Database>;
  /**
   * leaseSeconds: how long one instance holds a mail it is sending (default 120). A mail whose sender died goes again
   * once its lease ran out; the SMTP conversation is cut off at half the lease, so a slow server never outlives it.
   */
  smtp: { url: string; from: string; leaseSeconds?: number };
  now: () => number;
  /** Test hook: runs after the SMTP server accepted a mail, before it is marked sent (crash-window tests). */
  afterAccept?: (id: number) => Promise<void> | void;
  log?: Pick<FastifyBaseLogger, 'warn'>;
}) {
  const leaseMs = (deps.smtp.leaseSeconds ?? LEASE_MS / 1000) * 1000;
  const cutOff = Math.min(30_000, leaseMs / 2);
  // One pooled connection, reused across mails (a new SMTP conversation per mail costs a handshake each).
  const transport = nodemailer.createTransport({
    url: deps.smtp.url,
    pool: true,
    maxConnections: 1,
    connectionTimeout: Math.min(10_000, cutOff),
    greetingTimeout: Math.min(10_000, cutOff),
    socketTimeout: cutOff,
  } as Parameters<typeof nodemailer.createTransport>[0]);
  const postgres = deps.db.getExecutor().adapter instanceof PostgresAdapter;

  async function lease(now: number): Promise<{ id: number; employee: string; facts: string; attempts: number }[]> {
    return deps.db.transaction().execute(async (trx) => {
      const pick = (status: 'pending' | 'sending') => {
        let q = trx
          .selectFrom('mail_outbox')
          .select(['id', 'employee', 'facts', 'attempts'])
          .where('status', '=', status)
          .where('next_attempt_at', '<=', now)
          .orderBy('next_attempt_at')
          .limit(BATCH);
        if (postgres) q = q.forUpdate().skipLocked();
        return q.execute();
      };
      // A `sending` row whose lease ran out belongs to an instance that died mid-conversation.
      const rows = [...(await pick('pending')), ...(await pick('sending'))].slice(0, BATCH);
      if (rows.length === 0) return [];
      await trx
        .updateTable('mail_outbox')
        .set((eb) => ({ status: 'sending', next_attempt_at: now + leaseMs, attempts: eb('attempts', '+', 1) }))
        .where(
          'id',
          'in',
          rows.map((r) => r.id),
        )
        .execute();
      return rows.map((r) => ({ id: r.id, employee: r.employee!, facts: r.facts, attempts: r.attempts + 1 }));
    });
  }

  return {
    /** Sends what is due now; returns what happened. */
    async drainOnce(): Promise<MailerStats> {
      const stats: MailerStats = { sent: 0, retried: 0, failed: 0, acceptToCommitMs: [] };
      for (;;) {
        const rows = await lease(deps.now());
        if (rows.length === 0) return stats;
        // Read per batch: a template the admin saved on another instance is used from the next batch on.
        const templates = await mailTemplatesRepo(deps.db).all();
        for (const row of rows) {
          const mail = renderMail(JSON.parse(row.facts) as MailFacts, templates, (key, err) =>
            deps.log?.warn({ template: key, err: err.message }, 'stored mail template refused; the shipped one was used'),
          );
          const messageId = `<appwacht-mail-${row.id}@appwacht.invalid>`;
          try {
            await transport.sendMail({ from: deps.smtp.from, to: row.employee, messageId, ...mail });
          } catch (err) {
            const e = err as { responseCode?: number; message?: string };
            const permanent = typeof e.responseCode === 'number' && e.responseCode >= 500;
            await deps.db
              .updateTable('mail_outbox')
              .set({
                status: permanent ? 'failed' : 'pending',
                next_attempt_at: deps.now() + backoffMs(row.attempts),
                last_error: String(e.message ?? err).slice(0, 500),
              })
              .where('id', '=', row.id)
              .execute();
            if (permanent) stats.failed++;
            else stats.retried++;
            continue;
          }
          const accepted = performance.now();
          await deps.afterAccept?.(row.id);
          await deps.db
            .updateTable('mail_outbox')
            .set({ status: 'sent', sent_at: deps.now(), message_id: messageId, last_error: null })
            .where('id', '=', row.id)
            .execute();
          stats.acceptToCommitMs.push(performance.now() - accepted);
          stats.sent++;
        }
      }
    },
    /**
     * One test mail outside the queue, for the admin's "send a test mail" button: proves server, credentials and
     * sender address before the first real warning depends on them. Rejects with the SMTP server's answer.
     */
    async sendTest(to: string): Promise<{ response: string }> {
      const info = await transport.sendMail({
        from: deps.smtp.from,
        to,
        subject: 'Appwacht: Testmail / test mail',
        text:
          'Diese Testmail hat ein Appwacht-Administrator ausgelöst. Der Mailversand funktioniert.\n\n' +
          'An Appwacht administrator sent this test mail. Sending mail works.\n',
      });
      return { response: String((info as { response?: unknown }).response ?? '') };
    },
    close(): void {
      transport.close();
    },
  };
}
export type MailQueue = ReturnType<typeof createMailQueue>;

export function startMailQueue(q: MailQueue, seconds: number, log: FastifyBaseLogger): { stop(): Promise<void> } {
  let running: Promise<void> | null = null;
  const tick = () => {
    if (running) return;
    running = q
      .drainOnce()
      .then((s) => {
        if (s.sent + s.failed + s.retried > 0)
          log.info(
            { sent: s.sent, failed: s.failed, retried: s.retried, maxAcceptToCommitMs: Math.max(0, ...s.acceptToCommitMs) },
            'mail queue',
          );
      })
      .catch((err: unknown) => log.error({ err }, 'mail queue failed'))
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(tick, seconds * 1000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
      q.close();
    },
  };
}
