import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { bearer, createTestApp } from '../helpers.js';

/** Reads one raw HTTP response head over a real socket: app.inject and fetch both hide what the wire carries. */
function rawGet(port: number, path: string, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.on('data', (d) => {
      data += d.toString('latin1');
      // A 304 has no body; give a wrongly announced one a moment to arrive, then stop.
      if (data.includes('\r\n\r\n')) setTimeout(() => socket.end(), 100);
    });
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
    const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
    socket.write([`GET ${path} HTTP/1.1`, 'host: 127.0.0.1', ...lines, '', ''].join('\r\n'));
  });
}

describe('GET /api/v1/policy 304 on the wire', () => {
  it('announces no body: no Content-Length, no Content-Type, nothing after the head (RFC 9110 §8.6, §15.4.5)', async () => {
    const t = await createTestApp('sqlite');
    try {
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      const port = (t.app.server.address() as { port: number }).port;
      const { deviceToken } = await t.enroll();
      const first = await t.app.inject({ method: 'GET', url: '/api/v1/policy', headers: bearer(deviceToken) });
      const etag = first.headers.etag as string;
      const raw = await rawGet(port, '/api/v1/policy', { ...bearer(deviceToken), 'if-none-match': etag });
      const [head, body] = raw.split('\r\n\r\n');
      assert.match(head!, /^HTTP\/1\.1 304 /);
      assert.match(head!, new RegExp(`\r\netag: ${etag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\r\n`, 'i'));
      assert.doesNotMatch(head!, /content-length:/i, 'a 304 must not announce the length of a body it does not send');
      assert.doesNotMatch(head!, /content-type:/i);
      assert.equal(body, '');
    } finally {
      await t.close();
    }
  });
});
