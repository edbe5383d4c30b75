/**
 * The headless transport over real sockets: a real TLS server with a private CA made by the openssl CLI, a real
 * CONNECT/forward proxy on loopback. The HTTP peer is the protocol STAND-IN (test/helpers/stand-in-server.ts), not server/.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { ServerError } from '../../../agent/transport/errors.js';
import { createApiClient } from '../../../agent/transport/api-client.js';
import { createHttpTransport, trustedCertificates, TransportConfigError, usesProxy } from '../../../agent/transport/http.js';
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

describe('createHttpTransport(): which HTTP client', () => {
  /**
   * One call through the transport in a fresh Node: whether Node's internal undici (its global fetch) or the undici
   * package got loaded. A turn process pays ~20 MiB for either (node-fetch.ts).
   */
  async function loadedBy(
    url: string,
    options: Record<string, unknown>,
  ): Promise<{ status: number; nodeUndici: boolean; undiciPackage: boolean; tls: boolean }> {
    const script = `
      import { registerHooks } from 'node:module';
      const urls = [];
      registerHooks({ load: (u, c, next) => (urls.push(u), next(u, c)) });
      const { createHttpTransport } = await import(${JSON.stringify(new URL('../../../agent/transport/http.ts', import.meta.url).href)});
      const transport = await createHttpTransport(${JSON.stringify(options)});
      const response = await transport.fetch(${JSON.stringify(url)});
      await response.body?.cancel();
      await transport.close();
      console.log(JSON.stringify({
        status: response.status,
        nodeUndici: process.moduleLoadList.some((m) => m.includes('internal/deps/undici')),
        undiciPackage: urls.some((u) => u.includes('/node_modules/undici/')),
        tls: process.moduleLoadList.includes('NativeModule tls'),
      }));`;
    // Not spawnSync: the servers answering it run in this process.
    const run = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      timeout: 30_000,
    });
    return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as {
      status: number;
      nodeUndici: boolean;
      undiciPackage: boolean;
      tls: boolean;
    };
  }

  it("goes over node:http without a proxy: neither Node's fetch, the undici package nor node:tls is loaded", async () => {
    assert.deepEqual(await loadedBy(`${httpServer.url}/x`, { env: {} }), {
      status: 404,
      nodeUndici: false,
      undiciPackage: false,
      tls: false, // plain http: node:tls (~4 MiB) is not loaded either
    });
  });

  it('goes over node:https with the CA file: neither undici is loaded', async () => {
    assert.deepEqual(await loadedBy(`${httpsServer.url}/x`, { env: {}, caFile: pki.caCertFile }), {
      status: 404,
      nodeUndici: false,
      undiciPackage: false,
      tls: true,
    });
  });

  it('loads the undici package when a proxy is set', async () => {
    for (const options of [{ env: { HTTP_PROXY: proxy.url } }, { env: {}, proxy: proxy.url }]) {
      const loaded = await loadedBy(`${httpServer.url}/x`, options);
      assert.equal(loaded.undiciPackage, true, JSON.stringify(options));
      assert.equal(loaded.status, 404, 'through the proxy to the server');
    }
  });

  it('usesProxy() says whether undici (and so WebAssembly) is needed', () => {
    assert.equal(usesProxy({ env: {} }), false);
    assert.equal(usesProxy({ env: { no_proxy: 'x' } }), false);
    assert.equal(usesProxy({ env: { https_proxy: 'proxy.intranet:3128' } }), true);
    assert.equal(usesProxy({ env: {}, proxy: proxy.url }), true);
    assert.throws(() => usesProxy({ env: { HTTPS_PROXY: 'socks5://p:1080' } }), TransportConfigError);
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
