/**
 * Target memory over the run. The fast sampler (/proc every 20 ms, local targets) is the source of truth for peaks:
 * system_information is answered by the thread that decodes frames and misses bursts while that thread is busy.
 */
import { median } from '../common/stats.js';
import type { RunEvent, Sample } from '../events/schema.js';

export interface MemorySummary {
  /** 'proc' (local pid, 20 ms) or 'system_information' (any target, ≤ 250 ms); 'none' without samples. */
  sampler: 'proc' | 'system_information' | 'none';
  baselineRss: number | null;
  peakRss: number | null;
  /** ms after the first frame was sent (negative: before). */
  peakAtMs: number | null;
  growthRss: number | null;
  endRss: number | null;
  /** The kernel's own high-water mark (VmHWM, reset at the start of the run, read at the end of the load): local targets only. */
  kernelPeakRss: number | null;
  samples: number;
  slow: {
    samples: number;
    peakRss: number | null;
    /** Highest heapUsed of any worker thread. */
    peakThreadHeap: number | null;
    /** Longest system_information answer (the target's event loop busy). */
    maxLatencyMs: number | null;
    /** How far below the fast sampler's peak the slow one's stayed: the burst it missed. */
    missedPeak: number | null;
  };
  /**
   * Memory outside the JS heaps (system_information, per worker thread): blob chunks waiting in a receiver's
   * streams and socket buffers live here, not in heapUsed. Peaks are of the largest single thread.
   */
  external: {
    /** Largest externalMemory of any thread before the first frame (median over the baseline samples). */
    baselineThread: number | null;
    peakThread: number | null;
    growthThread: number | null;
    peakThreadArrayBuffers: number | null;
  };
}

export class MemoryAnalysis {
  private readonly baseline: number[] = [];
  private readonly slowBaseline: number[] = [];
  private firstSendAt?: number;
  private samples = 0;
  private peakRss?: number;
  private peakAt?: number;
  private endRss?: number;
  private hwm?: number;
  private slowSamples = 0;
  private slowPeak?: number;
  private slowPeakAt?: number;
  private slowEnd?: number;
  private threadHeap?: number;
  private slowLatency?: number;
  private readonly externalBaseline: number[] = [];
  private threadExternal?: number;
  private threadArrayBuffers?: number;

  private closed = false;

  readonly sink = (event: RunEvent): void => {
    if (event.type === 'frame-sent') this.firstSendAt ??= event.t;
    // The window ends when the run stops loading the target: verification reads every row (and maps LMDB pages
    // into the target's RSS), which is not the workload's doing.
    if (event.type === 'phase' && (event.phase === 'verifying' || event.phase === 'cleaning-up'))
      this.closed = true;
    if (event.type !== 'sample' || this.closed) return;
    const sample = event.sample;
    if (sample.kind === 'proc') {
      this.samples++;
      if (this.firstSendAt === undefined) this.baseline.push(sample.rss);
      if (this.peakRss === undefined || sample.rss > this.peakRss) {
        this.peakRss = sample.rss;
        this.peakAt = event.t;
      }
      this.endRss = sample.rss;
      this.hwm = Math.max(this.hwm ?? 0, sample.hwm);
    } else if (sample.kind === 'sysinfo') {
      this.slowSamples++;
      this.slowLatency = Math.max(this.slowLatency ?? 0, sample.latencyMs);
      this.onThreads(sample.threads);
      if (sample.rss === null) return;
      if (this.firstSendAt === undefined) this.slowBaseline.push(sample.rss);
      if (this.slowPeak === undefined || sample.rss > this.slowPeak) {
        this.slowPeak = sample.rss;
        this.slowPeakAt = event.t;
      }
      this.slowEnd = sample.rss;
    }
  };

  private onThreads(threads: Extract<Sample, { kind: 'sysinfo' }>['threads']): void {
    let external: number | undefined;
    for (const thread of threads) {
      if (thread.heapUsed !== undefined) this.threadHeap = Math.max(this.threadHeap ?? 0, thread.heapUsed);
      if (thread.externalMemory !== undefined) external = Math.max(external ?? 0, thread.externalMemory);
      if (thread.arrayBuffers !== undefined)
        this.threadArrayBuffers = Math.max(this.threadArrayBuffers ?? 0, thread.arrayBuffers);
    }
    if (external === undefined) return;
    if (this.firstSendAt === undefined) this.externalBaseline.push(external);
    this.threadExternal = Math.max(this.threadExternal ?? 0, external);
  }

  summary(): MemorySummary {
    const fast = this.samples > 0;
    const sampler = fast ? 'proc' : this.slowSamples > 0 ? 'system_information' : 'none';
    const baseline = fast ? median(this.baseline) : median(this.slowBaseline);
    const peak = fast ? this.peakRss : this.slowPeak;
    const peakAt = fast ? this.peakAt : this.slowPeakAt;
    return {
      sampler,
      baselineRss: baseline ?? null,
      peakRss: peak ?? null,
      peakAtMs: peakAt !== undefined && this.firstSendAt !== undefined ? peakAt - this.firstSendAt : null,
      growthRss: peak !== undefined && baseline !== undefined ? peak - baseline : null,
      endRss: (fast ? this.endRss : this.slowEnd) ?? null,
      kernelPeakRss: this.hwm ?? null,
      samples: this.samples,
      slow: {
        samples: this.slowSamples,
        peakRss: this.slowPeak ?? null,
        peakThreadHeap: this.threadHeap ?? null,
        maxLatencyMs: this.slowLatency ?? null,
        missedPeak:
          fast && this.slowPeak !== undefined && this.peakRss !== undefined
            ? Math.max(0, this.peakRss - this.slowPeak)
            : null,
      },
      external: this.externalSummary(),
    };
  }

  private externalSummary(): MemorySummary['external'] {
    const baseline = median(this.externalBaseline);
    return {
      baselineThread: baseline ?? null,
      peakThread: this.threadExternal ?? null,
      growthThread:
        baseline !== undefined && this.threadExternal !== undefined ? this.threadExternal - baseline : null,
      peakThreadArrayBuffers: this.threadArrayBuffers ?? null,
    };
  }
}
