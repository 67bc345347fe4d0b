/**
 * One stream of a load: a frame source to one member's subscription to one database, over as many connections as
 * it takes. A small state machine — every transition goes through `enter()`:
 *
 *   awaiting-channel → streaming → awaiting-acks → done
 *          ↑               │             │           ↑
 *          └──── dropped ←─┴─────────────┘ ──────────┘   (any state → failed: an error, an abort, too many drops)
 *
 * On each new channel the stream resumes after what the target says it holds (peer mode: the subscription's start
 * time; push mode: our own last ack). Acks feed the tracker whichever connection they arrive on.
 */
import { ExitCode, HarperReplayError } from '../common/errors.js';
import type { MetricsBus } from '../events/metrics-bus.js';
import { framesToSend } from '../workload/open-ended-source.js';
import type { FrameSource } from '../workload/synthetic.js';
import type { AckTracker } from './ack-tracker.js';
import { AbortedError, type ChannelProvider, type DataChannel, type StreamRoute } from './channel.js';
import { nudgeFrame } from './dependency-wait.js';
import { ConnectionClosedError } from './flow-control.js';
import type { ReplicationSocket } from './replication-socket.js';
import { type SharedClock, streamFrames, trackAcks } from './stream-sender.js';

export type StreamState = 'awaiting-channel' | 'streaming' | 'awaiting-acks' | 'dropped' | 'done' | 'failed';

const TRANSITIONS: Record<StreamState, readonly StreamState[]> = {
  'awaiting-channel': ['streaming', 'done', 'failed'],
  streaming: ['awaiting-acks', 'dropped', 'failed'],
  'awaiting-acks': ['done', 'dropped', 'failed'],
  // Acks that arrive before the close can complete the stream without a new channel.
  dropped: ['awaiting-channel', 'done', 'failed'],
  done: [],
  failed: [],
};

/** How long a reconnect may take at least: a target whose worker restarts needs more than a first subscribe. */
export const RECONNECT_TIMEOUT_FLOOR_MS = 30_000;

export interface ReplicationStreamOptions {
  provider: ChannelProvider;
  source: FrameSource;
  tracker: AckTracker;
  route: StreamRoute;
  /** The stream's label on the bus (member/database). */
  label: string;
  /** Prefix of this stream's messages ('' when it is the only one). */
  prefix?: string;
  bus: MetricsBus;
  signal: AbortSignal;
  maxReconnects: number;
  subscribeTimeoutMs: number;
  /** Fail when no frame is committed for this long while frames are outstanding. */
  ackTimeoutMs: number;
  /** Frames per second; undefined = as fast as the target reads. */
  rate?: number;
  /** Push mode: a 1008 close is the target refusing us, not a drop to resume from. */
  policyCloseIsFatal?: boolean;
  /** Re-send the last tail after this long without a commit while acks are outstanding (ms). */
  nudgeAfterMs?: number;
  /** false: never hold a frame for its dependency's ack (stream-sender.ts). */
  dependencyWait?: boolean;
  log?: (message: string) => void;
  /** Each socket the stream streams on (the run samples its queue). */
  onSocket?: (socket: ReplicationSocket) => void;
  /** Each state entered (tests, progress). */
  onState?: (state: StreamState) => void;
  /** The run's shared schedule for paced sources (kept on the first connection; a reconnect re-bases). */
  clock?: SharedClock;
  /** Once done, send the source's liveness frame and report whether (and how soon) the target commits it. */
  liveness?: boolean;
  /** --start-at: the first connection, once subscribed, waits here before its first frame (throws when late). */
  startGate?: (signal: AbortSignal) => Promise<void>;
}

type CommitWait = 'complete' | 'closed' | 'idle' | 'aborted';

export class ReplicationStream {
  private current: StreamState = 'awaiting-channel';
  private attempt = 0;
  private lastClose: ConnectionClosedError | undefined;

  constructor(private readonly options: ReplicationStreamOptions) {}

  get state(): StreamState {
    return this.current;
  }

  /** Connections used so far (1 + reconnects). */
  get connections(): number {
    return this.attempt;
  }

  /** Runs the stream to `done`; rejects (state `failed`) with AbortedError or a HarperReplayError. */
  async run(): Promise<void> {
    try {
      while (!this.options.tracker.complete) {
        const channel = await this.awaitChannel();
        const closed = channel.socket.closed;
        if (await this.stream(channel)) {
          const waited = await this.awaitAcks(channel.socket, closed);
          if (waited === 'complete') {
            if (this.options.liveness) await this.probeLiveness(channel.socket);
            break;
          }
        }
        await this.dropped(closed);
      }
      this.enter('done');
    } catch (caught) {
      this.enter('failed');
      throw caught;
    }
  }

