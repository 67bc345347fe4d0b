/**
 * An open-ended run (synth --duration without a rate): frames go out as fast as the target reads them, ids
 * continuing frame after frame, until the time is up. How many that is, only the target decides: until then
 * `frameCount` is an upper bound (the inner source's: --frames, or the last frame whose ids fit the id space); once
 * the time is up it is fixed at the frames whose sending had begun, and every stream, resend and check agrees on it.
 * Nothing here grows with the frames sent: a start time, a high-water mark and, at the end, a count.
 */
import type { OpenEndedMeta } from '../events/schema.js';
import type { BuiltFrame, FrameSource } from './synthetic.js';

/** An open-ended run (synth --duration without a rate): frames as fast as the target reads until the time is up. */
export type OpenEndedPace = OpenEndedMeta;

/** The most frames an open-ended run of `recordsPerFrame` can send: its ids, the probe's included, fit 32 bits. */
export function openEndedFrameLimit(recordsPerFrame: number): number {
  return Math.floor((0xffff_fffe - 1) / recordsPerFrame);
}

/** What the open-ended source needs of the frames it hands out: the probe after any count of them. */
export interface OpenEndedInner extends FrameSource {
  /** The liveness probe after the first `frames` frames (the next id and tail after them). */
  livenessFrameAfter?(frames: number): BuiltFrame;
}

export class OpenEndedSource implements FrameSource {
  private startedAt?: number;
  /** The frame count once the time is up; undefined before. */
  private endedAt?: number;
  /** Frames whose sending began (the highest index let through + 1): a frame sent is never taken back. */
  private begun = 0;
  readonly livenessFrame?: () => BuiltFrame;
  readonly release?: (frame: Pick<BuiltFrame, 'data'>) => void;

  constructor(
    private readonly inner: OpenEndedInner,
    readonly durationMs: number,
    private readonly now: () => number = Date.now,
  ) {
    if (inner.livenessFrameAfter) this.livenessFrame = () => inner.livenessFrameAfter!(this.frameCount);
    if (inner.release) this.release = (frame) => inner.release!(frame);
  }

  /** An upper bound while the time runs, then the frames the run sent. */
  get frameCount(): number {
    return this.endedAt ?? this.inner.frameCount;
  }

  /**
   * The time left while the run goes on (undefined before the first frame and once it ended): a sender waiting for
   * the target to drain the frame it queued need not wait past it, nothing more is to be queued then.
   */
  timeLeftMs(): number | undefined {
    if (this.startedAt === undefined || this.endedAt !== undefined) return undefined;
    return this.durationMs - (this.now() - this.startedAt);
  }

  /** Whether the time is up (the frame count is final). */
  get ended(): boolean {
    return this.endedAt !== undefined;
  }

  /** The frames whose sending began: the run's count once ended, else so far (an interrupted run's). */
  get framesBegun(): number {
    return this.endedAt ?? this.begun;
  }

  /** The records of the frames begun (every frame holds the same records: pure inserts of one shape). */
  get totalRecords(): number {
    return this.framesBegun * this.inner.recordsIn(0);
  }

  /**
   * Asked before frame `index` is sent (on any stream): true once the time is up and `index` is past the frames
   * begun by then. The clock starts at the first frame asked about.
   */
  endsBefore(index: number): boolean {
    if (this.endedAt !== undefined) return index >= this.endedAt;
    const now = this.now();
    this.startedAt ??= now;
    if (now - this.startedAt >= this.durationMs) {
      this.endedAt = Math.min(Math.max(index, this.begun), this.inner.frameCount);
      return index >= this.endedAt;
    }
    this.begun = Math.max(this.begun, index + 1);
    return false;
  }

  preamble(subscribedNames: string[], fromIndex?: number): Buffer[] | Promise<Buffer[]> {
    return this.inner.preamble(subscribedNames, fromIndex);
  }

  build(index: number): BuiltFrame | Promise<BuiltFrame> {
    return this.inner.build(index);
  }

  sequenceId(index: number): number {
    return this.inner.sequenceId(index);
  }

  recordsIn(index: number): number {
    return this.inner.recordsIn(index);
  }
}

/** A source's frames for a message ("12 of N frames committed"): an open-ended run's begun so far, not its bound. */
export function framesToSend(source: FrameSource): number {
  return source instanceof OpenEndedSource ? source.framesBegun : source.frameCount;
}
