import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenBucket } from '../../../agent/runtime/token-bucket.js';

describe('TokenBucket', () => {
  it('gives a burst at once, then one token per refill interval', () => {
    const bucket = new TokenBucket({ burst: 2, refillMs: 1_000 }, 0);
    assert.equal(bucket.availableAt(0), 0);
    bucket.take(0);
    bucket.take(500);
    assert.equal(bucket.availableAt(500), 1_000, 'empty after the burst: half a token back by now, the rest in 500 ms');
    assert.equal(bucket.availableAt(1_000), 1_000);
    bucket.take(1_000);
    assert.equal(bucket.availableAt(1_000), 2_000);
  });

  it('refills up to the burst and no further', () => {
    const bucket = new TokenBucket({ burst: 2, refillMs: 1_000 }, 0);
    bucket.take(0);
    bucket.take(0);
    assert.equal(bucket.availableAt(60_000), 60_000);
    bucket.take(60_000);
    bucket.take(60_000);
    assert.equal(bucket.availableAt(60_000), 61_000, 'a long pause does not save up more than the burst');
  });

  it('a take without a token (work that came due anyway) leaves it empty, not in debt', () => {
    const bucket = new TokenBucket({ burst: 1, refillMs: 1_000 }, 0);
    bucket.take(0);
    bucket.take(0);
    bucket.take(0);
    assert.equal(bucket.availableAt(0), 1_000);
  });
});
