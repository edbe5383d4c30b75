import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GroupCommit, type ItemResult } from '../../../server/services/group-commit.js';

describe('GroupCommit', () => {
  it('commits items submitted in the same turn together and resolves each after its batch', async () => {
    const batches: number[][] = [];
    const gc = new GroupCommit<number, number>(async (items) => {
      batches.push(items);
      await new Promise((r) => setTimeout(r, 5));
      return items.map((i) => ({ ok: true, value: i * 2 }));
    }, 100);
    const results = await Promise.all([1, 2, 3, 4, 5].map((i) => gc.submit(i)));
    assert.deepEqual(results, [2, 4, 6, 8, 10]);
    assert.deepEqual(batches, [[1, 2, 3, 4, 5]]);
  });

  it('queues items that arrive during a commit into the next batch and honours maxBatch', async () => {
    const batches: number[][] = [];
    const gc = new GroupCommit<number, number>(async (items) => {
      batches.push(items);
      await new Promise((r) => setTimeout(r, 10));
      return items.map((i) => ({ ok: true, value: i }));
    }, 3);
    const first = [1, 2, 3, 4].map((i) => gc.submit(i));
    await new Promise((r) => setTimeout(r, 2)); // first batch is committing now
    const later = [5, 6].map((i) => gc.submit(i));
    await Promise.all([...first, ...later]);
    assert.deepEqual(batches, [
      [1, 2, 3],
      [4, 5, 6],
    ]);
  });

  it('passes per-item failures through and isolates a poisoned item when the whole batch throws', async () => {
    const calls: number[][] = [];
    const gc = new GroupCommit<number, number>(async (items) => {
      calls.push(items);
      if (items.includes(13)) throw new Error('poison');
      return items.map((i): ItemResult<number> => (i === 7 ? { ok: false, error: new Error('seven') } : { ok: true, value: i }));
    }, 10);
    const settled = await Promise.allSettled([1, 7, 13, 2].map((i) => gc.submit(i)));
    assert.deepEqual(
      settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message)),
      [1, 'seven', 'poison', 2],
    );
    assert.deepEqual(calls, [[1, 7, 13, 2], [1], [7], [13], [2]]);
  });

  it('drains on close and refuses later submits', async () => {
    let committed = 0;
    const gc = new GroupCommit<number, number>(async (items) => {
      committed += items.length;
      return items.map((i) => ({ ok: true, value: i }));
    }, 10);
    const p = gc.submit(1);
    await gc.close();
    assert.equal(await p, 1);
    assert.equal(committed, 1);
    await assert.rejects(gc.submit(2), /closed/);
  });
});
