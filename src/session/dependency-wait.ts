/**
 * Holding a frame until the frame it depends on is committed. 4.7.29 applies each received frame as one optimistic
 * transaction conditioned on the record versions it read; a frame read before the frame that wrote those records
 * is committed carries a stale condition, and when that condition is not the transaction's first, lmdb skips every
 * write of the frame while DatabaseTransaction (which looks only at the outermost condition) reports success: the
 * frame is acked and lost. A frame that rewrites ids of a frame still in flight therefore waits for its ack.
 */
import { performance } from 'node:perf_hooks';
import { ExitCode, HarperReplayError } from '../common/errors.js';
import type { MetricsBus } from '../events/metrics-bus.js';
import { TxnFrameWriter } from '../protocol/txn-frame.js';
import type { AckTracker } from './ack-tracker.js';
import type { ReplicationSocket } from './replication-socket.js';

/** A frame with no entries and a tail just above `tail`: it commits after everything before it and acks them all. */
export function nudgeFrame(tail: number): Buffer {
  return new TxnFrameWriter().begin(Date.now(), 32).finish(tail + 0.5);
}

export interface DependencyWait {
  socket: ReplicationSocket;
  tracker: AckTracker;
  /** The frame that must be committed. */
  dependency: number;
  /** Tail of the last frame sent: a nudge goes just above it. */
  lastSentTail: number;
  signal: AbortSignal;
  /** Give up (exit 3) after this long without the commit. */
  timeoutMs: number;
  /** 4.7.29 may ack a burst with an older frame's tail: nudge after this long without the commit (default 500). */
  nudgeAfterMs?: number;
  /** Called for each nudge sent. */
  onNudge?: () => void;
}

/**
 * Resolves once `dependency` is committed or the signal aborts; rejects with the socket's ConnectionClosedError when
 * it closes first, and with a HarperReplayError after `timeoutMs`.
 */
export function awaitDependency(wait: DependencyWait): Promise<void> {
  const { socket, tracker, dependency, signal } = wait;
  if (dependency < tracker.committedFrames || signal.aborted) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = new AbortController();
    const nudger = setInterval(() => {
      wait.onNudge?.();
      socket.send(nudgeFrame(wait.lastSentTail)).catch(() => {});
    }, wait.nudgeAfterMs ?? 500);
    const timer = setTimeout(() => {
      finish();
      reject(
        new HarperReplayError(
          `no commit acknowledgement for ${wait.timeoutMs} ms of frame ${dependency}, which the next frame rewrites: ${tracker.committedFrames} frames committed`,
          ExitCode.VERIFY_FAILED,
        ),
      );
    }, wait.timeoutMs);
    function finish() {
      clearInterval(nudger);
      clearTimeout(timer);
      done.abort();
    }
    const either = AbortSignal.any([signal, done.signal]);
    tracker.whenCommitted(dependency, either).then(() => {
      if (done.signal.aborted) return;
      finish();
      resolve();
    });
    socket.closed.then((closed) => {
      if (done.signal.aborted) return;
      finish();
      reject(closed);
    });
  });
}

/**
 * awaitDependency for frame `frame`, reporting the wait on the bus (`dependency-wait`) when the frame was held, so
 * a mix run's result says how much of its time went to waiting. A frame whose dependency is committed is not held.
 */
export async function holdForDependency(
  wait: DependencyWait & { bus: MetricsBus; frame: number; stream?: string },
): Promise<void> {
  const { bus, tracker, dependency, frame, stream } = wait;
  if (dependency < tracker.committedFrames || wait.signal.aborted) return;
  const startedAt = performance.now();
  let nudges = 0;
  try {
    await awaitDependency({ ...wait, onNudge: () => nudges++ });
  } finally {
    bus.emit({
      type: 'dependency-wait',
      frame,
      dependsOn: dependency,
      // 0.01 ms: an ack already on its way ends most waits within a millisecond.
      waitedMs: Math.round((performance.now() - startedAt) * 100) / 100,
      nudges,
      committed: dependency < tracker.committedFrames,
      ...(stream === undefined ? {} : { stream }),
    });
  }
}
