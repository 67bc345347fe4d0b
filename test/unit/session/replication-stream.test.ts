/**
 * The reconnecting stream's state machine against scripted receivers: every channel is a real WebSocket on
 * 127.0.0.1 whose far end the test plays (it reads the tool's frames and answers with COMMITTED_UPDATE frames or a
 * close). No Harper: these are the tool's own transitions — resume, --max-reconnects, 1008, the nudge, abort.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WebSocket } from 'ws';
import { ExitCode, HarperReplayError } from '../../../src/common/errors.js';
import { MetricsBus } from '../../../src/events/metrics-bus.js';
import type { RunEvent } from '../../../src/events/schema.js';
import { encodeCommittedUpdate, isControlFrame } from '../../../src/protocol/control-frame.js';
import { summarizeTxnFrame } from '../../../src/protocol/txn-frame.js';
import { AckTracker } from '../../../src/session/ack-tracker.js';
import { AbortedError, type ChannelProvider, type DataChannel } from '../../../src/session/channel.js';
import type { ReplicationSocket } from '../../../src/session/replication-socket.js';
import { ReplicationStream, type StreamState } from '../../../src/session/replication-stream.js';
import { SyntheticWorkload } from '../../../src/workload/synthetic.js';
import { type LoopbackServer, loopbackServer } from '../../helpers/loopback-socket.js';

const FRAMES = 6;

/** What the receiving end of one channel does with each data frame (by its sequence tail) it reads. */
interface Receiver {
  onFrame(tail: number, far: WebSocket, connection: number): void;
  /** The start time the channel reports (peer mode: the target's cursor; push mode: the tool's own last ack). */
  startTime?(resumeAfter: number, connection: number): number;
}

/** A channel provider whose every channel is a fresh loopback WebSocket, its far end scripted by a Receiver. */
class ScriptedChannels implements ChannelProvider {
  readonly requests: Array<{ resumeAfter: number; timeoutMs: number }> = [];
  /** Tails of the data frames each connection carried, in order. */
  readonly received: number[][] = [];
  private readonly sockets: ReplicationSocket[] = [];

  constructor(
    private readonly server: LoopbackServer,
    private readonly receiver: Receiver,
  ) {}

  async next(timeoutMs: number, signal: AbortSignal, resumeAfter = 0): Promise<DataChannel> {
    if (signal.aborted) throw new AbortedError();
    const connection = this.requests.length;
    this.requests.push({ resumeAfter, timeoutMs });
    const tails: number[] = [];
    this.received.push(tails);
    const { socket, far } = await this.server.pair();
    far.on('message', (data: Buffer) => {
      if (isControlFrame(data)) return;
      const tail = summarizeTxnFrame(data).sequenceId;
      if (tail === undefined) return;
      tails.push(tail);
      this.receiver.onFrame(tail, far, connection);
    });
    this.sockets.push(socket);
    return {
      socket,
      startTime: this.receiver.startTime?.(resumeAfter, connection) ?? resumeAfter,
      subscribedNames: ['tool'],
    };
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.close();
  }
}

function workload(frames = FRAMES): SyntheticWorkload {
  return new SyntheticWorkload({
    frames,
    recordsPerFrame: 3,
    recordSize: 64,
    blobSize: 0,
    seed: 7,
    tableName: 't',
    originName: 'tool',
    baseVersion: 1_700_000_000_000,
    baseSequence: 1_700_000_000_000,
  });
}

interface Harness {
  stream: ReplicationStream;
  channels: ScriptedChannels;
  tracker: AckTracker;
  source: SyntheticWorkload;
  states: StreamState[];
  events: RunEvent[];
  abort: AbortController;
}

const server = loopbackServer();

