/**
 * A frame source paced by a rate schedule (--stages, --duration with --rate): frame i is due when the schedule has
 * asked for everything before it — its records (rps) or its frames (fps) — and belongs to the stage it is due in.
 */
import type { RateSchedule } from './rate-schedule.js';
import { stageAt, timeOfAmount } from './rate-schedule.js';
import type { BuiltFrame, FrameSource } from './synthetic.js';

export class ScheduledSource implements FrameSource {
  /** Records in frames 0 … i − 1, grown as far as asked (a replay's frames hold different numbers). */
  private readonly recordsBefore: number[] = [0];
  readonly livenessFrame?: () => BuiltFrame;
  readonly release?: (frame: Pick<BuiltFrame, 'data'>) => void;

  constructor(
    private readonly inner: FrameSource,
    readonly schedule: RateSchedule,
  ) {
    if (inner.livenessFrame) this.livenessFrame = () => inner.livenessFrame!();
    if (inner.release) this.release = (frame) => inner.release!(frame);
  }

  get frameCount(): number {
    return this.inner.frameCount;
  }

  get connection(): number | undefined {
    return this.inner.connection;
  }

  get totalRecords(): number {
    return this.inner.totalRecords;
  }

  preamble(subscribedNames: string[], fromIndex?: number): Buffer[] | Promise<Buffer[]> {
    return this.inner.preamble(subscribedNames, fromIndex);
  }

  build(index: number): BuiltFrame | Promise<BuiltFrame> {
    return this.inner.build(index);
  }

  dependsOn(index: number): number | undefined {
    return this.inner.dependsOn?.(index);
  }

  sequenceId(index: number): number {
    return this.inner.sequenceId(index);
  }

  recordsIn(index: number): number {
    return this.inner.recordsIn(index);
  }

  /** ms after the schedule's start; undefined past its end (such a frame goes as fast as the target reads). */
  due(index: number): number | undefined {
    return timeOfAmount(this.schedule, this.amountBefore(index));
  }

  stageOf(index: number): number | undefined {
    const due = this.due(index);
    return due === undefined ? undefined : stageAt(this.schedule, due);
  }

  private amountBefore(index: number): number {
    if (this.schedule.unit === 'fps') return index;
    const sums = this.recordsBefore;
    for (let i = sums.length - 1; i < index; i++) sums.push(sums[i]! + this.inner.recordsIn(i));
    return sums[index]!;
  }
}
