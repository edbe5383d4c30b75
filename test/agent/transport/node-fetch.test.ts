/**
 * node-fetch.ts over real sockets on loopback: what the agent's callers rely on of fetch (api-client.test.ts covers the
 * protocol on top of it).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { createNodeFetch, type NodeFetch } from '../../../agent/transport/node-fetch.js';
import type { FetchBody } from '../../../agent/transport/errors.js';

let server: Server;
let base: string;
let handle: (req: IncomingMessage, res: ServerResponse, body: string) => void = (_q, res) => res.end();
let client: NodeFetch;

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => (body += c));
    req.on('end', () => handle(req, res, body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  client = createNodeFetch({ connectTimeoutMs: 2_000 });
});
after(async () => {
  client.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

async function text(body: FetchBody | null): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const c of body ?? []) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

describe('createNodeFetch()', () => {
  it('sends method, headers and a string body; answers status, headers (any case) and the body', async () => {
    let seen: { method?: string; type?: string; length?: string; body?: string } = {};
    handle = (req, res, body) => {
      seen = { method: req.method, type: req.headers['content-type'], length: req.headers['content-length'], body };
      res.writeHead(201, { ETag: '"v1"', 'X-Two': ['a', 'b'] }).end('ok: ä');
    };
    const r = await client.fetch(`${base}/reports`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"x":"ä"}',
    });
    assert.deepEqual(seen, { method: 'POST', type: 'application/json', length: '10', body: '{"x":"ä"}' });
    assert.equal(r.status, 201);
    assert.equal(r.headers.get('etag'), '"v1"');
    assert.equal(r.headers.get('X-Two'), 'a, b');
    assert.equal(r.headers.get('retry-after'), null);
    assert.equal(await text(r.body), 'ok: ä');
  });

  it('does not follow a redirect (it would carry the token elsewhere)', async () => {
    let calls = 0;
    handle = (_q, res) => {
      calls++;
      res.writeHead(302, { location: `${base}/elsewhere` }).end();
    };
    const r = await client.fetch(`${base}/policy`);
    assert.equal(r.status, 302);
    assert.equal(r.headers.get('location'), `${base}/elsewhere`);
    assert.equal(calls, 1);
    await r.body?.cancel();
  });

  it('a 304 has no body', async () => {
    handle = (_q, res) => res.writeHead(304).end();
    assert.equal((await client.fetch(`${base}/policy`)).body, null);
  });

  it('a refused connection → "fetch failed" with the cause, as Node\'s fetch says it', async () => {
    const gone = createServer();
    await new Promise<void>((r) => gone.listen(0, '127.0.0.1', r));
    const port = (gone.address() as AddressInfo).port;
    await new Promise((r) => gone.close(r));
    await assert.rejects(client.fetch(`http://127.0.0.1:${port}/`), (err: Error & { cause?: { code?: string } }) => {
      assert.equal(err.message, 'fetch failed');
      assert.equal(err.cause?.code, 'ECONNREFUSED');
      return true;
    });
  });

  it("a deadline before the headers rejects with the signal's TimeoutError", async () => {
    handle = () => {}; // never answers
    await assert.rejects(client.fetch(`${base}/hang`, { signal: AbortSignal.timeout(150) }), { name: 'TimeoutError' });
  });

  it('a deadline in the middle of the body ends the body stream with the TimeoutError', async () => {
    handle = (_q, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('half');
    };
    const r = await client.fetch(`${base}/slow`, { signal: AbortSignal.timeout(300) });
    assert.equal(r.status, 200);
    await assert.rejects(text(r.body), { name: 'TimeoutError' });
  });

  it('a connection cut in the middle of the body ends the body with an error, never as a short body', async () => {
    handle = (_q, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('half', () => res.socket?.destroy());
    };
    const r = await client.fetch(`${base}/cut`);
    assert.equal(r.status, 200);
    await assert.rejects(text(r.body));
  });

  it('cancel() lets the answer go: the server sees its request closed before the body is complete', async () => {
    let closedEarly!: Promise<boolean>;
    handle = (_q, res) => {
      res.writeHead(200, { 'content-length': '1000000' });
      res.write('x'.repeat(1000));
      closedEarly = new Promise((resolve) => res.on('close', () => resolve(!res.writableFinished)));
    };
    const r = await client.fetch(`${base}/long`);
    for await (const chunk of r.body!) {
      assert.ok(chunk.byteLength > 0);
      break; // leaving the loop lets the body go, as readBodyBytes does past its limit
    }
    // Bounded: a body that is not let go would keep the request open until the server gives up.
    const closed = () => Promise.race([closedEarly, new Promise((r) => setTimeout(r, 5000, 'still open after 5 s'))]);
    assert.equal(await closed(), true);
    const again = await client.fetch(`${base}/long`);
    await again.body!.cancel();
    assert.equal(await closed(), true);
  });

  it('an already aborted signal rejects at once, sending nothing', async () => {
    let calls = 0;
    handle = (_q, res) => (calls++, res.end());
    const aborted = AbortSignal.abort();
    await assert.rejects(client.fetch(`${base}/x`, { signal: aborted }), { name: 'AbortError' });
    assert.equal(calls, 0);
  });

  it('bounds the TLS handshake: a peer that accepts and never answers → connect timeout', async () => {
    const sockets: Socket[] = [];
    const mute = createTcpServer((s) => sockets.push(s));
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
    const quick = createNodeFetch({ connectTimeoutMs: 200 });
    try {
      const t0 = Date.now();
      await assert.rejects(
        quick.fetch(`https://127.0.0.1:${(mute.address() as AddressInfo).port}/`),
        (err: Error & { cause?: { code?: string } }) => {
          assert.equal(err.cause?.code, 'UND_ERR_CONNECT_TIMEOUT');
          return true;
        },
      );
      assert.ok(Date.now() - t0 < 5_000);
    } finally {
      quick.close();
      for (const s of sockets) s.destroy();
      await new Promise((r) => mute.close(r));
    }
  });

  it('refuses what the agent never sends (another scheme, a non-string body) instead of guessing', async () => {
    await assert.rejects(client.fetch('ftp://127.0.0.1/x'), { message: 'fetch failed' });
    await assert.rejects(client.fetch(`${base}/x`, { method: 'POST', body: new Uint8Array([1]) }), TypeError);
    await assert.rejects(client.fetch('not a url'), TypeError);
  });
});
