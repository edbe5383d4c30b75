import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenCache } from '../../../server/services/token-cache.js';

describe('TokenCache', () => {
  it('forgets entries after the TTL, on re-enrollment, and beyond its size', () => {
    let now = 0;
    const c = new TokenCache(1000, 2, () => now);
    c.set('h1', 'd1');
    assert.equal(c.get('h1'), 'd1');
    now = 1001;
    assert.equal(c.get('h1'), undefined, 'expired');
    c.set('h1', 'd1');
    c.set('h2', 'd1'); // the device got a new token: the old hash must go
    assert.equal(c.get('h1'), undefined);
    assert.equal(c.get('h2'), 'd1');
    c.forgetDevice('d1');
    assert.equal(c.get('h2'), undefined);
    c.set('a', 'da');
    c.set('b', 'db');
    c.set('c', 'dc');
    assert.equal(c.get('a'), undefined, 'oldest evicted at max size');
    assert.equal(c.get('c'), 'dc');
  });
});
