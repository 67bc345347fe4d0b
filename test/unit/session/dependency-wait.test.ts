/**
 * awaitDependency over a real loopback WebSocket: it waits for the ack of the frame the next one depends on,
 * nudging the target with empty frames meanwhile, and gives up on a closed socket or after its timeout.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExitCode, HarperReplayError } from '../../../src/common/errors.js';
import { MetricsBus } from '../../../src/events/metrics-bus.js';
import type { RunEvent } from '../../../src/events/schema.js';
import { frameTypeName } from '../../../src/protocol/control-frame.js';
import { decodeTxnFrame } from '../../../src/protocol/txn-frame.js';
import { AckTracker } from '../../../src/session/ack-tracker.js';
import { awaitDependency, holdForDependency } from '../../../src/session/dependency-wait.js';
import { ConnectionClosedError } from '../../../src/session/flow-control.js';
import { loopbackServer } from '../../helpers/loopback-socket.js';

const loopback = loopbackServer();

/** The tool's socket and the far end, whose transaction frames are decoded as they come. */
async function pair() {
  const { socket, far } = await loopback.pair();
  const nudges: Array<{ entries: number; tail?: number }> = [];
  far.on('message', (data: Buffer) => {
    if (frameTypeName(data) !== 'TRANSACTION') return;
    const frame = decodeTxnFrame(data);
    nudges.push({ entries: frame.entries.length, tail: frame.sequenceId });
  });
  return { socket, far, nudges };
}

const tail = (index: number) => 1_700_000_000_000 + index;

describe('awaitDependency', () => {
  it('resolves at once for a committed frame, without a nudge', async () => {
    const { socket, nudges } = await pair();
    const tracker = new AckTracker(4, tail);
    tracker.ack(tail(1), 0);
    const signal = new AbortController().signal;
    await awaitDependency({ socket, tracker, dependency: 1, lastSentTail: tail(2), signal, timeoutMs: 1000 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(nudges, []);
    socket.close();
  });

  it('waits for the ack, nudging with empty frames just above the last tail sent', async () => {
    const { socket, nudges } = await pair();
    const tracker = new AckTracker(4, tail);
    const signal = new AbortController().signal;
    const started = Date.now();
    setTimeout(() => tracker.ack(tail(1), Date.now()), 250);
    await awaitDependency({
      socket,
      tracker,
      dependency: 1,
      lastSentTail: tail(2),
      signal,
      timeoutMs: 5000,
      nudgeAfterMs: 60,
    });
    assert.ok(Date.now() - started >= 240, 'resolved only after the ack');
    assert.ok(nudges.length >= 2, `${nudges.length} nudges`);
    for (const nudge of nudges) assert.deepEqual(nudge, { entries: 0, tail: tail(2) + 0.5 });
    socket.close();
  });

  it('rejects with the close when the socket closes first, and exit 3 after the timeout', async () => {
    const closing = await pair();
    const tracker = new AckTracker(4, tail);
    const signal = new AbortController().signal;
    const wait = { tracker, dependency: 0, lastSentTail: tail(1), signal, nudgeAfterMs: 1000 };
    setTimeout(() => closing.far.close(1008, 'No longer subscribed'), 50);
    await assert.rejects(
      awaitDependency({ ...wait, socket: closing.socket, timeoutMs: 5000 }),
      ConnectionClosedError,
    );
    const idle = await pair();
    await assert.rejects(
      awaitDependency({ ...wait, socket: idle.socket, timeoutMs: 100 }),
      (error: unknown) =>
        error instanceof HarperReplayError &&
        error.exitCode === ExitCode.VERIFY_FAILED &&
        /no commit acknowledgement for 100 ms of frame 0/.test(error.message),
    );
    idle.socket.close();
  });

  it('an abort ends the wait', async () => {
    const { socket } = await pair();
    const tracker = new AckTracker(4, tail);
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 50);
    await awaitDependency({
      socket,
      tracker,
      dependency: 2,
      lastSentTail: tail(2),
      signal: abort.signal,
      timeoutMs: 5000,
    });
    assert.equal(tracker.committedFrames, 0);
    socket.close();
  });
});

describe('holdForDependency', () => {
  /** A bus whose dependency-wait events are kept. */
  function recordingBus() {
    const bus = new MetricsBus();
    const waits: Array<Extract<RunEvent, { type: 'dependency-wait' }>> = [];
    bus.subscribe((event) => {
      if (event.type === 'dependency-wait') waits.push(event);
    });
    return { bus, waits };
  }

  it('reports a held frame: how long it waited, the nudges sent, and that its dependency committed', async () => {
    const { socket, nudges } = await pair();
    const { bus, waits } = recordingBus();
    const tracker = new AckTracker(4, tail);
    setTimeout(() => tracker.ack(tail(1), Date.now()), 250);
    const signal = new AbortController().signal;
    const wait = { socket, tracker, bus, lastSentTail: tail(2), signal, timeoutMs: 5000, nudgeAfterMs: 60 };
    await holdForDependency({ ...wait, frame: 3, dependency: 1, stream: 'node-a/data' });
    // Frame 1 is committed now: the next frame that depends on it is not held, and nothing is reported.
    await holdForDependency({ ...wait, frame: 4, dependency: 1 });
    await new Promise((resolve) => setTimeout(resolve, 100)); // the last nudge reaches the far end
    assert.equal(waits.length, 1);
    const [held] = waits;
    assert.equal(held?.frame, 3);
    assert.equal(held?.dependsOn, 1);
    assert.equal(held?.stream, 'node-a/data');
    assert.equal(held?.committed, true);
    assert.ok(held!.waitedMs >= 240 && held!.waitedMs < 5000, `waited ${held?.waitedMs} ms`);
    assert.equal(held?.nudges, nudges.length, 'every nudge the far end received is counted');
    assert.ok(held!.nudges >= 2, `${held?.nudges} nudges`);
    socket.close();
  });

  it('reports a wait that timed out as not committed, and still fails the run', async () => {
    const { socket } = await pair();
    const { bus, waits } = recordingBus();
    const tracker = new AckTracker(4, tail);
    const signal = new AbortController().signal;
    await assert.rejects(
      holdForDependency({
        socket,
        tracker,
        bus,
        frame: 1,
        dependency: 0,
        lastSentTail: tail(0),
        signal,
        timeoutMs: 100,
        nudgeAfterMs: 1000,
      }),
      HarperReplayError,
    );
    assert.equal(waits.length, 1);
    assert.equal(waits[0]?.committed, false);
    assert.equal(waits[0]?.nudges, 0);
    assert.ok(waits[0]!.waitedMs >= 90, `waited ${waits[0]?.waitedMs} ms`);
    socket.close();
  });
});
