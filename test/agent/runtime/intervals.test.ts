/** The loop's intervals and backoffs from the policy and the command line's overrides (intervals.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadDefaultPolicy } from '../../../agent/policy/default-policy.js';
import { enrollmentBackoff, loopIntervals, parseSeconds, reportBackoff } from '../../../agent/runtime/intervals.js';
import { DEFAULT_BACKOFF } from '../../../agent/report/backoff.js';

describe('loop intervals', () => {
  const policy = loadDefaultPolicy();

  it('come from the policy unless overridden', () => {
    assert.deepEqual(loopIntervals(policy), {
      scanMs: 15 * 60_000,
      refreshMs: 60 * 60_000,
      heartbeatMs: 60 * 60_000,
      refreshRetryMs: 5 * 60_000,
    });
    assert.deepEqual(loopIntervals(policy, { scanMs: 500, refreshMs: 2_000, retryMaxMs: 1_000 }), {
      scanMs: 500,
      refreshMs: 2_000,
      heartbeatMs: 60 * 60_000,
      refreshRetryMs: 1_000,
    });
    assert.equal(loopIntervals(policy, { refreshMs: 1_000 }).refreshRetryMs, 1_000, 'never later than a regular refresh');
  });

  it('a retry cap shortens report and enrollment backoff; without one the defaults stand', () => {
    assert.deepEqual(reportBackoff({}), DEFAULT_BACKOFF);
    assert.deepEqual(reportBackoff({ retryMaxMs: 300 }), { baseMs: 300, capMs: 300 });
    assert.deepEqual(reportBackoff({ retryMaxMs: 60_000 }), { baseMs: 5_000, capMs: 60_000 });
    assert.equal(enrollmentBackoff({}), undefined);
    assert.deepEqual(enrollmentBackoff({ retryMaxMs: 2_000 }), { baseMs: 2_000, capMs: 2_000 });
  });

  for (const [text, expected] of [
    ['2', 2_000],
    ['0.25', 250],
    [' 90 ', 90_000],
    [undefined, undefined],
  ] as const) {
    it(`parseSeconds(${JSON.stringify(text)}) = ${expected}`, () => assert.equal(parseSeconds(text, '--x'), expected));
  }
  for (const bad of ['0', '-1', 'abc', '', '1e9', 'Infinity']) {
    it(`parseSeconds refuses ${JSON.stringify(bad)} and names the flag`, () =>
      assert.throws(() => parseSeconds(bad, '--scan-interval'), /--scan-interval must be a number of seconds/));
  }
});
