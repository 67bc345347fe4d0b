/**
 * The ack latency chart's data in O(1) memory whatever the frame count (a `--duration 4h` run acks millions of
 * frames): latencies are counted in log-spaced buckets 1 % wide, with the exact min and max beside them, and the
 * chart's equal-width bars are made from those counts at the end. A bar's count is off only by values within 1 %
 * of its edge. Percentiles do not come from here: they come from the HDR histograms (LatencyHistogram).
 */

/** Bucket k holds values in [GROWTH^k, GROWTH^(k+1)) µs: 1 % wide; 1 µs to an hour is about 2,200 buckets. */
const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);
/** Bars of the chart (equal width between the fastest and the slowest ack). */
export const LATENCY_BARS = 30;

export interface LatencyBars {
  /** Frames counted (every finite latency). */
  frames: number;
  /** The middle of each bar (ms), LATENCY_BARS of them (over 0–1 ms when no frame was counted). */
  barMs: number[];
  /** Frames per bar. */
  counts: number[];
}

export class LatencyDistribution {
  private readonly buckets = new Map<number, number>();
  private count = 0;
  private min = Number.POSITIVE_INFINITY;
  private max = Number.NEGATIVE_INFINITY;

  record(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    this.count++;
    this.min = Math.min(this.min, ms);
    this.max = Math.max(this.max, ms);
    const key = ms * 1000 < 1 ? -1 : Math.floor(Math.log(ms * 1000) / LOG_GROWTH);
    this.buckets.set(key, (this.buckets.get(key) ?? 0) + 1);
  }

  get frames(): number {
    return this.count;
  }

  /** Buckets in use (what the memory grows with: at most ~2,200, whatever the frame count). */
  get bucketCount(): number {
    return this.buckets.size;
  }

  /** Equal-width bars from the fastest to the slowest ack, as the HTML report draws them. */
  bars(bars = LATENCY_BARS): LatencyBars {
    const lo = this.count ? this.min : 0;
    const width = Math.max(((this.count ? this.max : 1) - lo) / bars, 0.001);
    const barMs = Array.from({ length: bars }, (_, i) => +(lo + (i + 0.5) * width).toFixed(3));
    const counts = barMs.map(() => 0);
    for (const [key, frames] of this.buckets) {
      // A bucket's values lie between its edges and between min and max: its middle, kept inside both.
      const middle = key < 0 ? 0 : GROWTH ** (key + 0.5) / 1000;
      const value = Math.min(this.max, Math.max(lo, middle));
      counts[Math.min(bars - 1, Math.floor((value - lo) / width))]! += frames;
    }
    return { frames: this.count, barMs, counts };
  }
}
