/**
 * --start-at without a coordinator: every stream of a shard, once subscribed, waits here for the common instant;
 * a stream subscribed after it, or one still not subscribed when it comes, means this shard is late, and a late
 * shard sends nothing (ready too late, its own exit code) rather than start behind the others.
 */
import { ExitCode, HarperReplayError } from '../common/errors.js';
import { sleep } from './stream-sender.js';

export class StartGate {
  private ready = 0;
  private announced = false;

  constructor(
    /** The common start (epoch ms). */
    readonly startAt: number,
    /** Streams that must all be subscribed by then. */
    private readonly streams: number,
    /** Said once, when the first stream starts waiting. */
    private readonly onWait: (waitMs: number) => void = () => {},
    private readonly now: () => number = Date.now,
  ) {}

  /** Called by each stream once subscribed: resolves at the start instant, throws when this shard is late. */
  async pass(signal?: AbortSignal): Promise<void> {
    this.ready++;
    const wait = this.startAt - this.now();
    if (wait < 0) throw this.late(`subscribed ${-wait} ms after it`);
    if (!this.announced) {
      this.announced = true;
      this.onWait(wait);
    }
    await sleep(wait, signal);
    if (signal?.aborted) return;
    if (this.ready < this.streams)
      throw this.late(`${this.streams - this.ready} of ${this.streams} streams were not subscribed by then`);
  }

  private late(why: string): HarperReplayError {
    return new HarperReplayError(
      `ready too late for --start-at ${new Date(this.startAt).toISOString()} (${why}): sent nothing`,
      ExitCode.READY_TOO_LATE,
    );
  }
}
