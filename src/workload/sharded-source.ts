/**
 * One shard's part of a frame source (--shard i/n): the frames it owns of the whole run's source, renumbered
 * 0 … k − 1 for the stream, each still built, versioned, sequenced and due exactly as in the unsharded run, so the
 * shards together send what one process would. Synth owns a contiguous block (shardBlock); replay a stripe
 * (shardOwnsStripe), whose source gets the whole run's position of each frame to send the controls in between.
 */
import { type ShardSpec, shardBlock, stripeCount } from './shard.js';
import type { BuiltFrame, FrameSource } from './synthetic.js';

/** Which frames of the whole run a shard sends: its k-th frame is the whole run's `positionOf(k)`. */
export interface ShardFrames {
  count: number;
  positionOf(k: number): number;
}

/** Synth: frames [start, end) of the whole run. */
export function blockFrames(spec: ShardSpec, total: number): ShardFrames {
  const { start, end } = shardBlock(spec, total);
  return { count: end - start, positionOf: (k) => start + k };
}

/** Replay: frames index, index + count, index + 2·count, … of the whole run. */
export function stripeFrames(spec: ShardSpec, total: number): ShardFrames {
  return { count: stripeCount(spec, total), positionOf: (k) => spec.index + k * spec.count };
}

export class ShardedSource implements FrameSource {
  private records?: number;
  readonly livenessFrame?: () => BuiltFrame;
  readonly release?: (frame: Pick<BuiltFrame, 'data'>) => void;

  constructor(
    readonly inner: FrameSource,
    readonly frames: ShardFrames,
  ) {
    if (inner.livenessFrame) this.livenessFrame = () => inner.livenessFrame!();
    if (inner.release) this.release = (frame) => inner.release!(frame);
  }

  get frameCount(): number {
    return this.frames.count;
  }

  get connection(): number | undefined {
    return this.inner.connection;
  }

  get totalRecords(): number {
    if (this.records === undefined) {
      let sum = 0;
      for (let k = 0; k < this.frames.count; k++) sum += this.inner.recordsIn(this.frames.positionOf(k));
      this.records = sum;
    }
    return this.records;
  }

  preamble(subscribedNames: string[], fromIndex = 0): Buffer[] | Promise<Buffer[]> {
    return this.inner.preamble(subscribedNames, this.frames.positionOf(fromIndex));
  }

  build(index: number): BuiltFrame | Promise<BuiltFrame> {
    const position = this.frames.positionOf(index);
    // The first frame follows the preamble, which carries what came before it.
    const built =
      index > 0 && this.inner.buildAfter
        ? this.inner.buildAfter(position, this.frames.positionOf(index - 1))
        : this.inner.build(position);
    return built instanceof Promise ? built.then((frame) => ({ ...frame, index })) : { ...built, index };
  }

  sequenceId(index: number): number {
    return this.inner.sequenceId(this.frames.positionOf(index));
  }

  recordsIn(index: number): number {
    return this.inner.recordsIn(this.frames.positionOf(index));
  }

  due(index: number): number | undefined {
    return this.inner.due?.(this.frames.positionOf(index));
  }

  stageOf(index: number): number | undefined {
    return this.inner.stageOf?.(this.frames.positionOf(index));
  }

  /** The whole run's position of this shard's frame `index` (the frame-sent of an unsharded run would say it). */
  positionOf(index: number): number {
    return this.frames.positionOf(index);
  }
}
