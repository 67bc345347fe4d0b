import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExitCode, HarperReplayError } from '../../../src/common/errors.js';
import { StartGate } from '../../../src/session/start-gate.js';

const late = (pattern: RegExp) => (error: unknown) => {
  assert.ok(error instanceof HarperReplayError);
  assert.equal(error.exitCode, ExitCode.READY_TOO_LATE);
  assert.match(error.message, pattern);
  return true;
};

describe('StartGate', () => {
  it('holds every subscribed stream until the start instant, then lets them all go', async () => {
    const startAt = Date.now() + 60;
    const waits: number[] = [];
    const gate = new StartGate(startAt, 2, (ms) => waits.push(ms));
    const passed: number[] = [];
    await Promise.all([
      gate.pass().then(() => passed.push(Date.now())),
      gate.pass().then(() => passed.push(Date.now())),
    ]);
    assert.equal(passed.length, 2);
    for (const at of passed) assert.ok(at >= startAt, `passed ${startAt - at} ms early`);
    assert.equal(waits.length, 1, 'said once');
    assert.ok(waits[0]! > 0 && waits[0]! <= 60);
  });

  it('a stream subscribed after the instant: ready too late (exit 8), saying by how much', async () => {
    const gate = new StartGate(
      1_000,
      1,
      () => {},
      () => 1_250,
    );
    await assert.rejects(
      gate.pass(),
      late(
        /^ready too late for --start-at 1970-01-01T00:00:01\.000Z \(subscribed 250 ms after it\): sent nothing$/,
      ),
    );
  });

  it('a stream still not subscribed at the instant makes the waiting ones late too: the shard sends nothing', async () => {
    const gate = new StartGate(Date.now() + 20, 3);
    await assert.rejects(gate.pass(), late(/2 of 3 streams were not subscribed by then/));
  });

  it('an interrupt ends the wait without an error (the run reports the interrupt)', async () => {
    const stop = new AbortController();
    const gate = new StartGate(Date.now() + 60_000, 1);
    const waiting = gate.pass(stop.signal);
    stop.abort();
    await waiting;
  });
});
