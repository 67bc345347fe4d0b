/** Latency percentiles from a real HDR histogram (microsecond resolution, up to one hour). */
import * as hdr from 'hdr-histogram-js';

export interface LatencySummary {
  count: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
}

export class LatencyHistogram {
  private readonly histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
  });

  recordMs(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    this.histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
  }

  /** Adds another histogram's counts to this one (exact: both have the same buckets). */
  add(other: LatencyHistogram): void {
    this.histogram.add(other.histogram);
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  summary(): LatencySummary {
    if (this.histogram.totalCount === 0) return { count: 0, p50: null, p99: null, max: null };
    const ms = (us: number) => Math.round(us) / 1000;
    // Percentiles are a bucket's upper edge (within 0.1 %); max is exact: no percentile may exceed it.
    const max = this.histogram.maxValue;
    return {
      count: this.histogram.totalCount,
      p50: ms(Math.min(this.histogram.getValueAtPercentile(50), max)),
      p99: ms(Math.min(this.histogram.getValueAtPercentile(99), max)),
      max: ms(max),
    };
  }
}