  private enter(next: StreamState): void {
    if (!TRANSITIONS[this.current].includes(next)) {
      throw new Error(`replication stream: no transition ${this.current} → ${next}`);
    }
    this.current = next;
    this.options.onState?.(next);
  }

  private async awaitChannel(): Promise<DataChannel> {
    const { options } = this;
    const { tracker, bus, label, prefix = '' } = options;
    if (this.current === 'dropped') this.enter('awaiting-channel');
    if (this.attempt > options.maxReconnects) {
      throw new HarperReplayError(
        `${prefix}the target dropped the stream ${this.attempt} times (last: ${this.lastClose?.message ?? 'unknown'}); giving up after --max-reconnects ${options.maxReconnects}. Committed ${tracker.committedFrames} of ${framesToSend(options.source)} frames`,
        ExitCode.ERROR,
      );
    }
    const timeoutMs =
      this.attempt === 0
        ? options.subscribeTimeoutMs
        : Math.max(options.subscribeTimeoutMs, RECONNECT_TIMEOUT_FLOOR_MS);
    const channel = await options.provider.next(
      timeoutMs,
      options.signal,
      tracker.cursor ?? 0,
      options.route,
    );
    const { socket } = channel;
    if (this.attempt > 0) {
      const fromFrame = tracker.firstAfter(channel.startTime);
      bus.emit({
        type: 'resume',
        socketId: socket.id,
        startTime: channel.startTime,
        fromFrame,
        attempt: this.attempt,
        stream: label,
      });
      options.log?.(
        `${prefix}reconnected: resuming at frame ${fromFrame} (target cursor ${channel.startTime})`,
      );
    }
    options.onSocket?.(socket);
    bus.emit({
      type: 'connection',
      socketId: socket.id,
      event: 'streaming',
      startTime: channel.startTime,
      remoteNodeName: options.route.member,
      database: options.route.database,
      stream: label,
      ...socket.ports,
    });
    this.attempt++;
    return channel;
  }

  /** Sends every frame after the channel's start point; false when the socket closed under it. */
  private async stream(channel: DataChannel): Promise<boolean> {
    const { options } = this;
    if (options.startGate && this.attempt === 1) await options.startGate(options.signal);
    if (options.signal.aborted) throw new AbortedError();
    this.enter('streaming');
    options.bus.emit({ type: 'phase', phase: 'streaming' });
    if (this.attempt === 1) this.warnIfStartSkips(channel.startTime);
    trackAcks(channel.socket, options.tracker, options.source, options.bus, options.label);
    const sent = await streamFrames({
      socket: channel.socket,
      source: options.source,
      tracker: options.tracker,
      bus: options.bus,
      startTime: channel.startTime,
      subscribedNames: channel.subscribedNames,
      rate: options.rate,
      signal: options.signal,
      stream: options.label,
      ackTimeoutMs: options.ackTimeoutMs,
      ...(options.nudgeAfterMs ? { nudgeAfterMs: options.nudgeAfterMs } : {}),
      ...(options.dependencyWait === false ? { dependencyWait: false } : {}),
      ...(options.clock && this.attempt === 1 ? { clock: options.clock } : {}),
    }).catch((caught: unknown) => {
      if (caught instanceof ConnectionClosedError) return undefined;
      throw caught;
    });
    if (options.signal.aborted) throw new AbortedError();
    return sent !== undefined;
  }

  /**
   * A first connection's start comes from the target, not from frames of ours it committed (our peer name is new):
   * 4.7.29 gives a new peer "now − 60 s". Frames with tails at or below it are skipped as if committed; say so.
   */
  private warnIfStartSkips(startTime: number): void {
    const { tracker, bus, prefix = '' } = this.options;
    const skipped = tracker.firstAfter(startTime);
    if (skipped === 0) return;
    bus.emit({
      type: 'warning',
      message: `${prefix}the target asked to start after ${new Date(startTime).toISOString()}: the first ${skipped} frame(s) have tails at or below it and are not sent (the tool's tails must follow the target's clock)`,
    });
  }

