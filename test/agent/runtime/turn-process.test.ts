/** Which state a turn process works on: the state file or the state its supervisor handed over (turn-process.ts). */
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { describe, it } from 'node:test';
import { emptySchedule, type Schedule } from '../../../agent/runtime/schedule.js';
import { RuntimeStateStore, emptyState } from '../../../agent/runtime/state.js';
import { continueFrom } from '../../../agent/runtime/turn-process.js';

// Nothing is written: handedOver() only names the folder.
const dir = tmpdir();
const T = Date.parse('2026-11-27T12:00:00Z');
function schedule(over: Partial<Schedule> = {}): Schedule {
  return { ...emptySchedule(new Date(T)), ...over };
}

describe('continueFrom(): which state a turn works on', () => {
  const stores = (fileSeq: number | undefined, handedSeq?: number) => {
    const loaded = RuntimeStateStore.handedOver(dir, { ...emptyState(new Date(T), 1, '1'), seq: fileSeq ?? 0 });
    const handed =
      handedSeq === undefined
        ? undefined
        : RuntimeStateStore.handedOver(dir, { ...emptyState(new Date(T), 1, '1'), seq: handedSeq });
    return { loaded, handed };
  };
  for (const [name, fileSeq, handedSeq, stateSeq, first, want, announce] of [
    ['a turn after one that finished: the file, nothing to announce', 7, undefined, 7, false, 'file', false],
    ['the turn before was killed after saving: the file, its pending reports announced', 8, undefined, 7, false, 'file', true],
    ['a new run: the file, announced', 7, undefined, 7, true, 'file', true],
    ['full disk: the handed-over state is further along than the file', 7, 9, 9, false, 'handed', false],
    ['the handed-over state is older than the file (a turn since wrote it): the file', 10, 9, 9, false, 'file', true],
    ['no file (corrupt, moved aside): the handed-over state', undefined, 3, 3, false, 'handed', false],
  ] as const)
    it(name, () => {
      const { loaded, handed } = stores(fileSeq, handedSeq);
      const r = continueFrom({ loaded, fileSeq, handed, schedule: schedule({ stateSeq }), firstOfRun: first });
      assert.equal(r.store === handed ? 'handed' : 'file', want);
      assert.equal(r.announcePending, announce);
    });
});
