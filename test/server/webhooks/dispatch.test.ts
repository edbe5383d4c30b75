import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { createWebhookDispatcher } from '../../../server/webhooks/dispatch.js';
import { createTestDb } from '../helpers.js';

const SECRET = 'a-webhook-secret-of-some-length';

/** The receiver side, as a gateway script would check it. */
function verify(header: string, body: string): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!m) return false;
  const expected = createHmac('sha256', SECRET).update(`${m[1]}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(m[2]!, 'hex'));
}

describe('decision webhooks', () => {
  it('delivers signed, retries a failing and a hanging receiver with backoff, and keeps the log', async () => {
    const got: { body: string; signature: string }[] = [];
    let mode: 'ok' | 'fail' | 'hang' = 'hang';
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (mode === 'hang') return; // never answers
        if (mode === 'fail') return res.writeHead(503).end();
        got.push({ body: Buffer.concat(chunks).toString(), signature: String(req.headers['x-appwacht-signature']) });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const db = await createTestDb('sqlite');
    const clock = { now: Date.parse('2026-03-29T00:00:00Z') };
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      const d = createWebhookDispatcher({
        db: db.handle.db,
        webhook: { url, secret: SECRET },
        now: () => clock.now,
        timeoutMs: 2000,
      });
      const body = JSON.stringify({ event: 'decision.changed', employee: 'ben@stadt.example', decision: 'deny' });
      await db.handle.db
        .insertInto('webhook_deliveries')
        .values({
          created_at: clock.now,
          employee: 'ben@stadt.example',
          body,
          status: 'pending',
          next_attempt_at: clock.now,
          last_status: null,
          last_error: null,
          delivered_at: null,
        })
        .execute();
      const row = () => db.handle.db.selectFrom('webhook_deliveries').selectAll().executeTakeFirstOrThrow();

      assert.deepEqual(await d.drainOnce(), { delivered: 0, retried: 1, failed: 0 });
      assert.equal((await row()).last_error, 'timed out');
      mode = 'fail';
      clock.now += 30_000;
      assert.deepEqual(await d.drainOnce(), { delivered: 0, retried: 1, failed: 0 });
      assert.equal((await row()).last_status, 503);
      assert.equal((await row()).next_attempt_at, clock.now + 60_000);
      mode = 'ok';
      clock.now += 60_000;
      assert.deepEqual(await d.drainOnce(), { delivered: 1, retried: 0, failed: 0 });
      assert.equal(got.length, 1);
      assert.equal(got[0]!.body, body);
      assert.ok(verify(got[0]!.signature, got[0]!.body), 'signature verifies');
      assert.ok(!verify(got[0]!.signature, got[0]!.body.replace('deny', 'allow')), 'a changed body does not');
      const r = await row();
      assert.equal(r.status, 'delivered');
      assert.equal(r.attempts, 3);
      assert.deepEqual(await d.drainOnce(), { delivered: 0, retried: 0, failed: 0 });
    } finally {
      server.closeAllConnections();
      server.close();
      await db.cleanup();
    }
  });
});
