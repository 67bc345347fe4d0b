/**
 * bench's comparison, pure: per combination of settings, the medians, ranges and spread of the compared metrics
 * over its repetitions, and which combination is best for each.
 */
import { median } from '../common/stats.js';
import type { RunResult } from './result.js';

export interface BenchCombination {
  /** KEY=value pairs of this combination. */
  set: Record<string, string>;
}

export interface BenchRun {
  combination: number;
  repetition: number;
  applied: Record<string, boolean>;
  /** --target: how long the reconfiguring restart before this run took. */
  restartMs?: number;
  /** --samples: this run's NDJSON file. */
  samples?: string;
  result: RunResult;
}

export interface BenchMetrics {
  peakRss: number | null;
  /** Peak over the node's RSS before the load: fairer than the peak across thread counts. */
  rssGrowth: number | null;
  pausesCount: number | null;
  pausedMs: number | null;
  /** The node's own pause lines (debug-level log in 4.7.29); null when its log level hides them. */
  targetPauses: number | null;
  recordsPerSec: number | null;
  ackP99Ms: number | null;
  workerDeaths: number | null;
}

export type MetricName = keyof BenchMetrics;

/** Which way is better for each compared metric. */
export const BETTER: Record<MetricName, 'lower' | 'higher'> = {
  peakRss: 'lower',
  rssGrowth: 'lower',
  pausesCount: 'lower',
  pausedMs: 'lower',
  targetPauses: 'lower',
  recordsPerSec: 'higher',
  ackP99Ms: 'lower',
  workerDeaths: 'lower',
};

export interface BenchSetting {
  set: Record<string, string>;
  /** Whether the node took each key (all repetitions agree, or false). */
  applied: Record<string, boolean>;
  runs: number;
  median: BenchMetrics;
  min: BenchMetrics;
  max: BenchMetrics;
  /** (max − min) / median per metric: how noisy the repetitions were. */
  spread: Record<MetricName, number | null>;
  /** Metrics where this combination is the best. */
  best: MetricName[];
}

export function metricsOf(result: RunResult): BenchMetrics {
  return {
    peakRss: result.memory.peakRss,
    rssGrowth: result.memory.growthRss,
    pausesCount: result.pauses.count,
    pausedMs: result.pauses.totalMs,
    targetPauses: result.pauses.targetLogged,
    recordsPerSec: result.timing.commitRecordsPerSec,
    ackP99Ms: result.committed.ackLatencyMs.p99,
    workerDeaths: result.workers.deaths,
  };
}

const NAMES = Object.keys(BETTER) as MetricName[];

function stat(values: Array<number | null>, pick: 'median' | 'min' | 'max'): number | null {
  const present = values.filter((v): v is number => v !== null);
  if (!present.length) return null;
  if (pick === 'min') return Math.min(...present);
  if (pick === 'max') return Math.max(...present);
  return median(present) ?? null;
}

/** Medians, ranges, spread and the best combination per metric. */
export function compare(combinations: BenchCombination[], runs: BenchRun[]): BenchSetting[] {
  const settings: BenchSetting[] = combinations.map((combination, index) => {
    const mine = runs.filter((run) => run.combination === index);
    const metrics = mine.map((run) => metricsOf(run.result));
    const summarize = (pick: 'median' | 'min' | 'max') =>
      Object.fromEntries(
        NAMES.map((name) => [
          name,
          stat(
            metrics.map((m) => m[name]),
            pick,
          ),
        ]),
      ) as unknown as BenchMetrics;
    const median = summarize('median');
    const min = summarize('min');
    const max = summarize('max');
    const applied = Object.fromEntries(
      Object.keys(combination.set).map((key) => [
        key,
        mine.length > 0 && mine.every((run) => run.applied[key] === true),
      ]),
    );
    const spread = Object.fromEntries(
      NAMES.map((name) => {
        const m = median[name];
        return [
          name,
          m === null || max[name] === null || min[name] === null || m === 0
            ? null
            : (max[name]! - min[name]!) / m,
        ];
      }),
    ) as Record<MetricName, number | null>;
    return { set: combination.set, applied, runs: mine.length, median, min, max, spread, best: [] };
  });
  for (const name of NAMES) {
    const candidates = settings.filter((s) => s.median[name] !== null);
    if (candidates.length < 2) continue;
    const values = candidates.map((s) => s.median[name]!);
    const target = BETTER[name] === 'lower' ? Math.min(...values) : Math.max(...values);
    if (values.every((v) => v === target)) continue;
    for (const setting of candidates) if (setting.median[name] === target) setting.best.push(name);
  }
  return settings;
}
