/**
 * The signed-policy client with real files in a temp state folder and real HTTP to a STAND-IN server
 * (test/helpers/stand-in-server.ts: protocol-faithful, not server/; the end-to-end test with the real server comes later).
 */
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSigningKeys, policyEtag, signPayload, type Policy, type SignedPolicy } from '../../../protocol/index.js';
import { memoryLogger } from '../../../agent/log.js';
import { createPolicyClient, type PolicyClient } from '../../../agent/policy/client.js';
import { loadDefaultPolicy } from '../../../agent/policy/default-policy.js';
import { createFilePolicyStore, type PolicyStore } from '../../../agent/policy/store.js';
import { createApiClient, type ApiClient } from '../../../agent/transport/api-client.js';
import { createHttpTransport, type HttpTransport } from '../../../agent/transport/http.js';
import { startStandInServer, type StandInServer } from '../../helpers/stand-in-server.js';

const keys = generateSigningKeys();
const otherKeys = generateSigningKeys();

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Signed an hour ago, valid for 14 days, as the server signs: in the first half of its validity. */
function policyDoc(version: number, overrides: Partial<Policy> = {}): Policy {
  return {
    ...structuredClone(loadDefaultPolicy()),
    version,
    issuedAt: new Date(Date.now() - HOUR).toISOString(),
    expiresAt: new Date(Date.now() + 14 * DAY).toISOString(),
    organization: { name: `Stadt Testhausen v${version}`, support: { email: 'it@testhausen.example' } },
    ...overrides,
  };
}
const signed = (p: Policy, pem = keys.privateKeyPem): SignedPolicy => signPayload(JSON.stringify(p), pem);