function harness(
  receiver: (source: SyntheticWorkload) => Receiver,
  options: {
    maxReconnects?: number;
    ackTimeoutMs?: number;
    policyCloseIsFatal?: boolean;
    nudgeAfterMs?: number;
    liveness?: boolean;
  } = {},
): Harness {
  const source = workload();
  const tracker = new AckTracker(source.frameCount, (index) => source.sequenceId(index));
  const channels = new ScriptedChannels(server, receiver(source));
  const bus = new MetricsBus();
  const events: RunEvent[] = [];
  bus.subscribe((event) => events.push(event));
  const states: StreamState[] = [];
  const abort = new AbortController();
  const stream = new ReplicationStream({
    provider: channels,
    source,
    tracker,
    route: { member: 'target', database: 'data' },
    label: 'target/data',
    bus,
    signal: abort.signal,
    maxReconnects: options.maxReconnects ?? 5,
    subscribeTimeoutMs: 1000,
    ackTimeoutMs: options.ackTimeoutMs ?? 5000,
    policyCloseIsFatal: options.policyCloseIsFatal,
    nudgeAfterMs: options.nudgeAfterMs ?? 10_000,
    liveness: options.liveness,
    onState: (state) => states.push(state),
  });
  return { stream, channels, tracker, source, states, events, abort };
}

/** Acks every frame as it arrives. */
const ackingReceiver = (): Receiver => ({
  onFrame: (tail, far) => far.send(encodeCommittedUpdate(tail)),
});

