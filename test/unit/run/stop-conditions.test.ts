/** When a capture stops: the rules in their order, and the poll that waits for one. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type StopRules, type StopState, stopReason, waitForStop } from '../../../src/run/stop-conditions.js';

const live = new AbortController().signal;
const aborted = (() => {
  const c = new AbortController();
  c.abort();
  return c.signal;
})();

describe('stopReason', () => {
  const T = 1_000_000;
  const cases: Array<[string, StopRules, StopState, number, string | undefined]> = [
    ['nothing set: goes on', { signal: live }, { startedAt: T, lastMessageAt: T }, T + 1e9, undefined],
    [
      'Ctrl-C first, whatever else holds',
      { signal: aborted, durationMs: 1 },
      { startedAt: T, closed: { code: 1000, reason: '' } },
      T + 5,
      'interrupted',
    ],
    [
      'the source closed, with code and reason',
      { signal: live, durationMs: 1 },
      { startedAt: T, closed: { code: 1011, reason: 'restart' } },
      T + 5,
      'source closed the connection (1011 restart)',
    ],
    [
      'the source closed, no reason',
      { signal: live },
      { startedAt: T, closed: { code: 1006, reason: '' } },
      T,
      'source closed the connection (1006)',
    ],
    [
      '--duration reached (inclusive)',
      { signal: live, durationMs: 500 },
      { startedAt: T },
      T + 500,
      'duration',
    ],
    ['--duration not yet', { signal: live, durationMs: 500 }, { startedAt: T }, T + 499, undefined],
    ['--frames reached', { signal: live, maxFrames: 3 }, { startedAt: T, frames: 3 }, T, 'frames'],
    ['--frames not yet; no count is 0', { signal: live, maxFrames: 3 }, { startedAt: T }, T, undefined],
    [
      '--until-idle since the last message',
      { signal: live, untilIdleMs: 200 },
      { startedAt: T, lastMessageAt: T + 100 },
      T + 300,
      'idle',
    ],
    [
      '--until-idle not while messages come',
      { signal: live, untilIdleMs: 200 },
      { startedAt: T, lastMessageAt: T + 100 },
      T + 299,
      undefined,
    ],
    [
      '--until-idle not counted without a last message',
      { signal: live, untilIdleMs: 1 },
      { startedAt: T },
      T + 1e9,
      undefined,
    ],
    [
      'duration before frames before idle',
      { signal: live, durationMs: 1, maxFrames: 1, untilIdleMs: 1 },
      { startedAt: T, frames: 5, lastMessageAt: T },
      T + 10,
      'duration',
    ],
  ];
  for (const [what, rules, state, now, expected] of cases) {
    it(what, () => assert.equal(stopReason(rules, state, now), expected));
  }
});

describe('waitForStop', () => {
  it('ticks, then polls until a rule holds, and says which', async () => {
    let ticks = 0;
    let frames = 0;
    const reason = await waitForStop(
      { signal: live, maxFrames: 3 },
      () => ({ startedAt: Date.now(), frames }),
      () => {
        ticks++;
        frames++;
      },
      1,
    );
    assert.equal(reason, 'frames');
    assert.equal(ticks, 3);
  });
});
