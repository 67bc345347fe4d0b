/**
 * Soak trends: the target's memory over the load (least-squares slope of RSS and worker heap, MiB/min, with the
 * fit's r²: a slow leak shows as a number) and ack latency by time window (a target that degrades shows as rising
 * windows). Fitted from the first frame sent until verification begins: the node's start-up and the count's own
 * queries are not the load's trend.
 */
import { linearRegression, rSquared } from 'simple-statistics';
import { LatencyHistogram } from '../common/latency-histogram.js';
import type { RunEvent } from '../events/schema.js';

/** A memory series is thinned to one point per this many ms (a /proc sample comes every 20 ms). */
export const TREND_POINT_MS = 250;
/** Fewer points, or a shorter span, fit nothing worth a number. */
export const TREND_MIN_POINTS = 8;
export const TREND_MIN_SPAN_MS = 2000;
/**
 * Ack latency windows: at most this many over the run, each the minimum long or that doubled as often as the run
 * needs (windows merge pairwise when the run outgrows them: memory is O(windows), not O(frames), in a 4 h soak).
 */
export const LATENCY_WINDOWS = 10;
export const LATENCY_WINDOW_MIN_MS = 5000;

const MIB = 1024 * 1024;

export interface MemoryTrend {
  /** Least-squares slope (MiB per minute; bytes per minute is slopeBytesPerMin). */
  slopeMiBPerMin: number;
  slopeBytesPerMin: number;
  /** How well a line fits (1: perfectly; near 0: no linear trend, the slope says little). */
  r2: number;
  points: number;
  spanMs: number;
}

export interface LatencyWindow {
  /** ms after the first frame sent. */
  fromMs: number;
  toMs: number;
  commits: number;
  p50: number | null;
  p99: number | null;
}

export interface TrendSummary {
  /** The target's RSS (/proc of a local target, else system_information); null: too few samples. */
  rss: MemoryTrend | null;
  /** The workers' heap in use (system_information, summed over threads). */
  heap: MemoryTrend | null;
  ackLatencyWindows: LatencyWindow[];
}

type Point = [number, number];

export class TrendAnalysis {
  private firstSendAt?: number;
  private ended = false;
  private readonly procRss: Point[] = [];
  private readonly sysinfoRss: Point[] = [];
  private readonly heap: Point[] = [];
  private readonly windows = new LatencyWindows();

  sink(event: RunEvent): void {
    if (event.type === 'frame-sent') this.firstSendAt ??= event.t;
    // Verification's own queries (a COUNT over every record) are not the load: the trend ends where it starts.
    if (event.type === 'phase' && (event.phase === 'verifying' || event.phase === 'cleaning-up'))
      this.ended = true;
    if (this.firstSendAt === undefined || this.ended) return;
    if (event.type === 'frame-committed' && Number.isFinite(event.latencyMs))
      this.windows.record(event.t - this.firstSendAt, event.latencyMs);
    if (event.type !== 'sample' || event.member !== undefined) return;
    const { sample } = event;
    if (sample.kind === 'proc') thin(this.procRss, event.t, sample.rss);
    if (sample.kind !== 'sysinfo') return;
    if (sample.rss !== null) thin(this.sysinfoRss, event.t, sample.rss);
    const threads = sample.threads.filter((thread) => thread.heapUsed !== undefined);
    const heap = threads.length ? threads.reduce((sum, t) => sum + t.heapUsed!, 0) : sample.heapUsed;
    if (heap !== null) thin(this.heap, event.t, heap);
  }

  summary(): TrendSummary {
    return {
      rss: fit(this.procRss.length >= TREND_MIN_POINTS ? this.procRss : this.sysinfoRss),
      heap: fit(this.heap),
      ackLatencyWindows: this.latencyWindows(),
    };
  }

  private latencyWindows(): LatencyWindow[] {
    return this.windows.summary();
  }
}

/** Histograms of ack latency by time since the first send, in at most LATENCY_WINDOWS windows of doubling width. */
export class LatencyWindows {
  private windowMs = LATENCY_WINDOW_MIN_MS;
  private windows: Array<{ histogram: LatencyHistogram; commits: number } | undefined> = [];

  /** A commit `atMs` after the first send. */
  record(atMs: number, latencyMs: number): void {
    let k = Math.floor(Math.max(0, atMs) / this.windowMs);
    while (k >= LATENCY_WINDOWS) {
      this.double();
      k = Math.floor(Math.max(0, atMs) / this.windowMs);
    }
    const window = this.windows[k] ?? { histogram: new LatencyHistogram(), commits: 0 };
    this.windows[k] = window;
    window.histogram.recordMs(latencyMs);
    window.commits++;
  }

  /** Windows twice as long: each new one is the old pair merged (HDR histograms add exactly). */
  private double(): void {
    const merged: typeof this.windows = [];
    this.windows.forEach((window, k) => {
      if (!window) return;
      const into = merged[Math.floor(k / 2)] ?? { histogram: new LatencyHistogram(), commits: 0 };
      merged[Math.floor(k / 2)] = into;
      into.histogram.add(window.histogram);
      into.commits += window.commits;
    });
    this.windows = merged;
    this.windowMs *= 2;
  }

  summary(): LatencyWindow[] {
    return Array.from(this.windows, (w, k) => {
      const summary = w?.histogram.summary();
      return {
        fromMs: k * this.windowMs,
        toMs: (k + 1) * this.windowMs,
        commits: w?.commits ?? 0,
        p50: summary?.p50 ?? null,
        p99: summary?.p99 ?? null,
      };
    });
  }
}

/** Keeps a point only when TREND_POINT_MS has passed since the last one kept. */
function thin(points: Point[], t: number, value: number): void {
  const last = points.at(-1);
  if (!last || t - last[0] >= TREND_POINT_MS) points.push([t, value]);
}

/** The least-squares line through the points, per minute, with its r²; null when they are too few or too close. */
export function fit(points: Point[]): MemoryTrend | null {
  if (points.length < TREND_MIN_POINTS) return null;
  const spanMs = points.at(-1)![0] - points[0]![0];
  if (spanMs < TREND_MIN_SPAN_MS) return null;
  // Minutes from the first point: slopes come out per minute and stay well-conditioned.
  const t0 = points[0]![0];
  const data = points.map(([t, v]): Point => [(t - t0) / 60_000, v]);
  const line = linearRegression(data);
  const predict = (x: number) => line.m * x + line.b;
  const r2 = rSquared(data, predict);
  return {
    slopeMiBPerMin: Math.round((line.m / MIB) * 1000) / 1000,
    slopeBytesPerMin: Math.round(line.m),
    r2: Number.isFinite(r2) ? Math.round(r2 * 1000) / 1000 : 0,
    points: points.length,
    spanMs,
  };
}
