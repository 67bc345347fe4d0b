import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  framesToSend,
  OpenEndedSource,
  openEndedFrameLimit,
} from '../../../src/workload/open-ended-source.js';
import { synthetic } from '../../helpers/synthetic-source.js';

/** An open-ended source on a clock the test moves. */
function timed(durationMs: number, frames = openEndedFrameLimit(10)) {
  const clock = { now: 1000 };
  const source = new OpenEndedSource(synthetic(frames), durationMs, () => clock.now);
  return { source, clock };
}

describe('OpenEndedSource', () => {
  it('lets frames through until the time is up, then fixes the count at the frames begun', () => {
    const { source, clock } = timed(5000);
    const bound = source.frameCount;
    assert.equal(bound, openEndedFrameLimit(10), 'an upper bound while the time runs');
    assert.equal(source.timeLeftMs(), undefined, 'the clock starts at the first frame');
    for (let i = 0; i < 7; i++) {
      assert.equal(source.endsBefore(i), false);
      clock.now += 700;
    }
    assert.equal(source.ended, false);
    assert.equal(source.timeLeftMs(), 100);
    assert.equal(source.framesBegun, 7);
    clock.now += 100;
    assert.equal(source.endsBefore(7), true, '5 s after the first frame: no frame 7');
    assert.equal(source.ended, true);
    assert.equal(source.frameCount, 7);
    assert.equal(source.totalRecords, 70);
    assert.equal(source.timeLeftMs(), undefined);
    // Every later question agrees: a resend of frame 3 still goes, frame 7 never does.
    assert.equal(source.endsBefore(3), false);
    assert.equal(source.endsBefore(7), true);
  });

  it('two streams share the count: the one behind sends up to the frames the other began', () => {
    const { source, clock } = timed(1000);
    for (let i = 0; i < 10; i++) assert.equal(source.endsBefore(i), false, `stream A frame ${i}`);
    for (let i = 0; i < 4; i++) assert.equal(source.endsBefore(i), false, `stream B frame ${i}`);
    clock.now += 1000;
    assert.equal(source.endsBefore(4), false, 'stream B, behind, still owes frame 4');
    assert.equal(source.frameCount, 10);
    assert.equal(source.endsBefore(9), false);
    assert.equal(source.endsBefore(10), true);
  });

  it('a reconnect after the time is up resumes up to the frames begun, not where it resumed', () => {
    const { source, clock } = timed(1000);
    for (let i = 0; i < 6; i++) source.endsBefore(i);
    clock.now += 2000;
    assert.equal(source.endsBefore(2), false, 'resumed at frame 2 (0 and 1 committed)');
    assert.equal(source.frameCount, 6);
  });

  it('--frames as well: the inner bound ends the run first if it is reached first', () => {
    const { source, clock } = timed(60_000, 3);
    assert.equal(source.frameCount, 3);
    for (let i = 0; i < 3; i++) source.endsBefore(i);
    clock.now += 60_000;
    assert.equal(source.endsBefore(3), true);
    assert.equal(source.frameCount, 3, 'never past the bound');
  });

  it('the liveness probe follows the frames sent: the next id and tail', () => {
    const { source, clock } = timed(100);
    for (let i = 0; i < 4; i++) source.endsBefore(i);
    clock.now += 100;
    source.endsBefore(4);
    const probe = source.livenessFrame!();
    assert.equal(probe.records, 1);
    assert.equal(probe.sequenceId, source.sequenceId(3) + 1);
    assert.equal(probe.sequenceId, 1_800_000_000_000 + 5);
  });

  it('builds the inner frames: ids continue frame after frame', () => {
    const { source } = timed(1000);
    const inner = synthetic(openEndedFrameLimit(10));
    assert.deepEqual(source.build(41), inner.build(41));
    assert.equal(source.sequenceId(41), inner.sequenceId(41));
  });

  it('messages count the frames begun, not the bound', () => {
    const { source } = timed(1000);
    source.endsBefore(0);
    source.endsBefore(1);
    assert.equal(framesToSend(source), 2);
    assert.equal(framesToSend(synthetic(9)), 9);
  });

  it("the bound keeps every id (and the probe's) within 32 bits", () => {
    for (const recordsPerFrame of [1, 200, 100_000]) {
      const frames = openEndedFrameLimit(recordsPerFrame);
      assert.ok(frames * recordsPerFrame + 1 <= 0xffff_ffff, `${recordsPerFrame} records a frame`);
      assert.ok(frames > 0);
    }
    // The last frame's last id is what the synthesizer writes.
    const last = synthetic(openEndedFrameLimit(100_000), 100_000).build(openEndedFrameLimit(100_000) - 1);
    assert.equal(last.records, 100_000);
  });
});
