/**
 * streamFrames and trackAcks over a real loopback WebSocket whose far end the test reads: the preamble first, each
 * frame after the resume point followed by its blob chunks, --rate spacing, an abort, and acks turned into commits.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetricsBus } from '../../../src/events/metrics-bus.js';
import type { RunEvent } from '../../../src/events/schema.js';
import { encodeCommittedUpdate, frameTypeName } from '../../../src/protocol/control-frame.js';
import { summarizeTxnFrame } from '../../../src/protocol/txn-frame.js';
import { AckTracker } from '../../../src/session/ack-tracker.js';
import {
  reportInFlight,
  SharedClock,
  type StreamOptions,
  sleep,
  streamFrames,
  trackAcks,
} from '../../../src/session/stream-sender.js';
import { OpenEndedSource } from '../../../src/workload/open-ended-source.js';
import { parseOperationMix } from '../../../src/workload/operation-mix.js';
import type { FrameSource } from '../../../src/workload/synthetic.js';
import { SyntheticWorkload } from '../../../src/workload/synthetic.js';
import { loopbackServer } from '../../helpers/loopback-socket.js';

const loopback = loopbackServer();

/** A socket pair: the tool's ReplicationSocket and the far end, whose messages are kept in order. */
async function pair() {
  const { socket, far } = await loopback.pair();
  const received: Array<{ type: string; tail?: number; at: number }> = [];
  far.on('message', (data: Buffer) => {
    const type = frameTypeName(data);
    received.push({
      type,
      ...(type === 'TRANSACTION' ? { tail: summarizeTxnFrame(data).sequenceId } : {}),
      at: Date.now(),
    });
  });
  return { socket, far, received };
}

interface SetupOptions {
  frames?: number;
  blobSize?: number;
  recordsPerFrame?: number;
  recordSize?: number;
  /** An operation mix such as 'insert=50,update=50' (frames that rewrite earlier frames' ids). */
  mix?: string;
}

function setup(options: SetupOptions = {}) {
  const source = new SyntheticWorkload({
    frames: options.frames ?? 5,
    recordsPerFrame: options.recordsPerFrame ?? 4,
    recordSize: options.recordSize ?? 32,
    blobSize: options.blobSize ?? 0,
    blobsPerFrame: options.blobSize ? 1 : undefined,
    seed: 3,
    mix: options.mix === undefined ? undefined : parseOperationMix(options.mix),
    tableName: 't',
    originName: 'tool',
    baseVersion: 1_700_000_000_000,
    baseSequence: 1_700_000_000_000,
  });
  const tracker = new AckTracker(source.frameCount, (i) => source.sequenceId(i));
  const bus = new MetricsBus();
  const events: RunEvent[] = [];
  bus.subscribe((event) => events.push(event));
  return { source, tracker, bus, events };
}

/**
 * A source of `frames` frames of 2,000 records of 256 B (~0.5 MB: buffers of their own, which it recycles), the
 * frames it hands back (`released`, in order), and a twin that builds the same bytes afresh (`expected`).
 */
function recyclingSource(frames: number, seed: number) {
  const options = {
    frames,
    recordsPerFrame: 2000,
    recordSize: 256,
    blobSize: 0,
    seed,
    tableName: 't',
    originName: 'tool',
    baseVersion: 1_700_000_000_000,
    baseSequence: 1_700_000_000_000,
  };
  const source = new SyntheticWorkload(options);
  const released: Buffer[] = [];
  const release = source.release.bind(source);
  source.release = (frame) => {
    released.push(frame.data);
    release(frame);
  };
  return { source, expected: new SyntheticWorkload(options), released };
}

/** streamFrames with what most tests here share: start at 0, no names subscribed, never aborted. */
function send(
  options: Omit<StreamOptions, 'startTime' | 'subscribedNames' | 'signal'> & Partial<StreamOptions>,
) {
  return streamFrames({
    startTime: 0,
    subscribedNames: [],
    signal: new AbortController().signal,
    ...options,
  });
}

