/** The supervisor's one write into the state file: the stop (state-file.ts). */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RuntimeStateStore } from '../../../agent/runtime/state.js';
import { markStateStopped } from '../../../agent/runtime/state-file.js';
import { STATE_FILES } from '../../../agent/state/names.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'appwacht-state-file-'));
});
after(() => rm(dir, { recursive: true, force: true }));
const T = Date.parse('2026-11-27T12:00:00Z');

describe('markStateStopped()', () => {
  it('records the stop in the state file the turns wrote, and leaves a missing or foreign file alone', async () => {
    const d = await mkdtemp(join(dir, 'stop-'));
    assert.equal(await markStateStopped(d, new Date(T)), false);
    const { store } = await RuntimeStateStore.load(d, { agentVersion: '1' });
    await store.save();
    assert.equal(await markStateStopped(d, new Date(T)), true);
    const read = await RuntimeStateStore.load(d, { agentVersion: '1', continueRun: true });
    assert.equal(read.previous?.agent.stoppedAt, new Date(T).toISOString(), 'still a valid state file');
    await writeFile(join(d, STATE_FILES.runtimeState), '[1,2]');
    assert.equal(await markStateStopped(d, new Date(T)), false);
    assert.equal(await readFile(join(d, STATE_FILES.runtimeState), 'utf8'), '[1,2]');
  });
});
