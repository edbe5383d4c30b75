/**
 * The headless transport over real sockets: a real TLS server with a private CA made by the openssl CLI, a real
 * CONNECT/forward proxy on loopback. The HTTP peer is the protocol STAND-IN (test/helpers/stand-in-server.ts), not server/.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { ServerError } from '../../../agent/transport/errors.js';
import { createApiClient } from '../../../agent/transport/api-client.js';
import { createHttpTransport, trustedCertificates, TransportConfigError } from '../../../agent/transport/http.js';
import { startStandInServer, type StandInServer } from '../../helpers/stand-in-server.js';
import { startTestProxy, type TestProxy } from '../../helpers/test-proxy.js';
import { makeTestPki, type TestPki } from '../../helpers/tls-certs.js';

let dir: string;
let pki: TestPki;
let httpsServer: StandInServer;
let httpServer: StandInServer;
let proxy: TestProxy;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'appwacht-http-'));
  pki = await makeTestPki(dir);
  httpsServer = await startStandInServer({ tls: { key: pki.serverKey, cert: pki.serverCert } });
  httpServer = await startStandInServer();
  proxy = await startTestProxy();
});
after(async () => {
  await Promise.all([httpsServer.close(), httpServer.close(), proxy.close()]);
  await rm(dir, { recursive: true, force: true });
});

/** Any authenticated call; the stand-in answers 401 to the fake token, which proves a full round trip. */
async function roundTrip(serverUrl: string, options: Parameters<typeof createHttpTransport>[0]): Promise<ServerError> {
  const transport = await createHttpTransport(options);
  try {
    await createApiClient({ serverUrl, fetch: transport.fetch, getToken: () => 'not-a-real-token', timeoutMs: 5000 }).getPolicy();
    assert.fail('the stand-in must answer 401 to a fake token');
  } catch (err) {
    assert.ok(err instanceof ServerError, String(err));
    return err;
  } finally {
    await transport.close();
  }
}

describe('createHttpTransport(): TLS with the organisation CA', () => {
  it('rejects a server certificate from a private CA when no CA file is configured', async () => {
    const err = await roundTrip(httpsServer.url, { env: {} });
    assert.equal(err.code, 'UNAVAILABLE');
    assert.match(err.message, /certificate/i);
  });

  it('trusts the server once the CA file is configured', async () => {
    const err = await roundTrip(httpsServer.url, { env: {}, caFile: pki.caCertFile });
    assert.equal(err.code, 'UNAUTHORIZED', 'TLS succeeded and the server answered');
    assert.equal(err.details.status, 401);
  });

  it('adds the CA file to the default roots instead of replacing them', () => {
    const list = trustedCertificates(pki.caCert);
    assert.equal(list.at(-1), pki.caCert);
    assert.ok(list.includes(tls.rootCertificates[0]!), 'public roots are still trusted');
    assert.equal(list.length, trustedCertificates().length + 1);
  });

  it('rejects a certificate from another private CA even with a CA file configured', async () => {
    const otherDir = await mkdtemp(join(tmpdir(), 'appwacht-http-other-'));
    try {
      const other = await makeTestPki(otherDir, 'Other');
      const err = await roundTrip(httpsServer.url, { env: {}, caFile: other.caCertFile });
      assert.equal(err.code, 'UNAVAILABLE');
    } finally {
      await rm(otherDir, { recursive: true, force: true });
    }
  });

  it('says clearly when the CA file is missing or holds no certificate', async () => {
    await assert.rejects(createHttpTransport({ caFile: join(dir, 'missing.pem') }), (err: unknown) => {
      assert.ok(err instanceof TransportConfigError);
      assert.equal(err.code, 'CA_FILE_UNREADABLE');
      assert.match(err.message, /missing\.pem/);
      return true;
    });
    const junk = join(dir, 'junk.pem');
    await writeFile(junk, 'this is not a certificate\n');
    await assert.rejects(createHttpTransport({ caFile: junk }), { code: 'CA_FILE_INVALID' });
  });
});

