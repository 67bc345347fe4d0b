/**
 * Streams a frame source over one replication socket: the preamble, then every frame after the subscriber's
 * start point, each followed by its blob chunks, with flow control. Acks on the socket feed the shared tracker,
 * so a stream that dies can be resumed on the next socket from what was committed.
 */
import type { MetricsBus } from '../events/metrics-bus.js';
import type { BuiltFrame, FrameSource } from '../workload/synthetic.js';
import type { AckTracker } from './ack-tracker.js';
import { holdForDependency } from './dependency-wait.js';
import type { ReplicationSocket } from './replication-socket.js';

export interface StreamOptions {
  socket: ReplicationSocket;
  source: FrameSource;
  tracker: AckTracker;
  bus: MetricsBus;
  /** Resume point: frames whose tail is ≤ startTime are already committed on the target. */
  startTime: number;
  subscribedNames: string[];
  /** Frames per second; undefined = as fast as the target reads. */
  rate?: number;
  signal: AbortSignal;
  /** Label of this stream on the bus (member/database). */
  stream?: string;
  /** A paced source's clock shared with the run's other streams (their captured interleaving is kept). */
  clock?: SharedClock;
  /** How long a frame waits for the ack of the frame it depends on before the run fails (default 60 s). */
  ackTimeoutMs?: number;
  /** Nudge a missing ack after this long (default 500 ms). */
  nudgeAfterMs?: number;
  /**
   * false (--no-dependency-wait): send without waiting for the dependency's ack; a frame whose dependency is still
   * in flight is reported (`dependency-in-flight`) instead.
   */
  dependencyWait?: boolean;
}

/**
 * The clock several paced streams of one run share: its origin is when the first of them starts sending, and
 * every frame of every stream is due at origin + its due time, so the captured interleaving of the streams holds.
 */
export class SharedClock {
  /** A fixed origin (--start-at: every shard's frames are due after the common start), else the first read. */
  constructor(private origin?: number) {}

  get originMs(): number {
    this.origin ??= Date.now();
    return this.origin;
  }
}

export interface StreamOutcome {
  /** Highest frame index sent + 1. */
  sentUpTo: number;
  aborted: boolean;
}

/** Wires the socket's COMMITTED_UPDATE frames into the tracker and the bus. */
export function trackAcks(
  socket: ReplicationSocket,
  tracker: AckTracker,
  source: FrameSource,
  bus: MetricsBus,
  stream?: string,
): void {
  const label = stream === undefined ? {} : { stream };
  socket.on('COMMITTED_UPDATE', ({ sequenceId }) => {
    const now = Date.now();
    bus.emit({ type: 'ack', socketId: socket.id, sequenceId, ...label });
    if (sequenceId === null) return;
    for (const frame of tracker.ack(sequenceId, now)) {
      bus.emit({
        type: 'frame-committed',
        index: frame.index,
        records: source.recordsIn(frame.index),
        latencyMs: frame.latencyMs ?? Number.NaN,
        ...stageField(source, frame.index),
        ...label,
      });
    }
  });
}

/**
 * When frame `index` of a stream that starts at frame `from` is due, in ms after the stream's clock origin, or
 * undefined when it goes as fast as the target reads. A paced replay follows the capture's clock (re-based on
 * `dueBase`, the due time of the first frame after a reconnect; 0 on the run's shared clock); --rate spaces
 * frames evenly. What the sender waits for, and what replay --dry-run predicts.
 */
export function scheduledOffsetMs(
  source: Pick<FrameSource, 'due'>,
  index: number,
  from: number,
  interval: number,
  dueBase: number | undefined,
): number | undefined {
  const due = source.due?.(index);
  if (due !== undefined && dueBase !== undefined) return due - dueBase;
  return interval ? (index - from) * interval : undefined;
}

/** `{stage}` of a scheduled source's frame (--stages, --duration), else nothing. */
function stageField(source: Pick<FrameSource, 'stageOf'>, index: number): { stage?: number } {
  const stage = source.stageOf?.(index);
  return stage === undefined ? {} : { stage };
}

/** The bytes one frame puts on the socket: its leading controls, the data frame and its blob chunks. */
export function sentBytes(frame: Pick<BuiltFrame, 'data' | 'before' | 'blobChunks'>): number {
  const sum = (list: Buffer[] | undefined) => (list ?? []).reduce((total, chunk) => total + chunk.length, 0);
  return frame.data.length + sum(frame.before) + sum(frame.blobChunks);
}

