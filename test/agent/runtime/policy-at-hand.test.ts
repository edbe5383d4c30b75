/**
 * The policy a scan takes offline (runtime/policy-at-hand.ts) with the checked marker beside the cache
 * (policy/checked-marker.ts): real files in a temp state folder, real Ed25519 signatures. The marker may spare a scan
 * the schema check of bytes this agent version checked before; it must never spare the signature check, and a marker
 * that is missing, stale or garbage must lead to the full check as before, never to a failure.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateSigningKeys, signPayload, type Policy, type SignedPolicy } from '../../../protocol/index.js';
import { markerVouchesFor, recordChecked } from '../../../agent/policy/checked-marker.js';
import { loadDefaultPolicy } from '../../../agent/policy/default-policy.js';
import { createFilePolicyStore } from '../../../agent/policy/store.js';
import { policyAtHand, type PolicyAtHand } from '../../../agent/runtime/policy-at-hand.js';
import { statePath } from '../../../agent/state/names.js';
import { AGENT_VERSION } from '../../../agent/version.js';

const keys = generateSigningKeys();
const otherKeys = generateSigningKeys();
const SERVER = 'https://appwacht.intranet.example';

/** A policy with the optional parts too (expiry, updates, a custom rule, clients, a message), so that what JSON.parse
 * gives can be compared with what the schema gives for more than the bundled policy's fields. */
const richPolicy: Policy = {
  ...loadDefaultPolicy(),
  version: 7,
  issuedAt: '2026-11-01T08:00:00.000Z',
  expiresAt: '2026-11-15T08:00:00.000Z',
  organization: { name: 'Stadt Markerhausen', support: { email: 'it@markerhausen.example', url: 'https://it.example/' } },
  rules: [
    { id: 'ban-telegram', app: 'telegram', action: 'ban', deadline: '2026-01-01T00:00:00Z', clients: 'official' },
    {
      id: 'warn-tool',
      custom: { name: 'Tool', match: { packages: ['some-tool'], names: [{ pattern: '^Some Tool$', os: ['linux'] }] } },
      action: 'warn',
      deadline: '2026-06-01T00:00:00+02:00',
      message: { de: 'Bitte entfernen.', en: 'Please remove.' },
    },
  ],
  updates: { enabled: true, channel: 'stable', checkEveryHours: 6, installWindow: { from: '22:00', to: '05:00' } },
};

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'appwacht-at-hand-'));
});
after(() => rm(root, { recursive: true, force: true }));

let n = 0;
/** A fresh state folder with `signed` as the agent keeps it (the envelope store.ts writes), without a marker. */
async function cacheOf(signed: SignedPolicy): Promise<{ dir: string; text: string }> {
  const dir = join(root, `s${++n}`);
  await mkdir(dir, { mode: 0o700 });
  const text =
    JSON.stringify({ format: 'appwacht-policy-cache', version: 1, signed, receivedAt: '2026-11-20T08:00:00.000Z' }) + '\n';
  await writeFile(statePath(dir, 'policy'), text);
  return { dir, text };
}

const atHand = (dir: string, now = new Date('2026-11-20T09:00:00Z')): Promise<PolicyAtHand> =>
  policyAtHand({ stateDir: dir, serverUrl: SERVER, publicKey: keys.publicKey, now });

function assertInvalid(result: PolicyAtHand, detail: RegExp): void {
  assert.equal(result.origin, 'bundled', JSON.stringify(result).slice(0, 300));
  assert.ok(result.origin === 'bundled');
  assert.equal(result.why, 'cache-invalid');
  assert.match(result.detail ?? '', detail);
}

