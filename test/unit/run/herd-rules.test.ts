/** When a load run ends on its herd (--until-resubscribed) and how long it waits before reading the target's log. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type HerdDeath, SETUP_SETTLE_MS } from '../../../src/report/herd-analysis.js';
import { herdStopReason, logSettleWaitMs } from '../../../src/run/herd-rules.js';

function death(dropped: number, resubscribed: number, at = 10_000): HerdDeath {
  return {
    at,
    atMs: at,
    dropped,
    resubscribed,
    firstMs: null,
    lastMs: null,
    spreadMs: null,
    smallestGapMs: null,
    subscriptionLines: null,
    subscriptionLinesFirstMs: null,
    subscriptionLinesLastMs: null,
  };
}

describe('herdStopReason', () => {
  it('no death yet, or not the Nth yet: go on', () => {
    assert.equal(herdStopReason([], 1, true), undefined);
    assert.equal(herdStopReason([death(8, 8)], 2, true), undefined);
  });

  it('the Nth death with a stream still away: go on', () => {
    assert.equal(herdStopReason([death(8, 7)], 1, true), undefined);
    assert.equal(herdStopReason([death(8, 8), death(8, 0)], 2, true), undefined);
  });

  it('every stream the Nth death dropped is back: stop, saying which death and how many', () => {
    assert.equal(
      herdStopReason([death(8, 8)], 1, true),
      'every stream worker death 1 dropped re-subscribed (8 of 8)',
    );
    assert.equal(
      herdStopReason([death(8, 3), death(5, 5)], 2, true),
      'every stream worker death 2 dropped re-subscribed (5 of 5)',
    );
  });

  it('a stream of the run not subscribed yet (it subscribed late, on a busy machine): go on until it is', () => {
    // 4.7.29 at load 25: the first death dropped the 2 of 8 streams subscribed by then.
    assert.equal(herdStopReason([death(2, 2)], 1, false), undefined);
    assert.match(herdStopReason([death(2, 2)], 1, true) ?? '', /\(2 of 2\)$/);
  });

  it('an earlier death whose herd completed does not stop a run told to wait for a later one', () => {
    assert.equal(herdStopReason([death(8, 8), death(8, 2)], 2, true), undefined);
  });
});

describe('logSettleWaitMs', () => {
  const at = 1_000_000;
  it('no death: no wait', () => {
    assert.equal(logSettleWaitMs(undefined, at), 0);
  });

  it(`a death less than ${SETUP_SETTLE_MS} ms ago: wait until ${SETUP_SETTLE_MS} ms after it`, () => {
    assert.equal(logSettleWaitMs(at, at + 300), SETUP_SETTLE_MS - 300);
    assert.equal(logSettleWaitMs(at, at), SETUP_SETTLE_MS);
  });

  it('an older death: no wait', () => {
    assert.equal(logSettleWaitMs(at, at + SETUP_SETTLE_MS), 0);
    assert.equal(logSettleWaitMs(at, at + 60_000), 0);
  });

  it(`bounded: never more than ${SETUP_SETTLE_MS} ms, even for a clock that says the death is ahead`, () => {
    assert.equal(logSettleWaitMs(at + 5000, at), SETUP_SETTLE_MS);
  });
});