export async function streamFrames(options: StreamOptions): Promise<StreamOutcome> {
  const { socket, source, tracker, bus, signal } = options;
  const from = Math.max(tracker.firstAfter(options.startTime), 0);
  for (const control of await source.preamble(options.subscribedNames, from)) await socket.send(control);
  const interval = options.rate ? 1000 / options.rate : 0;
  // A stream's first connection keeps the shared clock; a reconnect re-bases the schedule on itself.
  const startedAt = options.clock ? options.clock.originMs : Date.now();
  const dueBase = options.clock ? 0 : source.due?.(from);
  // One frame ahead: reading and rewriting the next frame overlaps with waiting for the socket to drain.
  let next: Promise<BuiltFrame> | undefined =
    from < source.frameCount ? ahead(() => source.build(from)) : undefined;
  let index = from;
  for (; index < source.frameCount; index++) {
    if (signal.aborted) return { sentUpTo: index, aborted: true };
    // An open-ended run's time is up: the frames begun so far are the run.
    if (source.endsBefore?.(index)) break;
    const due = source.due?.(index);
    const offset = scheduledOffsetMs(source, index, from, interval, dueBase);
    const intended = offset === undefined ? undefined : startedAt + offset;
    if (intended !== undefined) {
      // Again until due: a timer can fire up to 1 ms before Date.now() reaches its end (libuv's cached loop time).
      for (let wait = intended - Date.now(); wait > 0 && !signal.aborted; wait = intended - Date.now()) {
        await sleep(wait, signal);
      }
      if (signal.aborted) return { sentUpTo: index, aborted: true };
    }
    // A frame that rewrites ids of a frame still in flight waits for its ack: 4.7.29 silently drops it otherwise.
    const dependency = source.dependsOn?.(index);
    const rewrites = dependency !== undefined && dependency >= from && dependency < index;
    if (rewrites && options.dependencyWait === false) {
      reportInFlight(options, index, dependency);
    } else if (rewrites) {
      await holdForDependency({
        socket,
        tracker,
        bus,
        frame: index,
        dependency,
        ...(options.stream === undefined ? {} : { stream: options.stream }),
        lastSentTail: source.sequenceId(index - 1),
        signal,
        timeoutMs: options.ackTimeoutMs ?? 60_000,
        ...(options.nudgeAfterMs ? { nudgeAfterMs: options.nudgeAfterMs } : {}),
      });
      if (signal.aborted) return { sentUpTo: index, aborted: true };
    }
    const frame = await next!;
    const resent = tracker.wasSent(index);
    const sentAt = Date.now();
    tracker.markSent(index, sentAt);
    // The next frame is built once this one is queued, while it drains: a sender waiting for the socket had
    // nothing to do (16 % of a synth run idle), and the kernel's socket buffer keeps the peer busy meanwhile.
    const sent = sendFrame(socket, frame, source);
    next = index + 1 < source.frameCount ? ahead(() => source.build(index + 1)) : undefined;
    await sent;
    bus.emit({
      type: 'frame-sent',
      socketId: socket.id,
      index,
      bytes: sentBytes(frame),
      records: frame.records,
      blobs: frame.blobs,
      blobBytes: frame.blobBytes,
      resent,
      ...(due !== undefined && intended !== undefined ? { lateMs: Math.max(0, sentAt - intended) } : {}),
      ...stageField(source, index),
      ...(frame.blobFaults ? { blobFaults: frame.blobFaults } : {}),
      ...(options.stream === undefined ? {} : { stream: options.stream }),
    });
  }
  return { sentUpTo: index, aborted: false };
}

/** --no-dependency-wait: frame `index` goes now; when its dependency is not yet committed, the bus hears of it. */
export function reportInFlight(
  options: Pick<StreamOptions, 'tracker' | 'bus' | 'stream'>,
  index: number,
  dependency: number,
): void {
  if (dependency < options.tracker.committedFrames) return;
  options.bus.emit({
    type: 'dependency-in-flight',
    frame: index,
    dependsOn: dependency,
    ...(options.stream === undefined ? {} : { stream: options.stream }),
  });
}

/**
 * A frame's messages in order, each after the previous one drained. An open-ended run whose time runs out while the
 * last message waits for its drain stops waiting then: nothing is left to queue, and the acks the stream waits for
 * next cover its delivery (a close under it shows there as well).
 */
async function sendFrame(
  socket: ReplicationSocket,
  frame: BuiltFrame,
  source: Pick<FrameSource, 'timeLeftMs' | 'release'>,
): Promise<void> {
  const messages = [...(frame.before ?? []), frame.data, ...frame.blobChunks];
  const last = messages.pop()!;
  // Once written, the frame's buffer goes back to the source for a later frame (no fresh pages per frame).
  const written = source.release && (() => source.release!(frame));
  for (const message of messages) await socket.send(message, message === frame.data ? written : undefined);
  const drained = socket.send(last, last === frame.data ? written : undefined);
  const leftMs = source.timeLeftMs?.();
  if (leftMs === undefined || leftMs <= 0) return drained;
  drained.catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([drained, new Promise((resolve) => (timer = setTimeout(resolve, leftMs)))]);
  clearTimeout(timer);
}

/**
 * The next frame, built while the current one is sent. Its failure (a damaged capture frame) surfaces when the
 * stream awaits it, not as an unhandled rejection while the current frame drains.
 */
function ahead(build: () => BuiltFrame | Promise<BuiltFrame>): Promise<BuiltFrame> {
  let built: Promise<BuiltFrame>;
  try {
    built = Promise.resolve(build());
  } catch (caught) {
    built = Promise.reject(caught);
  }
  built.catch(() => {});
  return built;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