describe('policyAtHand() with the checked marker', () => {
  it('takes a cache the agent checked (marker) and gives exactly what the full check gives, expiry included', async () => {
    const dir = join(root, 'saved');
    await createFilePolicyStore(dir).save({
      signed: signPayload(JSON.stringify(richPolicy), keys.privateKeyPem),
      receivedAt: new Date('2026-11-20T08:00:00Z'),
    });
    for (const now of [new Date('2026-11-10T00:00:00Z'), new Date('2026-11-16T00:00:00Z')]) {
      const withMarker = await atHand(dir, now);
      assert.ok(withMarker.origin === 'cache', JSON.stringify(withMarker));
      assert.deepEqual(withMarker.policy, richPolicy);
      await rm(statePath(dir, 'policyChecked'));
      const fullCheck = await atHand(dir, now);
      assert.deepEqual(withMarker, fullCheck);
      assert.equal(fullCheck.origin === 'cache' && fullCheck.expired, now > new Date(richPolicy.expiresAt!));
      await createFilePolicyStore(dir).save({
        signed: signPayload(JSON.stringify(richPolicy), keys.privateKeyPem),
        receivedAt: new Date('2026-11-20T08:00:00Z'),
      });
    }
  });

  it('rejects a tampered payload whatever the marker says: the original bytes’ marker, or one forged for the new bytes', async () => {
    const signed = signPayload(JSON.stringify(richPolicy), keys.privateKeyPem);
    const original = await cacheOf(signed);
    assert.equal((await atHand(original.dir)).origin, 'cache', 'the untouched cache is good');
    // The employee drops the bans from the payload and keeps the server's signature.
    const tampered = { ...signed, payload: JSON.stringify({ ...richPolicy, rules: [] }) };
    const { dir, text } = await cacheOf(tampered);
    await recordChecked(dir, original.text);
    assertInvalid(await atHand(dir), /signature does not verify/);
    await recordChecked(dir, text);
    assert.ok(await markerVouchesFor(dir, text), 'the forged marker vouches for the tampered bytes');
    assertInvalid(await atHand(dir), /signature does not verify/);
  });

  it('rejects a payload re-signed with another key, with a marker forged for it', async () => {
    const payload = JSON.stringify({ ...richPolicy, rules: [] });
    const reSigned = await cacheOf(signPayload(payload, otherKeys.privateKeyPem));
    await recordChecked(reSigned.dir, reSigned.text);
    assertInvalid(await atHand(reSigned.dir), /signed with key [0-9a-f]{16}, this agent trusts/);
    // The same, with the pinned key's id written over the other key's.
    const pinnedId = signPayload(payload, keys.privateKeyPem).keyId;
    const disguised = await cacheOf({ ...signPayload(payload, otherKeys.privateKeyPem), keyId: pinnedId });
    await recordChecked(disguised.dir, disguised.text);
    assertInvalid(await atHand(disguised.dir), /signature does not verify/);
  });

  // Signed by the server but not a policy this agent understands (a server of another version, a bug): the case the
  // schema check is for. It shows which way a scan went: the full check refuses it, a vouching marker lets it through.
  describe('a validly signed payload that fails the schema', () => {
    const unknownField = { ...richPolicy, futureSetting: true };
    const signed = () => signPayload(JSON.stringify(unknownField), keys.privateKeyPem);

    it('is "cache-invalid" without a marker, as before', async () => {
      const { dir } = await cacheOf(signed());
      assertInvalid(await atHand(dir), /not a valid policy.*futureSetting/);
    });

    it('is checked in full when the marker is of another agent version', async () => {
      const { dir, text } = await cacheOf(signed());
      await recordChecked(dir, text, `${AGENT_VERSION}-older`);
      assertInvalid(await atHand(dir), /not a valid policy/);
    });

    it('is checked in full, and nothing fails, when the marker is garbage, of other bytes or no file at all', async () => {
      const { dir, text } = await cacheOf(signed());
      const markerPath = statePath(dir, 'policyChecked');
      await recordChecked(dir, text);
      const vouching = await readFile(markerPath, 'utf8');
      const garbage = [
        '',
        'garbage',
        'null',
        '[]',
        '{}',
        '"' + '0'.repeat(64) + '"',
        vouching.slice(0, 40),
        vouching.replace('"appwacht-policy-checked"', '"something-else"'),
        vouching.replace('"version":1', '"version":2'),
        vouching.replace(/"sha256":"[0-9a-f]{3}/, '"sha256":"fff'),
        JSON.stringify({ ...JSON.parse(vouching), sha256: null }),
        JSON.stringify({ ...JSON.parse(vouching), agentVersion: 0.1 }),
      ];
      for (const content of garbage) {
        await writeFile(markerPath, content);
        assertInvalid(await atHand(dir), /not a valid policy/);
      }
      await rm(markerPath);
      await mkdir(markerPath); // unreadable as a file (EISDIR), even for root
      assertInvalid(await atHand(dir), /not a valid policy/);
    });

    it('passes only with a marker that vouches for its bytes: all a forged marker can buy is skipping the schema of what the server signed', async () => {
      const { dir, text } = await cacheOf(signed());
      await recordChecked(dir, text);
      const result = await atHand(dir);
      assert.equal(result.origin, 'cache');
    });
  });

  it('writes nothing into the state folder: neither the full check nor the marker path', async () => {
    const { dir, text } = await cacheOf(signPayload(JSON.stringify(richPolicy), keys.privateKeyPem));
    assert.equal((await atHand(dir)).origin, 'cache');
    assert.deepEqual(await readdir(dir), ['policy.json'], 'a full check by a scan leaves no marker');
    await recordChecked(dir, text);
    const files = (await readdir(dir)).sort();
    assert.equal((await atHand(dir)).origin, 'cache');
    assert.deepEqual((await readdir(dir)).sort(), files);
  });
});
