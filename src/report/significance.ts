/**
 * Is a difference between two sets of repeated runs more than noise? A percentile bootstrap confidence interval of
 * the difference of medians: resample each side with replacement, take median(run) − median(baseline), repeat, and
 * read the interval off the quantiles. Medians because a single run hit by a GC or a noisy neighbour should not
 * move the answer; a bootstrap because it assumes no distribution. Seeded, so the same samples always give the same
 * interval. Zero outside the interval: a significant difference; inside: "no significant difference" (a result).
 */
import { median, quantile, sampleWithReplacement } from 'simple-statistics';
import { prng } from '../workload/deterministic.js';

export const BOOTSTRAP_METHOD = 'bootstrap percentile CI of the difference of medians';

export interface Significance {
  method: typeof BOOTSTRAP_METHOD;
  /** e.g. 0.95 for a 95 % interval. */
  confidence: number;
  resamples: number;
  seed: number;
  runs: number;
  baselines: number;
  /** median(run) − median(baseline). */
  medianDifference: number;
  /** The interval of the difference (same unit as the metric). */
  low: number;
  high: number;
  /** true: the interval excludes 0. */
  significant: boolean;
}

export interface BootstrapOptions {
  resamples?: number;
  seed?: number;
  confidence?: number;
}

/** Fewer repetitions than this on either side: no interval (a median of one run says nothing about noise). */
export const MIN_REPETITIONS = 2;

/** The workload's mulberry32 scaled to [0, 1), so every interval is reproducible. */
export function seededRandom(seed: number): () => number {
  const next = prng(seed);
  return () => next() / 4294967296;
}

/** The interval, or null when a side has fewer than MIN_REPETITIONS values. */
export function bootstrapMedianDifference(
  run: readonly number[],
  baseline: readonly number[],
  options: BootstrapOptions = {},
): Significance | null {
  if (run.length < MIN_REPETITIONS || baseline.length < MIN_REPETITIONS) return null;
  const resamples = options.resamples ?? 10_000;
  const seed = options.seed ?? 1;
  const confidence = options.confidence ?? 0.95;
  const random = seededRandom(seed);
  const differences: number[] = new Array(resamples);
  for (let i = 0; i < resamples; i++) {
    differences[i] =
      median(sampleWithReplacement([...run], run.length, random)) -
      median(sampleWithReplacement([...baseline], baseline.length, random));
  }
  const tail = (1 - confidence) / 2;
  const low = quantile(differences, tail);
  const high = quantile(differences, 1 - tail);
  return {
    method: BOOTSTRAP_METHOD,
    confidence,
    resamples,
    seed,
    runs: run.length,
    baselines: baseline.length,
    medianDifference: median([...run]) - median([...baseline]),
    low,
    high,
    significant: low > 0 || high < 0,
  };
}