  private async awaitAcks(socket: ReplicationSocket, closed: Promise<unknown>): Promise<CommitWait> {
    const { options } = this;
    const { tracker, source, prefix = '' } = options;
    this.enter('awaiting-acks');
    options.bus.emit({ type: 'phase', phase: 'waiting-for-acks' });
    // 4.7.29 coalesces acks by overwriting the pending value, and its commit callbacks can finish out of order, so
    // the last ack of a burst can name an older frame than the last one committed. A frame with no entries and a
    // tail just above the last one commits after everything before it and acks them all.
    const lastTail = source.sequenceId(source.frameCount - 1);
    const nudge = () => socket.send(nudgeFrame(lastTail)).catch(() => {});
    const waited = await waitForCommits(
      tracker,
      closed,
      options.ackTimeoutMs,
      options.signal,
      nudge,
      options.nudgeAfterMs,
    );
    if (waited === 'aborted') throw new AbortedError();
    if (waited === 'idle') {
      throw new HarperReplayError(
        `${prefix}no commit acknowledgement for ${options.ackTimeoutMs} ms: ${tracker.committedFrames} of ${framesToSend(source)} frames committed`,
        ExitCode.VERIFY_FAILED,
      );
    }
    return waited;
  }

  /**
   * The liveness probe: one small frame after everything was committed. Committed means the target still takes
   * writes from this peer after what came before (faulted blobs, say); not within --ack-timeout means it does not.
   */
  private async probeLiveness(socket: ReplicationSocket): Promise<void> {
    const { options } = this;
    const frame = options.source.livenessFrame?.();
    if (!frame) return;
    const sentAt = Date.now();
    const committed = new Promise<boolean>((resolve) => {
      let settled = false;
      const finish = (ok: boolean) => {
        if (settled) return;
        settled = true;
        clearInterval(nudger);
        clearTimeout(timer);
        options.signal.removeEventListener('abort', onAbort);
        resolve(ok);
      };
      const onAbort = () => finish(false);
      socket.on('COMMITTED_UPDATE', ({ sequenceId }) => {
        if (sequenceId !== null && sequenceId >= frame.sequenceId) finish(true);
      });
      // A stale coalesced ack may name an older frame: an empty frame above the probe's tail acks it too.
      const nudge = () => socket.send(nudgeFrame(frame.sequenceId)).catch(() => {});
      const nudger = setInterval(nudge, options.nudgeAfterMs ?? 500);
      const timer = setTimeout(() => finish(false), options.ackTimeoutMs);
      options.signal.addEventListener('abort', onAbort, { once: true });
      socket.closed.then(() => finish(false));
    });
    await socket.send(frame.data).catch(() => {});
    const ok = await committed;
    options.bus.emit({
      type: 'liveness',
      stream: options.label,
      ok,
      latencyMs: ok ? Date.now() - sentAt : null,
    });
  }

  private async dropped(closed: Promise<ConnectionClosedError>): Promise<void> {
    const { options } = this;
    const prefix = options.prefix ?? '';
    this.enter('dropped');
    this.lastClose = await closed;
    options.bus.emit({
      type: 'warning',
      message: `${prefix}replication socket closed mid-stream: ${this.lastClose.message}`,
    });
    if (options.policyCloseIsFatal && this.lastClose.code === 1008) {
      throw new HarperReplayError(
        `the target closed the connection: ${this.lastClose.reason || 'policy violation'} (1008)`,
        ExitCode.ERROR,
      );
    }
  }
}

/** Waits until every frame is committed; gives up after `idleMs` without progress, or when the socket closes. */
function waitForCommits(
  tracker: AckTracker,
  closed: Promise<unknown>,
  idleMs: number,
  signal: AbortSignal,
  nudge: () => void,
  nudgeAfterMs = 500,
): Promise<CommitWait> {
  return new Promise((resolve) => {
    let last = tracker.committedFrames;
    let lastProgress = Date.now();
    let lastNudge = Date.now();
    let settled = false;
    const finish = (result: CommitWait) => {
      if (settled) return;
      settled = true;
      clearInterval(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(result);
    };
    const onAbort = () => finish('aborted');
    const timer = setInterval(() => {
      if (tracker.complete) return finish('complete');
      if (tracker.committedFrames !== last) {
        last = tracker.committedFrames;
        lastProgress = Date.now();
      } else if (Date.now() - lastProgress > idleMs) {
        finish('idle');
      } else if (Date.now() - Math.max(lastProgress, lastNudge) > nudgeAfterMs) {
        lastNudge = Date.now();
        nudge();
      }
    }, 20);
    signal.addEventListener('abort', onAbort, { once: true });
    closed.then(() => setTimeout(() => finish(tracker.complete ? 'complete' : 'closed'), 50));
    if (tracker.complete) finish('complete');
  });
}
