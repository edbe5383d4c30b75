/**
 * Delivers decision changes (rows the ladder writes with the change) to the admin's webhook URL: JSON, signed with
 * HMAC-SHA256 over `<unix seconds>.<body>` in `X-Appwacht-Signature: t=…,v1=<hex>` (the receiver checks it and the
 * age), retried with backoff until 2xx, at most MAX_ATTEMPTS times. The rows are the delivery log. A receiver that
 * hangs is cut off after TIMEOUT_MS and counts as a failed attempt.
 */
import { createHmac } from 'node:crypto';
import { PostgresAdapter, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { backoffMs } from '../mail/queue.js';

const TIMEOUT_MS = 5_000;
const LEASE_MS = 60_000;
const MAX_ATTEMPTS = 12;
const BATCH = 20;

export function signWebhook(secret: string, body: string, unixSeconds: number): string {
  return `t=${unixSeconds},v1=${createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex')}`;
}

export function createWebhookDispatcher(deps: {
  db: Kysely<Database>;
  webhook: { url: string; secret: string };
  now: () => number;
  timeoutMs?: number;
}) {
  const postgres = deps.db.getExecutor().adapter instanceof PostgresAdapter;
  return {
    async drainOnce(): Promise<{ delivered: number; retried: number; failed: number }> {
      const out = { delivered: 0, retried: 0, failed: 0 };
      const now = deps.now();
      const rows = await deps.db.transaction().execute(async (trx) => {
        let q = trx
          .selectFrom('webhook_deliveries')
          .select(['id', 'body', 'attempts'])
          .where('status', 'in', ['pending', 'sending'])
          .where('next_attempt_at', '<=', now)
          .orderBy('id')
          .limit(BATCH);
        if (postgres) q = q.forUpdate().skipLocked();
        const due = await q.execute();
        if (due.length > 0)
          await trx
            .updateTable('webhook_deliveries')
            .set((eb) => ({ status: 'sending', next_attempt_at: now + LEASE_MS, attempts: eb('attempts', '+', 1) }))
            .where(
              'id',
              'in',
              due.map((r) => r.id),
            )
            .execute();
        return due;
      });
      // In order: a receiver sees an employee's deny before the allow that follows it.
      for (const row of rows) {
        const attempts = row.attempts + 1;
        let status: number | null = null;
        let error: string | null = null;
        try {
          const res = await fetch(deps.webhook.url, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'x-appwacht-delivery': String(row.id),
              'x-appwacht-signature': signWebhook(deps.webhook.secret, row.body, Math.floor(deps.now() / 1000)),
            },
            body: row.body,
            signal: AbortSignal.timeout(deps.timeoutMs ?? TIMEOUT_MS),
          });
          status = res.status;
          await res.body?.cancel();
          if (!res.ok) error = `HTTP ${res.status}`;
        } catch (err) {
          error = (err as Error).name === 'TimeoutError' ? 'timed out' : String((err as Error).message).slice(0, 300);
        }
        const ok = error === null;
        const gaveUp = !ok && attempts >= MAX_ATTEMPTS;
        await deps.db
          .updateTable('webhook_deliveries')
          .set({
            status: ok ? 'delivered' : gaveUp ? 'failed' : 'pending',
            delivered_at: ok ? deps.now() : null,
            last_status: status,
            last_error: error,
            next_attempt_at: deps.now() + (ok ? 0 : backoffMs(attempts)),
          })
          .where('id', '=', row.id)
          .execute();
        if (ok) out.delivered++;
        else if (gaveUp) out.failed++;
        else out.retried++;
      }
      return out;
    },
  };
}
export type WebhookDispatcher = ReturnType<typeof createWebhookDispatcher>;