let dir: string;
let server: StandInServer;
let transport: HttpTransport;
let api: ApiClient;
let store: PolicyStore;
let log: ReturnType<typeof memoryLogger>;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'appwacht-policy-client-'));
  server = await startStandInServer();
  transport = await createHttpTransport({ env: {} });
  const enrolled = await createApiClient({ serverUrl: server.url, fetch: transport.fetch, getToken: () => undefined }).enroll({
    enrollmentSecret: server.secret,
    host: { hostname: 'h', os: 'linux', osVersion: '', osUser: 'u', agentVersion: '0.1.0', machineId: 'b'.repeat(64) },
  });
  api = createApiClient({ serverUrl: server.url, fetch: transport.fetch, getToken: () => enrolled.deviceToken, timeoutMs: 3000 });
  store = createFilePolicyStore(dir);
  log = memoryLogger();
});
afterEach(async () => {
  await transport.close();
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

const client = (overrides: Partial<Parameters<typeof createPolicyClient>[0]> = {}): PolicyClient =>
  createPolicyClient({ publicKey: keys.publicKey, api, store, log, ...overrides });
const rejections = () => log.lines.filter((l) => l.msg === 'policy rejected');

describe('createPolicyClient(): local mode', () => {
  it('runs on the bundled policy without a policy key, and says so', async () => {
    const result = await client({ publicKey: undefined }).refresh();
    assert.equal(result.origin, 'bundled');
    assert.equal(result.version, null);
    assert.deepEqual(result.refresh, { outcome: 'skipped' });
    assert.match(result.reason ?? '', /no policy public key/);
    assert.equal(result.policy.version, loadDefaultPolicy().version);
    assert.equal(server.requests.filter((r) => r.url.endsWith('/policy')).length, 0, 'the server is not asked');
  });

  it('runs on the bundled policy without a server', async () => {
    const result = await client({ api: undefined }).current();
    assert.equal(result.origin, 'bundled');
    assert.match(result.reason ?? '', /no server configured/);
  });

  it('says when the configured key is unusable', async () => {
    const result = await client({ publicKey: 'AAAA' }).refresh();
    assert.equal(result.origin, 'bundled');
    assert.match(result.reason ?? '', /unusable/);
  });
});

describe('createPolicyClient(): fetching and caching', () => {
  it('takes a good signed policy, caches the envelope, and sends its ETag next time (304)', async () => {
    server.policy = signed(policyDoc(4));
    const c = client();
    const first = await c.refresh();
    assert.equal(first.origin, 'server');
    assert.equal(first.version, 4);
    assert.deepEqual(first.refresh, { outcome: 'updated', previousVersion: null });
    const onDisk = JSON.parse(await readFile(store.path, 'utf8'));
    assert.deepEqual(onDisk.signed, server.policy, 'the exact envelope is kept');

    const second = await c.refresh();
    assert.deepEqual(second.refresh, { outcome: 'not-modified' });
    assert.equal(second.origin, 'server');
    assert.ok(server.requests.at(-1)!.headers['if-none-match'], 'If-None-Match was sent');
  });

  it('after a restart with the server down, runs on the cached policy', async () => {
    server.policy = signed(policyDoc(4));
    await client().refresh();
    await server.close();
    const result = await client().refresh();
    assert.equal(result.origin, 'cache');
    assert.equal(result.version, 4);
    assert.equal(result.refresh.outcome, 'failed');
    assert.equal(result.refresh.outcome === 'failed' && result.refresh.error.code, 'UNAVAILABLE');
    assert.match(result.reason ?? '', /server unavailable/);
  });

  it('sends the cached ETag after a restart too', async () => {
    server.policy = signed(policyDoc(4));
    await client().refresh();
    const result = await client().refresh();
    assert.deepEqual(result.refresh, { outcome: 'not-modified' });
  });

  it('takes a newer version', async () => {
    server.policy = signed(policyDoc(4));
    const c = client();
    await c.refresh();
    server.policy = signed(policyDoc(5));
    const result = await c.refresh();
    assert.deepEqual(result.refresh, { outcome: 'updated', previousVersion: 4 });
    assert.equal(result.version, 5);
    assert.ok(log.lines.some((l) => l.msg === 'policy updated' && l.version === 5 && l.previous === 4));
  });

  it('reports 401 as a failed refresh with UNAUTHORIZED (the caller re-enrolls) and keeps the cached policy', async () => {
    server.policy = signed(policyDoc(4));
    const c = client();
    await c.refresh();
    server.revokeAll();
    const result = await c.refresh();
    assert.equal(result.refresh.outcome === 'failed' && result.refresh.error.code, 'UNAUTHORIZED');
    assert.equal(result.origin, 'cache');
    assert.equal(result.version, 4);
    assert.match(result.reason ?? '', /^not enrolled, or the device token was rejected: /);
  });

  it('not enrolled yet: local mode on the bundled policy, no request made, the caller learns UNAUTHORIZED', async () => {
    const anonymous = createApiClient({ serverUrl: server.url, fetch: transport.fetch, getToken: () => undefined });
    const before = server.requests.length;
    const result = await client({ api: anonymous }).refresh();
    assert.equal(result.origin, 'bundled');
    assert.equal(result.version, null);
    assert.equal(result.refresh.outcome === 'failed' && result.refresh.error.code, 'UNAUTHORIZED');
    assert.equal(server.requests.length, before);
  });

  it('keeps the new policy in force when the cache cannot be written, and logs it', async () => {
    server.policy = signed(policyDoc(4));
    // A store port whose save fails like a full disk: a real full disk is covered by the outbox tests (tmpfs).
    const failing: PolicyStore = {
      ...store,
      load: store.load,
      save: async () => Promise.reject(new Error('ENOSPC: no space left')),
    };
    const result = await client({ store: failing }).refresh();
    assert.equal(result.origin, 'server');
    assert.equal(result.version, 4);
    assert.ok(log.lines.some((l) => l.msg === 'policy cache not written' && l.level === 'error'));
  });
});

describe('createPolicyClient(): rejecting bad policies (the last good one stays in force)', () => {
  const cases: { name: string; serve: () => SignedPolicy | 'bare'; reason: string }[] = [
    {
      name: 'a tampered payload',
      serve: () => {
        const s = signed(policyDoc(6));
        return { ...s, payload: s.payload.replace('"ban"', '"warn"') };
      },
      reason: 'POLICY_BAD_SIGNATURE',
    },
    {
      name: 'a policy signed by another key',
      serve: () => signed(policyDoc(6), otherKeys.privateKeyPem),
      reason: 'POLICY_KEY_MISMATCH',
    },
    {
      name: "another key's signature under our key id",
      serve: () => ({ ...signed(policyDoc(6), otherKeys.privateKeyPem), keyId: signed(policyDoc(6)).keyId }),
      reason: 'POLICY_BAD_SIGNATURE',
    },
    {
      name: 'an envelope with an empty signature',
      serve: () => ({ ...signed(policyDoc(6)), signature: '' }),
      reason: 'POLICY_UNSIGNED',
    },
    { name: 'a bare, unsigned policy document', serve: () => 'bare', reason: 'POLICY_UNSIGNED' },
    {
      name: 'an expired policy',
      serve: () => signed(policyDoc(6, { expiresAt: '2020-01-01T00:00:00Z' })),
      reason: 'POLICY_EXPIRED',
    },
    { name: 'an older version than the one in force', serve: () => signed(policyDoc(3)), reason: 'POLICY_OLDER' },
    {
      name: 'the same version with different content',
      serve: () => signed(policyDoc(4, { rules: [] })),
      reason: 'POLICY_OLDER',
    },
    {
      name: 'a correctly signed payload that is not a policy',
      serve: () => signPayload('{"schema":1,"version":9}', keys.privateKeyPem),
      reason: 'POLICY_INVALID',
    },
  ];

  for (const { name, serve, reason } of cases) {
    it(`rejects ${name} (${reason})`, async () => {
      server.policy = signed(policyDoc(4));
      const c = client();
      await c.refresh();
      const served = serve();
      if (served === 'bare') {
        server.intercept = (_req, res) => (res.writeHead(200).end(JSON.stringify(policyDoc(7))), true);
      } else server.policy = served;

      const result = await c.refresh();
      assert.equal(result.refresh.outcome, 'rejected');
      assert.equal(result.refresh.outcome === 'rejected' && result.refresh.error.code, reason);
      assert.equal(result.origin, 'cache');
      assert.equal(result.version, 4, 'the last good policy stays in force');
      const line = rejections().at(-1);
      assert.equal(line?.level, 'warn');
      assert.equal(line?.reason, reason);
      assert.equal(line?.inForce, 4);
      assert.ok(typeof line?.detail === 'string' && line.detail.length > 0);

      // …and after a restart too: the rejected one was never written to disk.
      const restarted = await client().current();
      assert.equal(restarted.version, 4);
    });
  }

  it('rejects a tampered policy when nothing was cached yet, and runs on the bundled policy', async () => {
    const s = signed(policyDoc(6));
    server.policy = { ...s, payload: s.payload.replace('Testhausen', 'Evilhausen') };
    const result = await client().refresh();
    assert.equal(result.origin, 'bundled');
    assert.equal(result.version, null);
    assert.equal(rejections().at(-1)?.reason, 'POLICY_BAD_SIGNATURE');
  });
});

describe('createPolicyClient(): the cache file', () => {
  async function cacheGood(version = 4) {
    server.policy = signed(policyDoc(version));
    await client().refresh();
    await server.close(); // from here on, only the cache counts
  }
  const movedAside = async () => (await readdir(dir)).filter((n) => n.startsWith('policy.json.corrupt-'));

  it('moves a corrupt cache file aside and runs on the bundled policy', async () => {
    await writeFile(store.path, '{"format":"appwacht-policy-cache","sig');
    const result = await client().current();
    assert.equal(result.origin, 'bundled');
    assert.equal((await movedAside()).length, 1);
    assert.ok(log.lines.some((l) => l.msg === 'policy cache rejected' && l.level === 'warn'));
  });

  it('rejects a cache file whose payload was edited on disk', async () => {
    await cacheGood();
    const file = JSON.parse(await readFile(store.path, 'utf8'));
    file.signed.payload = file.signed.payload.replace('"ban"', '"warn"');
    await writeFile(store.path, JSON.stringify(file));
    const result = await client().current();
    assert.equal(result.origin, 'bundled');
    assert.equal((await movedAside()).length, 1);
    assert.match(String(log.lines.find((l) => l.msg === 'policy cache rejected')?.reason), /signature/);
  });

  it('rejects a cache signed by a key the agent no longer trusts (key rotated by IT)', async () => {
    await cacheGood();
    const result = await client({ publicKey: otherKeys.publicKey }).current();
    assert.equal(result.origin, 'bundled');
    assert.equal((await movedAside()).length, 1);
  });

  it('keeps an expired cached policy in force, flags it and says so', async () => {
    await cacheGood();
    const late = new Date('2100-01-01T00:00:00Z');
    server.policy = undefined;
    // Re-sign a policy with an expiry and put it on disk the way the client would have.
    await store.save({ signed: signed(policyDoc(5, { expiresAt: '2099-01-01T00:00:00Z' })), receivedAt: new Date() });
    const result = await client({ now: () => late }).current();
    assert.equal(result.origin, 'cache');
    assert.equal(result.version, 5);
    assert.equal(result.expired, true);
    assert.ok(log.lines.some((l) => l.msg === 'policy in force has expired' && l.level === 'warn'));
  });
});

describe('createPolicyClient(): rollback and freeze (issue 14 finding 2)', () => {
  const ifNoneMatch = () => server.requests.filter((r) => r.url.endsWith('/policy')).at(-1)?.headers['if-none-match'];

  it("a fresh agent refuses a signed version below IT's minimum (a replayed old version), and a cached one too", async () => {
    server.policy = signed(policyDoc(3));
    const fresh = await client({ minVersion: 5 }).refresh();
    assert.equal(fresh.refresh.outcome, 'rejected');
    assert.equal(fresh.refresh.outcome === 'rejected' && fresh.refresh.error.code, 'POLICY_OLDER');
    assert.match(
      fresh.refresh.outcome === 'rejected' ? fresh.refresh.error.message : '',
      /below the minimum version 5 set by IT/,
    );
    assert.equal(fresh.origin, 'bundled');

    await client().refresh(); // without the minimum, version 3 is cached …
    const restarted = await client({ minVersion: 5 }).current(); // … and not used once IT pins 5
    assert.equal(restarted.origin, 'bundled');
    assert.ok(log.lines.some((l) => l.msg === 'policy cache below the minimum version'));

    server.policy = signed(policyDoc(5));
    assert.equal((await client({ minVersion: 5 }).refresh()).version, 5);
  });

  it('takes a renewal (same version and content, re-signed with a later expiry) and refuses the earlier signing after it', async () => {
    const first = policyDoc(4);
    server.policy = signed(first);
    const c = client();
    await c.refresh();
    const renewed = { ...first, issuedAt: new Date().toISOString(), expiresAt: new Date(Date.now() + 20 * DAY).toISOString() };
    server.policy = signed(renewed);
    const result = await c.refresh();
    assert.deepEqual(result.refresh, { outcome: 'not-modified' }, 'nothing the agent enforces changed');
    assert.equal(result.policy.expiresAt, renewed.expiresAt);
    assert.deepEqual(JSON.parse(await readFile(store.path, 'utf8')).signed, server.policy, 'the renewal is cached');
    assert.ok(log.lines.some((l) => l.msg === 'policy renewed'));

    server.policy = signed(first); // the earlier signing, replayed
    const replay = await c.refresh();
    assert.equal(replay.refresh.outcome === 'rejected' && replay.refresh.error.code, 'POLICY_OLDER');
    assert.equal(replay.policy.expiresAt, renewed.expiresAt);

    server.policy = signed({ ...renewed, expiresAt: new Date(Date.now() + 30 * DAY).toISOString(), rules: [] });
    const changed = await c.refresh();
    assert.equal(
      changed.refresh.outcome === 'rejected' && changed.refresh.error.code,
      'POLICY_OLDER',
      'a "renewal" may not change the rules',
    );
  });

  it('sends as If-None-Match the ETag of the bytes it holds, not an ETag header a response handed it', async () => {
    server.policy = signed(policyDoc(4));
    server.intercept = (req, res) => {
      if (!req.url?.endsWith('/policy')) return false;
      res.writeHead(200, { 'content-type': 'application/json', etag: '"forged"' }).end(JSON.stringify(server.policy));
      return true;
    };
    await client().refresh();
    server.intercept = undefined;
    const again = await client().refresh();
    assert.equal(ifNoneMatch(), policyEtag(server.policy));
    assert.deepEqual(again.refresh, { outcome: 'not-modified' });
  });

  it('in the second half of its validity asks without If-None-Match, and a 304 then (a freeze) is not believed', async () => {
    const halfGone = policyDoc(4, {
      issuedAt: new Date(Date.now() - 8 * DAY).toISOString(),
      expiresAt: new Date(Date.now() + 6 * DAY).toISOString(),
    });
    server.policy = signed(halfGone);
    const c = client();
    await c.refresh();
    // Someone on the path answers every refresh with 304, so the agent would never see the renewal or a new version.
    server.intercept = (req, res) => (req.url?.endsWith('/policy') ? (res.writeHead(304).end(), true) : false);
    const frozen = await c.refresh();
    assert.equal(ifNoneMatch(), undefined, 'no If-None-Match: a renewal is due');
    assert.equal(frozen.refresh.outcome, 'failed');
    assert.equal(frozen.refresh.outcome === 'failed' && frozen.refresh.error.code, 'BAD_RESPONSE');
    assert.equal(frozen.origin, 'cache', 'the held policy stays in force, not as fresh from the server');
    assert.equal(frozen.version, 4);
  });

  it('does not believe a 304 for another ETag than the one it sent', async () => {
    server.policy = signed(policyDoc(4));
    const c = client();
    await c.refresh();
    server.intercept = (req, res) =>
      req.url?.endsWith('/policy') ? (res.writeHead(304, { etag: '"something-else"' }).end(), true) : false;
    const result = await c.refresh();
    assert.equal(result.refresh.outcome === 'failed' && result.refresh.error.code, 'BAD_RESPONSE');
  });

  it('holding an expired policy and hearing only 304s, keeps enforcing it and says it is expired (never the bundled one)', async () => {
    server.policy = signed(policyDoc(4));
    await client().refresh();
    server.intercept = (req, res) => (req.url?.endsWith('/policy') ? (res.writeHead(304).end(), true) : false);
    const later = new Date(Date.now() + 15 * DAY);
    const result = await client({ now: () => later }).refresh();
    assert.equal(result.version, 4);
    assert.equal(result.origin, 'cache');
    assert.equal(result.expired, true);
    assert.equal(result.policy.rules.length, policyDoc(4).rules.length, 'the rules of the last good policy apply');
    assert.ok(log.lines.some((l) => l.msg === 'policy in force has expired'));
  });
});
