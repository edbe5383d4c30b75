import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { AgentRoutes, Report } from '../../../protocol/index.js';
import { Outbox } from '../../../agent/outbox/outbox.js';
import { spawnTs } from '../../helpers/child.js';

const CHILD = 'test/agent/report/children/deliver-loop.ts';
const ROUNDS = Number(process.env.APPWACHT_KILL_ROUNDS ?? 30);

/**
 * A STAND-IN for the Appwacht server's report endpoint (server/ is written in parallel): it stores by reportId and
 * answers ReportAck — `stored: true` the first time, `stored: false` for a retry — like the real one will. To widen
 * the window for lost acks it waits a random 0–30 ms after storing before it answers, and answers 503 to one
 * request in ten without storing. It lives in the test process, so it survives every kill of the agent.
 */
function startStandIn() {
  const stored = new Map<string, number>(); // reportId → times stored with stored:true (must end at 1)
  let posts = 0;
  let retriesAnswered = 0;
  let unavailable = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== AgentRoutes.reports) {
        res.writeHead(404).end();
        return;
      }
      posts++;
      if (Math.random() < 0.1) {
        unavailable++;
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ statusCode: 503, code: 'UNAVAILABLE', message: 'stand-in says try later' }));
        return;
      }
      const parsed = Report.safeParse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      if (!parsed.success) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ statusCode: 400, code: 'INVALID', message: 'not a report' }));
        return;
      }
      const id = parsed.data.reportId;
      const isNew = !stored.has(id);
      if (isNew) stored.set(id, 1);
      else retriesAnswered++;
      setTimeout(() => {
        res.writeHead(isNew ? 201 : 200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ reportId: id, stored: isNew }));
      }, Math.random() * 30);
    });
  });
  return {
    stored,
    stats: () => ({ posts, retriesAnswered, unavailable }),
    listen: () =>
      new Promise<string>((resolve) =>
        server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
      ),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let dir: string;
after(async () => dir && (await rm(dir, { recursive: true, force: true })));

describe('report delivery under SIGKILL', () => {
  it(`stores every enqueued report exactly once, over ${ROUNDS} kills of the agent at random points`, async () => {
    dir = await mkdtemp(join(tmpdir(), 'appwacht-delivery-'));
    const server = startStandIn();
    const url = await server.listen();
    const resolved = new Set<string>();
    const tried = new Set<string>();
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const child = spawnTs(CHILD, [dir, url, 'produce']);
        await child.waitFor(/^ready$/);
        await new Promise((r) => setTimeout(r, 50 + Math.random() * 750));
        await child.kill();
        for (const line of child.lines) {
          const [what, id] = line.split(' ');
          if (what === 'ok') resolved.add(id!);
          if (what === 'try') tried.add(id!);
        }
      }
      const drain = spawnTs(CHILD, [dir, url, 'drain']);
      await drain.waitFor(/^drained/, 60_000);
      await drain.exited;

      const ids = [...server.stored.keys()];
      for (const id of resolved) assert.ok(server.stored.has(id), `report ${id} was enqueued but never reached the server`);
      for (const id of ids) assert.ok(tried.has(id), `the server has ${id}, which the agent never enqueued`);
      const storedTrue = [...server.stored.values()].reduce((a, b) => a + b, 0);
      assert.equal(storedTrue, ids.length, 'each report stored with stored:true exactly once');
      assert.equal(new Set(ids).size, ids.length);
      assert.equal((await Outbox.open({ dir })).size, 0, 'the outbox is empty once everything is acknowledged');

      const s = server.stats();
      console.log(
        `# ${ROUNDS} SIGKILLs: ${resolved.size} enqueues resolved, ${ids.length} distinct reports stored (stored:true ${storedTrue}×), ` +
          `${s.posts} POSTs, ${s.retriesAnswered} retries answered stored:false, ${s.unavailable} answered 503`,
      );
      assert.ok(resolved.size > ROUNDS, 'the agent got real work done between kills');
    } finally {
      await server.close();
    }
  });
});