describe('ReplicationStream', () => {
  it('streams every frame on one channel and ends done once all are committed', async () => {
    const h = harness(ackingReceiver);
    await h.stream.run();
    assert.equal(h.stream.state, 'done');
    assert.deepEqual(h.states, ['streaming', 'awaiting-acks', 'done']);
    assert.equal(h.stream.connections, 1);
    assert.equal(h.tracker.committedFrames, FRAMES);
    assert.deepEqual(
      h.channels.received[0],
      Array.from({ length: FRAMES }, (_, i) => h.source.sequenceId(i)),
    );
    assert.equal(h.events.filter((e) => e.type === 'frame-committed').length, FRAMES);
    assert.equal(h.events.filter((e) => e.type === 'resume').length, 0);
    await h.channels.close();
  });

  it('resumes after a drop from the cursor the next channel reports, re-sending nothing committed', async () => {
    // Connection 0 commits frames 0 and 1, then drops while frame 2 arrives. The target then reports its cursor
    // as frame 1's tail (it holds 0 and 1), so the stream must resume at frame 2.
    const h = harness((source) => ({
      onFrame: (tail, far, connection) => {
        if (connection === 0 && tail === source.sequenceId(2)) return far.close(1001, 'going away');
        if (connection === 0 && tail > source.sequenceId(2)) return;
        far.send(encodeCommittedUpdate(tail));
      },
      startTime: (_resumeAfter, connection) => (connection === 0 ? 0 : source.sequenceId(1)),
    }));
    await h.stream.run();
    assert.equal(h.stream.state, 'done');
    assert.equal(h.stream.connections, 2);
    // The drop comes while streaming or while waiting for acks, depending on how far the sender got.
    const drop = h.states.indexOf('dropped');
    assert.ok(drop === 1 || (drop === 2 && h.states[1] === 'awaiting-acks'), h.states.join(' → '));
    assert.deepEqual(h.states.slice(drop), [
      'dropped',
      'awaiting-channel',
      'streaming',
      'awaiting-acks',
      'done',
    ]);
    // The tool asked to resume after its own last ack: frame 1's tail.
    assert.equal(h.channels.requests[1]?.resumeAfter, h.source.sequenceId(1));
    // A reconnect gets at least the reconnect floor to come back.
    assert.ok((h.channels.requests[1]?.timeoutMs ?? 0) >= 30_000);
    assert.deepEqual(
      h.channels.received[1],
      Array.from({ length: FRAMES - 2 }, (_, i) => h.source.sequenceId(i + 2)),
    );
    const resume = h.events.find((e) => e.type === 'resume');
    assert.ok(resume && resume.type === 'resume');
    assert.equal(resume.fromFrame, 2);
    assert.equal(resume.attempt, 1);
    assert.equal(resume.startTime, h.source.sequenceId(1));
    const warning = h.events.find((e) => e.type === 'warning');
    assert.match(warning?.type === 'warning' ? warning.message : '', /closed mid-stream.*1001/);
    await h.channels.close();
  });

  it('a first channel whose start is past its first tails: those frames are not sent, and a warning says so', async () => {
    // 4.7.29 starts a peer it has no cursor for at "now − 60 s": tails below that (from a past base) are skipped.
    const h = harness((source) => ({
      onFrame: (tail, far) => far.send(encodeCommittedUpdate(tail)),
      startTime: () => source.sequenceId(1),
    }));
    await h.stream.run();
    assert.equal(h.stream.state, 'done');
    assert.deepEqual(
      h.channels.received[0],
      Array.from({ length: FRAMES - 2 }, (_, i) => h.source.sequenceId(i + 2)),
    );
    const warnings = h.events.flatMap((e) => (e.type === 'warning' ? [e.message] : []));
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(
      warnings[0]!,
      /the target asked to start after \S+: the first 2 frame\(s\) have tails at or below it and are not sent/,
    );
    await h.channels.close();
  });

  it('gives up after --max-reconnects drops, naming the count, the last close and what was committed', async () => {
    // Every connection commits the first frame it carries, then drops.
    const h = harness(
      () => ({
        onFrame: (tail, far) => {
          far.send(encodeCommittedUpdate(tail));
          far.close(1011, 'worker restarting');
        },
      }),
      { maxReconnects: 2 },
    );
    await assert.rejects(h.stream.run(), (error: unknown) => {
      assert.ok(error instanceof HarperReplayError);
      assert.equal(error.exitCode, ExitCode.ERROR);
      assert.match(error.message, /dropped the stream 3 times/);
      assert.match(error.message, /worker restarting/);
      assert.match(error.message, /--max-reconnects 2/);
      assert.match(error.message, /Committed [1-3] of 6 frames/);
      return true;
    });
    assert.equal(h.stream.state, 'failed');
    assert.equal(h.channels.requests.length, 3);
    await h.channels.close();
  });

  it('push mode: a 1008 close is fatal at once; peer mode: the same close is a drop to resume from', async () => {
    const refusing = (source: SyntheticWorkload): Receiver => ({
      onFrame: (tail, far, connection) => {
        if (connection === 0 && tail === source.sequenceId(0)) return far.close(1008, 'unauthorized');
        if (connection === 0) return;
        far.send(encodeCommittedUpdate(tail));
      },
    });
    const push = harness(refusing, { policyCloseIsFatal: true });
    await assert.rejects(push.stream.run(), (error: unknown) => {
      assert.ok(error instanceof HarperReplayError);
      assert.equal(error.exitCode, ExitCode.ERROR);
      assert.equal(error.message, 'the target closed the connection: unauthorized (1008)');
      return true;
    });
    assert.equal(push.channels.requests.length, 1);
    await push.channels.close();

    const peer = harness(refusing, { policyCloseIsFatal: false });
    await peer.stream.run();
    assert.equal(peer.stream.state, 'done');
    assert.equal(peer.channels.requests.length, 2);
    await peer.channels.close();
  });

  it('nudges with an empty frame above the last tail when a stale ack leaves the last frames uncommitted', async () => {
    // 4.7.29's coalesced acks can name an older frame than the last one committed: this receiver acks only up to
    // the second-to-last frame, then answers the nudge (tail lastTail + 0.5) with that tail, which commits all.
    const h = harness(
      (source) => ({
        onFrame: (tail, far) => {
          const last = source.sequenceId(source.frameCount - 1);
          if (tail === last) return far.send(encodeCommittedUpdate(source.sequenceId(source.frameCount - 2)));
          if (tail > last) return far.send(encodeCommittedUpdate(tail));
          // Frames before the last: not acked one by one (the stale ack above covers them).
        },
      }),
      { nudgeAfterMs: 50 },
    );
    await h.stream.run();
    assert.equal(h.stream.state, 'done');
    assert.equal(h.tracker.committedFrames, FRAMES);
    const lastTail = h.source.sequenceId(FRAMES - 1);
    const tails = h.channels.received[0] ?? [];
    // Every frame once, then the nudge (again every 50 ms until its ack is in: once, unless the machine is slow).
    assert.deepEqual(
      tails.slice(0, FRAMES),
      Array.from({ length: FRAMES }, (_, i) => h.source.sequenceId(i)),
    );
    assert.ok(tails.length > FRAMES, 'a nudge was sent');
    for (const nudge of tails.slice(FRAMES)) assert.equal(nudge, lastTail + 0.5);
    await h.channels.close();
  });

  it('fails the stream when no commit arrives for --ack-timeout (exit 3, with the committed count)', async () => {
    const h = harness(() => ({ onFrame: () => {} }), { ackTimeoutMs: 200 });
    await assert.rejects(h.stream.run(), (error: unknown) => {
      assert.ok(error instanceof HarperReplayError);
      assert.equal(error.exitCode, ExitCode.VERIFY_FAILED);
      assert.equal(error.message, 'no commit acknowledgement for 200 ms: 0 of 6 frames committed');
      return true;
    });
    assert.deepEqual(h.states, ['streaming', 'awaiting-acks', 'failed']);
    await h.channels.close();
  });

  it('an abort while waiting for acks rejects with AbortedError and asks for no new channel', async () => {
    const h = harness(() => ({ onFrame: () => {} }));
    const run = h.stream.run();
    while (h.stream.state !== 'awaiting-acks') await new Promise((resolve) => setTimeout(resolve, 5));
    h.abort.abort();
    await assert.rejects(run, AbortedError);
    assert.equal(h.stream.state, 'failed');
    assert.equal(h.channels.requests.length, 1);
    await h.channels.close();
  });

  it('liveness: after the last commit, one probe frame (the next tail) is sent; its ack is reported with its latency', async () => {
    const h = harness(ackingReceiver, { liveness: true });
    await h.stream.run();
    const probeTail = h.source.livenessFrame().sequenceId;
    assert.equal(probeTail, h.source.sequenceId(FRAMES - 1) + 1);
    assert.equal(h.channels.received[0]?.at(-1), probeTail, 'the probe went out after every frame');
    const probe = h.events.find((e) => e.type === 'liveness');
    assert.ok(probe?.type === 'liveness');
    assert.equal(probe.ok, true);
    assert.ok((probe.latencyMs ?? -1) >= 0);
    assert.equal(h.tracker.committedFrames, FRAMES, 'the probe is not one of the workload’s frames');
    await h.channels.close();
  });

  it('liveness: a probe the target never commits is reported as not committed after --ack-timeout', async () => {
    const h = harness(
      (source) => ({
        onFrame: (tail, far) => {
          if (tail <= source.sequenceId(source.frameCount - 1)) far.send(encodeCommittedUpdate(tail));
        },
      }),
      { liveness: true, ackTimeoutMs: 300, nudgeAfterMs: 100 },
    );
    await h.stream.run();
    assert.equal(h.stream.state, 'done', 'the workload itself completed');
    const probe = h.events.find((e) => e.type === 'liveness');
    assert.deepEqual(probe?.type === 'liveness' ? [probe.ok, probe.latencyMs] : [], [false, null]);
    await h.channels.close();
  });

  it('an abort before the first channel rejects without streaming', async () => {
    const h = harness(ackingReceiver);
    h.abort.abort();
    await assert.rejects(h.stream.run(), AbortedError);
    assert.deepEqual(h.states, ['failed']);
    assert.equal(h.channels.received.length, 0);
  });
});
