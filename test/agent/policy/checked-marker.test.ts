/**
 * Who writes the checked marker (policy/checked-marker.ts): the agent, whenever it has checked the policy cache in full
 * — when it saves a policy it accepted, and when a turn loads the cache (so the first turn after an update of the agent
 * renews it). Real files in a temp state folder, the real policy client without a server (its cache load is what every
 * turn does first).
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateSigningKeys, signPayload } from '../../../protocol/index.js';
import { markerVouchesFor, recordChecked } from '../../../agent/policy/checked-marker.js';
import { createPolicyClient } from '../../../agent/policy/client.js';
import { loadDefaultPolicy } from '../../../agent/policy/default-policy.js';
import { createFilePolicyStore } from '../../../agent/policy/store.js';
import { statePath } from '../../../agent/state/names.js';
import { AGENT_VERSION } from '../../../agent/version.js';

const keys = generateSigningKeys();
const policy = { ...loadDefaultPolicy(), version: 3 };

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'appwacht-checked-marker-'));
});
after(() => rm(root, { recursive: true, force: true }));

let n = 0;
async function savedCache(): Promise<{ dir: string; text: () => Promise<string> }> {
  const dir = join(root, `s${++n}`);
  await createFilePolicyStore(dir).save({
    signed: signPayload(JSON.stringify(policy), keys.privateKeyPem),
    receivedAt: new Date(),
  });
  return { dir, text: () => readFile(statePath(dir, 'policy'), 'utf8') };
}

/** What every turn does first: the policy client loads and checks the cache (here without a server: local mode). */
const turnLoadsCache = (dir: string) =>
  createPolicyClient({ publicKey: keys.publicKey, store: createFilePolicyStore(dir) }).current();

describe('the checked marker beside the policy cache', () => {
  it('is written with the cache when the agent saves a policy, owner-only, for these bytes and this agent version', async () => {
    const { dir, text } = await savedCache();
    assert.ok(await markerVouchesFor(dir, await text()));
    assert.equal(await markerVouchesFor(dir, await text(), `${AGENT_VERSION}-next`), false, 'not for another version');
    assert.equal(await markerVouchesFor(dir, ` ${await text()}`), false, 'nor other bytes');
    if (process.platform !== 'win32') assert.equal((await stat(statePath(dir, 'policyChecked'))).mode & 0o777, 0o600);
  });

  it('is renewed by the turn’s cache load after an update of the agent (a marker of another version), and written when missing', async () => {
    const { dir, text } = await savedCache();
    await recordChecked(dir, await text(), '0.0.1');
    assert.equal(await markerVouchesFor(dir, await text()), false);
    assert.equal((await turnLoadsCache(dir)).origin, 'cache');
    assert.ok(await markerVouchesFor(dir, await text()), 'renewed for this version');

    await rm(statePath(dir, 'policyChecked'));
    assert.equal((await turnLoadsCache(dir)).origin, 'cache');
    assert.ok(await markerVouchesFor(dir, await text()), 'written again');
  });

  it('is not written for a cache the full check refuses (the cache is moved aside; a marker of other bytes stays as it was)', async () => {
    const { dir, text } = await savedCache();
    const good = await text();
    const oldMarker = await readFile(statePath(dir, 'policyChecked'), 'utf8');
    const payload = JSON.stringify({ ...policy, futureSetting: true });
    // The same envelope, well-formed, with a payload the server signed but this agent's schema does not know.
    const unknownToThisAgent = JSON.stringify({ ...JSON.parse(good), signed: signPayload(payload, keys.privateKeyPem) }) + '\n';
    assert.notEqual(unknownToThisAgent, good);
    await writeFile(statePath(dir, 'policy'), unknownToThisAgent);
    assert.equal((await turnLoadsCache(dir)).origin, 'bundled');
    assert.equal(await markerVouchesFor(dir, unknownToThisAgent), false);
    assert.equal(await readFile(statePath(dir, 'policyChecked'), 'utf8'), oldMarker);
    assert.ok(
      (await readdir(dir)).some((f) => f.startsWith('policy.json.corrupt-')),
      'the refused cache was moved aside',
    );
  });

  it('that cannot be written fails neither the save nor the load: the agent goes on without it', async () => {
    const dir = join(root, 'unwritable');
    await mkdir(statePath(dir, 'policyChecked'), { recursive: true }); // a folder where the file belongs: no write succeeds, even as root
    await createFilePolicyStore(dir).save({
      signed: signPayload(JSON.stringify(policy), keys.privateKeyPem),
      receivedAt: new Date(),
    });
    const text = await readFile(statePath(dir, 'policy'), 'utf8');
    assert.equal(await markerVouchesFor(dir, text), false);
    const loaded = await turnLoadsCache(dir);
    assert.deepEqual([loaded.origin, loaded.policy.version], ['cache', 3]);
    assert.deepEqual((await readdir(dir)).sort(), ['policy-checked.json', 'policy.json'], 'no temp file left behind');
  });
});