const until = async (condition: () => boolean) => {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
    await sleep(5);
  }
};

describe('streamFrames', () => {
  it('sends the preamble, then every frame with its blob chunks right after it, and reports each frame sent', async () => {
    const { source, tracker, bus, events } = setup({ blobSize: 3000 });
    const { socket, received } = await pair();
    const outcome = await send({
      socket,
      source,
      tracker,
      bus,
      subscribedNames: ['tool'],
      stream: 's',
    });
    assert.deepEqual(outcome, { sentUpTo: 5, aborted: false });
    const preamble = (await source.preamble(['tool'])).length;
    await until(() => received.length >= preamble + 5 * 2);
    const types = received.map((m) => m.type);
    assert.deepEqual(
      types.slice(0, preamble),
      types.slice(0, preamble).filter((t) => t !== 'TRANSACTION'),
    );
    const data = types.slice(preamble);
    for (let i = 0; i < 5; i++) {
      assert.equal(data[2 * i], 'TRANSACTION');
      assert.equal(data[2 * i + 1], 'BLOB_CHUNK', 'the blob of frame i follows frame i');
    }
    const sent = events.filter((e) => e.type === 'frame-sent');
    assert.deepEqual(
      sent.map((e) => (e.type === 'frame-sent' ? [e.index, e.records, e.blobs, e.resent, e.stream] : [])),
      [0, 1, 2, 3, 4].map((i) => [i, 4, 1, false, 's']),
    );
    for (const event of sent) {
      if (event.type !== 'frame-sent') continue;
      const built = await source.build(event.index);
      const chunkBytes = built.blobChunks.reduce((sum, c) => sum + c.length, 0);
      assert.equal(event.bytes, built.data.length + chunkBytes, 'bytes count the blob chunks too');
    }
    socket.close();
  });

  it("a source's frames go back to it once written (buffers reused), and every frame arrives as built", async () => {
    const { source, expected, released } = recyclingSource(12, 5);
    const tracker = new AckTracker(source.frameCount, (i) => source.sequenceId(i));
    const { socket, far } = await pair();
    const bodies: Buffer[] = [];
    far.on('message', (data: Buffer) => {
      if (frameTypeName(data) === 'TRANSACTION') bodies.push(Buffer.from(data));
    });
    await send({
      socket,
      source,
      tracker,
      bus: new MetricsBus(),
      subscribedNames: ['tool'],
    });
    await until(() => bodies.length === 12);
    assert.equal(released.length, 12, 'every frame released once written');
    const memories = new Set(released.map((frame) => frame.buffer));
    assert.ok(memories.size < 12, `${memories.size} buffers for 12 frames: reused`);
    for (let i = 0; i < 12; i++) assert.deepEqual(bodies[i], expected.build(i).data, `frame ${i} intact`);
    socket.close();
  });

  it('with the far end not reading, queued frames are not recycled under the socket (ws sends zero-masked buffers as they are)', async () => {
    // ~0.5 MB frames against the 1 MiB high-water mark: frames wait in the socket while the next ones are built.
    const { source, expected, released } = recyclingSource(16, 9);
    const tracker = new AckTracker(source.frameCount, (i) => source.sequenceId(i));
    const { socket, far } = await pair();
    far.pause();
    const bodies: Buffer[] = [];
    far.on('message', (data: Buffer) => {
      if (frameTypeName(data) === 'TRANSACTION') bodies.push(Buffer.from(data));
    });
    const sent = send({ socket, source, tracker, bus: new MetricsBus(), subscribedNames: ['tool'] });
    // The peer stays away for 100 ms (the condition under test: frames held by the socket, not a synchronisation).
    await sleep(100);
    assert.ok(socket.sender.queuedBytes > 0, 'frames wait in the socket');
    assert.ok(released.length < 16, `${released.length} released while the peer reads nothing`);
    far.resume();
    await sent;
    await until(() => bodies.length === 16);
    assert.equal(released.length, 16, 'every frame released once written');
    for (let i = 0; i < 16; i++) assert.deepEqual(bodies[i], expected.build(i).data, `frame ${i} intact`);
    socket.close();
  });

  it('resumes after the start time: frames whose tail is at or below it are not sent again', async () => {
    const { source, tracker, bus } = setup();
    const { socket, received } = await pair();
    await send({
      socket,
      source,
      tracker,
      bus,
      startTime: source.sequenceId(2),
      subscribedNames: ['tool'],
    });
    await until(() => received.filter((m) => m.type === 'TRANSACTION').length >= 2);
    assert.deepEqual(
      received.filter((m) => m.type === 'TRANSACTION').map((m) => m.tail),
      [source.sequenceId(3), source.sequenceId(4)],
    );
    socket.close();
  });

  it('marks a frame sent before (an earlier connection) as resent', async () => {
    const { source, tracker, bus, events } = setup({ frames: 2 });
    tracker.markSent(1, Date.now() - 1000);
    const { socket } = await pair();
    await send({
      socket,
      source,
      tracker,
      bus,
    });
    const resent = events.flatMap((e) => (e.type === 'frame-sent' ? [e.resent] : []));
    assert.deepEqual(resent, [false, true]);
    socket.close();
  });

  it('--rate spaces the frames: 5 frames at 20 fps take at least 4 intervals of 50 ms', async () => {
    const { source, tracker, bus } = setup();
    const { socket, received } = await pair();
    const started = Date.now();
    await send({
      socket,
      source,
      tracker,
      bus,
      rate: 20,
    });
    assert.ok(Date.now() - started >= 4 * 50 - 5, `took ${Date.now() - started} ms`);
    await until(() => received.filter((m) => m.type === 'TRANSACTION').length >= 5);
    const times = received.filter((m) => m.type === 'TRANSACTION').map((m) => m.at);
    // Frame i is due 50·i ms after the stream starts: it can arrive late (a loaded machine), never early.
    for (const [i, at] of times.entries())
      assert.ok(at >= started + i * 50, `frame ${i} at ${at - started} ms`);
    socket.close();
  });

  it('a shared clock keeps two paced streams on one schedule: a stream whose first frame is due later waits for it', async () => {
    // Stream A's frames are due at 0 and 300 ms, B's at 250 and 400 ms (one merged capture clock). Only lower
    // bounds and orders are asserted: a loaded machine sends late, never early.
    const paced = (dues: number[]): FrameSource => {
      const { source } = setup({ frames: dues.length });
      return Object.assign(Object.create(source) as FrameSource, { due: (i: number) => dues[i] });
    };
    const clock = new SharedClock();
    const run = async (dues: number[], connected: Awaited<ReturnType<typeof pair>>, shared?: SharedClock) => {
      const source = paced(dues);
      const { tracker, bus } = setup({ frames: dues.length });
      const { socket, received } = connected;
      await send({
        socket,
        source,
        tracker,
        bus,
        ...(shared ? { clock: shared } : {}),
      });
      await until(() => received.filter((m) => m.type === 'TRANSACTION').length >= dues.length);
      socket.close();
      return received.filter((m) => m.type === 'TRANSACTION').map((m) => m.at);
    };
    const first = await pair();
    const second = await pair();
    const [a, b] = await Promise.all([run([0, 300], first, clock), run([250, 400], second, clock)]);
    const origin = clock.originMs;
    assert.ok(a[0]! < b[0]!, 'A goes first');
    assert.ok(b[0]! - origin >= 245, `B's first frame waits for its due time: ${b[0]! - origin} ms`);
    assert.ok(a[1]! - origin >= 295 && b[1]! - origin >= 395, 'the second frames keep the schedule');
    // Without a shared clock each stream starts its schedule at its own first frame.
    const before = Date.now();
    const alone = await run([250, 400], await pair());
    assert.ok(alone[0]! - before < 200, `own clock: the first frame at once (${alone[0]! - before} ms)`);
    // Its second frame is due 150 ms after its own start (after `before`): late on a loaded machine, never early.
    assert.ok(alone[1]! - before >= 150, `then 150 ms later (${alone[1]! - before} ms)`);
  });

  // The cause of issue 15's lost mixes: 4.7.29 silently drops a frame read before the frame whose ids it rewrites
  // is committed. The sender must not put such a frame on the wire before that frame's ack.
  it('a frame that rewrites ids of an unacked frame waits for its ack; frames that depend on nothing do not', async () => {
    const { source, tracker } = setup({ frames: 3, recordsPerFrame: 6, mix: 'insert=50,update=50' });
    assert.equal(source.dependsOn(0), undefined);
    assert.equal(source.dependsOn(1), 0, 'frame 1 updates ids frame 0 inserted');
    const { socket, received } = await pair();
    const sending = send({
      socket,
      source,
      tracker,
      bus: new MetricsBus(),
      nudgeAfterMs: 100,
    });
    await sleep(300);
    const tails = () => received.filter((m) => m.type === 'TRANSACTION').map((m) => m.tail);
    assert.deepEqual(
      tails().filter((t) => Number.isInteger(t)),
      [source.sequenceId(0)],
      'only frame 0 is on the wire before its ack',
    );
    assert.ok(tails().includes(source.sequenceId(0) + 0.5), 'the missing ack was nudged');
    const ackedAt = Date.now();
    tracker.ack(source.sequenceId(0), ackedAt);
    tracker.ack(source.sequenceId(1), ackedAt);
    await sending;
    await until(() => tails().includes(source.sequenceId(2)));
    const frame1 = received.find((m) => m.tail === source.sequenceId(1))!;
    assert.ok(frame1.at >= ackedAt, 'frame 1 left after frame 0 was acked');
    socket.close();
  });

  it('--no-dependency-wait: every frame goes at once, and each sent while its dependency was unacked is reported', async () => {
    const { source, tracker, bus, events } = setup({
      frames: 4,
      recordsPerFrame: 6,
      mix: 'insert=50,update=50',
    });
    const dependent = [1, 2, 3].filter((i) => source.dependsOn(i) !== undefined);
    assert.ok(dependent.length >= 2, 'the plan has frames that rewrite earlier ids');
    const { socket, received } = await pair();
    // Nothing is acked here: every frame that depends on another goes while that one is in flight.
    const outcome = await send({
      socket,
      source,
      tracker,
      bus,
      dependencyWait: false,
    });
    assert.equal(outcome.sentUpTo, 4);
    await until(() => received.filter((m) => m.type === 'TRANSACTION').length === 4);
    assert.equal(events.filter((e) => e.type === 'dependency-wait').length, 0, 'nothing held');
    const reported = events.flatMap((e) =>
      e.type === 'dependency-in-flight' ? [[e.frame, e.dependsOn]] : [],
    );
    assert.deepEqual(
      reported,
      dependent.map((i) => [i, source.dependsOn(i)]),
      'every frame whose dependency was unacked when it went',
    );
    socket.close();
  });

  it('reportInFlight: silent when the dependency is already committed', () => {
    const { source, tracker, bus, events } = setup({ frames: 3 });
    reportInFlight({ tracker, bus, stream: 's' }, 2, 1);
    assert.deepEqual(
      events.map((e) => e.type === 'dependency-in-flight' && [e.frame, e.dependsOn, e.stream]),
      [[2, 1, 's']],
    );
    tracker.markSent(0, Date.now());
    tracker.markSent(1, Date.now());
    tracker.ack(source.sequenceId(1), Date.now());
    reportInFlight({ tracker, bus }, 2, 1);
    assert.equal(events.length, 1, 'frame 1 committed: frame 2 is not in flight of it');
  });

  it('an open-ended source: frames go until its time is up, then the stream ends with the frames begun', async () => {
    const inner = setup({ frames: 1_000_000 }).source;
    const source = new OpenEndedSource(inner, 150);
    const tracker = new AckTracker(
      () => source.frameCount,
      (i) => source.sequenceId(i),
    );
    const { bus, events } = setup();
    const { socket } = await pair();
    const started = Date.now();
    const outcome = await send({
      socket,
      source,
      tracker,
      bus,
      subscribedNames: ['tool'],
      // A frame every 10 ms: the time, not the source, ends the stream.
      rate: 100,
    });
    const tookMs = Date.now() - started;
    assert.equal(source.ended, true);
    assert.equal(outcome.sentUpTo, source.frameCount);
    assert.equal(events.filter((e) => e.type === 'frame-sent').length, source.frameCount);
    assert.ok(source.frameCount >= 2 && source.frameCount <= 17, `${source.frameCount} frames in 150 ms`);
    assert.ok(tookMs >= 140 && tookMs < 5000, `stopped after ${tookMs} ms`);
    socket.close();
  });

  it("an open-ended source's time running out ends the wait for the last frame's drain (the target not reading)", async () => {
    // 4 MiB frames to a far end that stops reading: the first one's drain never comes.
    const inner = setup({ frames: 1000, recordsPerFrame: 512, recordSize: 8192 }).source;
    const source = new OpenEndedSource(inner, 300);
    const tracker = new AckTracker(
      () => source.frameCount,
      (i) => source.sequenceId(i),
    );
    const { bus, events } = setup();
    const { socket, far } = await pair();
    (far as unknown as { _socket: { pause(): void } })._socket.pause();
    const started = Date.now();
    const outcome = await send({
      socket,
      source,
      tracker,
      bus,
      subscribedNames: ['tool'],
    });
    const tookMs = Date.now() - started;
    assert.ok(tookMs >= 290 && tookMs < 5000, `the sender stopped after ${tookMs} ms`);
    assert.ok(source.frameCount >= 1 && source.frameCount < 10, `${source.frameCount} frames begun`);
    assert.equal(outcome.sentUpTo, source.frameCount);
    assert.equal(events.filter((e) => e.type === 'frame-sent').length, source.frameCount);
    far.terminate();
  });

  it('an abort stops before the next frame and says how far it got', async () => {
    const { source, tracker, bus } = setup({ frames: 50 });
    const { socket } = await pair();
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 120);
    const outcome = await send({
      socket,
      source,
      tracker,
      bus,
      rate: 20,
      signal: abort.signal,
    });
    assert.equal(outcome.aborted, true);
    assert.ok(outcome.sentUpTo > 0 && outcome.sentUpTo < 50, `stopped at ${outcome.sentUpTo}`);
    socket.close();
  });
});

describe('trackAcks', () => {
  it('turns COMMITTED_UPDATE frames into ack events and the frames they commit, with their records', async () => {
    const { source, tracker, bus, events } = setup();
    const { socket, far } = await pair();
    trackAcks(socket, tracker, source, bus, 's');
    for (let i = 0; i < 5; i++) tracker.markSent(i, Date.now());
    far.send(encodeCommittedUpdate(source.sequenceId(2)));
    await until(() => tracker.committedFrames === 3);
    far.send(encodeCommittedUpdate(source.sequenceId(4)));
    await until(() => tracker.complete);
    const committed = events.flatMap((e) =>
      e.type === 'frame-committed' ? [[e.index, e.records, e.stream]] : [],
    );
    assert.deepEqual(
      committed,
      [0, 1, 2, 3, 4].map((i) => [i, 4, 's']),
    );
    assert.equal(events.filter((e) => e.type === 'ack').length, 2);
    for (const e of events) if (e.type === 'frame-committed') assert.ok(e.latencyMs >= 0);
    socket.close();
  });
});
