/**
 * The capacity-search fixtures the unit tests share: the plan `--search records-per-frame=10000..300000` gets by
 * default (5 % resolution, two repeats), and bench metrics that are all unmeasured unless given.
 */
import type { BenchMetrics } from '../../src/report/bench-analysis.js';
import type { SearchPlan } from '../../src/workload/capacity-search.js';

/** What bench --search records-per-frame=10000..300000 plans with no other search flag. */
export const DEFAULT_RECORDS_PLAN: Readonly<SearchPlan> = Object.freeze({
  low: 10_000,
  high: 300_000,
  resolution: 14_500,
  integer: true,
  repeat: 2,
  nearBoundary: 2,
  maxErrors: 2,
  maxProbes: 60,
});

export const searchPlan = (overrides: Partial<SearchPlan> = {}): SearchPlan => ({
  ...DEFAULT_RECORDS_PLAN,
  ...overrides,
});

/** Bench metrics, null (not measured) except those given. */
export const benchMetrics = (values: Partial<BenchMetrics> = {}): BenchMetrics => ({
  peakRss: null,
  rssGrowth: null,
  pausesCount: null,
  pausedMs: null,
  targetPauses: null,
  recordsPerSec: null,
  ackP99Ms: null,
  workerDeaths: null,
  ...values,
});
