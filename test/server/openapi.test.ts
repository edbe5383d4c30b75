import assert from 'node:assert/strict';
import { WEBDAV_METHODS } from '../../server/decision/routes.js';
import { after, before, describe, it } from 'node:test';
import { OPENAPI_PATH } from '../../server/app.js';
import { createTestApp, type TestApp } from './helpers.js';

describe('OpenAPI document', () => {
  let t: TestApp;
  before(async () => (t = await createTestApp('sqlite')));
  after(() => t.close());

  it('lists every route the server has, with its methods', async () => {
    const res = await t.app.inject({ method: 'GET', url: OPENAPI_PATH });
    assert.equal(res.statusCode, 200);
    const doc = res.json() as { openapi: string; paths: Record<string, Record<string, unknown>> };
    assert.match(doc.openapi, /^3\.1/);
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
      ),
    );
    // OpenAPI has no words for WebDAV methods (PROPFIND, REPORT, …) that the nginx decision endpoint also accepts.
    const webdav = new Set(WEBDAV_METHODS);
    const actual = t.app.appwachtRoutes
      .filter((r) => !webdav.has(r.method))
      .map((r) => `${r.method} ${r.url}`)
      .filter((r) => r !== `GET ${OPENAPI_PATH}`);
    assert.ok(actual.length >= 18, `found ${actual.length} routes`);
    assert.deepEqual(
      actual.filter((r) => !documented.has(r)),
      [],
    );
    assert.ok(documented.has('POST /api/v1/reports'));
    assert.ok(documented.has('GET /api/v1/admin/devices/:id'));
  });

  it('describes request bodies from the protocol schemas, strictness included', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: OPENAPI_PATH })).json();
    const body = doc.paths['/api/v1/reports'].post.requestBody.content['application/json'].schema;
    assert.ok(body.required.includes('reportId'));
    assert.equal(body.additionalProperties, false);
    const enroll = doc.paths['/api/v1/enroll'].post.requestBody.content['application/json'].schema;
    assert.equal(enroll.properties.host.properties.machineId.pattern, '^[0-9a-f]{64}$');
  });
});