describe('createHttpTransport(): which fetch', () => {
  /** Runs `work` with globalThis.fetch replaced by a stand-in that records its calls. */
  async function withNodeFetchSpy(work: () => Promise<void>): Promise<string[]> {
    const original = globalThis.fetch;
    const calls: string[] = [];
    globalThis.fetch = (input) => {
      calls.push(String(input));
      return Promise.resolve(new Response('{}'));
    };
    try {
      await work();
    } finally {
      globalThis.fetch = original;
    }
    return calls;
  }

  it("uses Node's own fetch (no undici to load) when neither a proxy nor a CA file is set", async () => {
    const calls = await withNodeFetchSpy(async () => {
      const transport = await createHttpTransport({ env: {} });
      await transport.fetch(`${httpServer.url}/x`);
      await transport.close();
    });
    assert.deepEqual(calls, [`${httpServer.url}/x`]);
  });

  it('uses undici when a proxy or a CA file is set', async () => {
    for (const options of [
      { env: { HTTPS_PROXY: proxy.url } },
      { env: {}, proxy: proxy.url },
      { env: {}, caFile: pki.caCertFile },
    ]) {
      const calls = await withNodeFetchSpy(async () => {
        const transport = await createHttpTransport(options);
        await transport.fetch(`${httpServer.url}/x`).catch(() => {}); // the answer does not matter here
        await transport.close();
      });
      assert.deepEqual(calls, [], JSON.stringify(options));
    }
  });
});

describe('createHttpTransport(): proxies', () => {
  it('tunnels https through the configured proxy with CONNECT', async () => {
    proxy.seen.length = 0;
    const err = await roundTrip(httpsServer.url, { env: {}, caFile: pki.caCertFile, proxy: proxy.url });
    assert.equal(err.code, 'UNAUTHORIZED');
    assert.deepEqual(proxy.seen, [`CONNECT ${new URL(httpsServer.url).host}`]);
  });

  it('forwards plain http through the configured proxy (absolute URI, no tunnel)', async () => {
    proxy.seen.length = 0;
    const err = await roundTrip(httpServer.url, { env: {}, proxy: proxy.url });
    assert.equal(err.code, 'UNAUTHORIZED');
    assert.deepEqual(proxy.seen, [`GET ${httpServer.url}/api/v1/policy`]);
  });

  it('honours HTTPS_PROXY from the environment when no proxy is configured', async () => {
    proxy.seen.length = 0;
    const err = await roundTrip(httpsServer.url, { env: { HTTPS_PROXY: proxy.url }, caFile: pki.caCertFile });
    assert.equal(err.code, 'UNAUTHORIZED');
    assert.equal(proxy.seen.length, 1);
  });

  it('honours lower-case http_proxy too', async () => {
    proxy.seen.length = 0;
    await roundTrip(httpServer.url, { env: { http_proxy: proxy.url } });
    assert.equal(proxy.seen.length, 1);
  });

  it('bypasses the proxy for hosts in NO_PROXY', async () => {
    proxy.seen.length = 0;
    const err = await roundTrip(httpServer.url, { env: { HTTP_PROXY: proxy.url, NO_PROXY: 'localhost,127.0.0.1' } });
    assert.equal(err.code, 'UNAUTHORIZED');
    assert.deepEqual(proxy.seen, []);
  });

  it('goes direct when no proxy is set anywhere', async () => {
    proxy.seen.length = 0;
    await roundTrip(httpServer.url, { env: {} });
    assert.deepEqual(proxy.seen, []);
  });

  it('the configured proxy wins over the environment', async () => {
    const other = await startTestProxy();
    try {
      proxy.seen.length = 0;
      await roundTrip(httpServer.url, { env: { HTTP_PROXY: other.url }, proxy: proxy.url });
      assert.equal(proxy.seen.length, 1);
      assert.deepEqual(other.seen, []);
    } finally {
      await other.close();
    }
  });

  it('a proxy that is down → UNAVAILABLE', async () => {
    const gone = await startTestProxy();
    const url = gone.url;
    await gone.close();
    const err = await roundTrip(httpServer.url, { env: {}, proxy: url });
    assert.equal(err.code, 'UNAVAILABLE');
  });

  it('reads a proxy without a scheme as http, as curl does', async () => {
    proxy.seen.length = 0;
    await roundTrip(httpServer.url, { env: { HTTP_PROXY: proxy.url.replace('http://', '') } });
    assert.equal(proxy.seen.length, 1);
  });

  it('rejects proxy settings that are not http(s) URLs, naming where they came from', async () => {
    await assert.rejects(createHttpTransport({ proxy: 'ftp://proxy.intranet:21' }), {
      code: 'PROXY_INVALID',
      message: /^proxy "ftp:/,
    });
    await assert.rejects(createHttpTransport({ env: { HTTPS_PROXY: 'http://' } }), {
      code: 'PROXY_INVALID',
      message: /^HTTPS_PROXY/,
    });
  });
});
