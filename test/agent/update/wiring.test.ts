/**
 * Where the update client runs: only in the machine service's turns (runtime/context.ts), with a server, a transport and
 * a pinned policy key — never in the per-user agent or the tray app's (which share openTurnOptions).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateSigningKeys } from '../../../protocol/index.js';
import type { AgentConfig } from '../../../agent/config/schema.js';
import { memoryLogger } from '../../../agent/log.js';
import { loadDefaultPolicy } from '../../../agent/policy/default-policy.js';
import { openTurnOptions } from '../../../agent/runtime/context.js';
import { emptySchedule } from '../../../agent/runtime/schedule.js';
import { RuntimeStateStore } from '../../../agent/runtime/state.js';
import { readRecord } from '../../../agent/update/record.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'appwacht-update-wiring-'));
});
after(() => rm(dir, { recursive: true, force: true }));

async function wire(config: Partial<AgentConfig>) {
  const log = memoryLogger();
  const { store } = await RuntimeStateStore.load(dir, { agentVersion: '0.1.0', log });
  const full: AgentConfig = {
    stateDir: dir,
    logLevel: 'info',
    serverUrl: 'http://127.0.0.1:1',
    policyPublicKey: generateSigningKeys().publicKey,
    ...config,
  };
  const wired = await openTurnOptions(
    full,
    store,
    log,
    {
      env: {},
      lang: 'en',
      target: { os: 'linux' },
      notifications: false,
      transport: async () => ({ fetch: () => Promise.reject(new Error('no network in this test')), close: async () => {} }),
    } as never,
    emptySchedule(),
  );
  await wired.close();
  return wired.options;
}

describe('update client wiring', () => {
  it('the machine service gets the update step', async () => {
    const options = await wire({ agentMode: 'machine' });
    assert.equal(typeof options.update, 'function');
    // A policy without an updates block: nothing to do, and nothing is loaded or written.
    assert.equal(await options.update!(loadDefaultPolicy(), new AbortController().signal), null);
  });

  it("IT's managed UpdateChannel overrides the policy's channel on this device", async () => {
    const options = await wire({ agentMode: 'machine', updateChannel: 'beta' });
    const policy = { ...loadDefaultPolicy(), updates: { enabled: true, channel: 'stable', checkEveryHours: 6 } };
    assert.notEqual(await options.update!(policy, new AbortController().signal), null);
    const record = await readRecord(dir);
    assert.match(record?.last?.what === 'failed' ? record.last.reason : '', /\/updates\/beta\/latest-/);
  });

  for (const [name, config] of [
    ['the per-user agent', { agentMode: 'user' as const }],
    ['no agent mode set (the tray app, development)', {}],
    ['the machine service without a server', { agentMode: 'machine' as const, serverUrl: undefined }],
    [
      'the machine service without a policy key (nothing signed can be trusted)',
      { agentMode: 'machine' as const, policyPublicKey: undefined },
    ],
  ] as [string, Partial<AgentConfig>][])
    it(`${name} does not`, async () => {
      assert.equal((await wire(config)).update, undefined);
    });
});
