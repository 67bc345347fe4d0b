/**
 * bench: the same workload against a matrix of receive-side settings (the cartesian product of the --set lists),
 * each combination and repetition on a fresh embedded node started with those settings. Repetitions are
 * interleaved (every combination once, then again, in a rotated order) so that drift on the machine does not
 * favour one setting. Each setting is read back from the node (get_configuration): a key the node does not know
 * is reported as not applied, not compared as if it had been.
 */
import type { RunResult } from '../report/result.js';
import { flattenConfiguration } from '../target/reconfigure.js';
import type { ResolvedTarget } from './target.js';

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

/** bench.ndjson → bench-3.ndjson for run 3 (a name without an extension gets `-3` at its end). */
export function runSamplesPath(path: string, run: number): string {
  const match = /^(.*[^/\\])(\.[^./\\]+)$/.exec(path);
  return match ? `${match[1]}-${run}${match[2]}` : `${path}-${run}`;
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

/** The cartesian product of the --set lists, e.g. {A: [1, 2], B: [x]} → [{A:1,B:x}, {A:2,B:x}]. */
export function matrix(sets: Array<[string, string[]]>): BenchCombination[] {
  let combos: Array<Record<string, string>> = [{}];
  for (const [key, values] of sets) {
    combos = combos.flatMap((combo) => values.map((value) => ({ ...combo, [key]: value })));
  }
  return combos.map((set) => ({ set }));
}

/** Parses `KEY=v1,v2,…`. */
export function parseSet(text: string): [string, string[]] {
  const index = text.indexOf('=');
  if (index <= 0)
    throw new Error(`--set "${text}" is not KEY=v1,v2 (e.g. REPLICATION_RECORDCONCURRENCY=2,150)`);
  const key = text.slice(0, index).trim().toUpperCase();
  if (!/^[A-Z][A-Z0-9_]*$/.test(key)) throw new Error(`--set "${text}": "${key}" is not a Harper config key`);
  const values = text
    .slice(index + 1)
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
  if (!values.length) throw new Error(`--set "${text}" has no values`);
  return [key, values];
}

/** Run order: repetition by repetition, each one rotating the combinations (no setting always goes first). */
export function schedule(
  combinations: number,
  repeat: number,
): Array<{ combination: number; repetition: number }> {
  const order: Array<{ combination: number; repetition: number }> = [];
  for (let repetition = 0; repetition < repeat; repetition++) {
    for (let i = 0; i < combinations; i++)
      order.push({ combination: (i + repetition) % combinations, repetition });
  }
  return order;
}

/** Whether the node holds each requested value (numbers compared as numbers). */
export function appliedSettings(config: unknown, set: Record<string, string>): Record<string, boolean> {
  const flat = flattenConfiguration(config);
  return Object.fromEntries(
    Object.entries(set).map(([key, wanted]) => {
      const actual = flat[key];
      const ok =
        actual !== undefined &&
        (String(actual) === wanted || (Number.isFinite(Number(wanted)) && Number(actual) === Number(wanted)));
      return [key, ok];
    }),
  );
}

export async function readApplied(
  target: ResolvedTarget,
  set: Record<string, string>,
): Promise<Record<string, boolean>> {
  return appliedSettings(await target.client.getConfiguration(), set);
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
  const present = values.filter((v): v is number => v !== null).sort((a, b) => a - b);
  if (!present.length) return null;
  if (pick === 'min') return present[0]!;
  if (pick === 'max') return present[present.length - 1]!;
  const mid = present.length / 2;
  return present.length % 2 ? present[Math.floor(mid)]! : (present[mid - 1]! + present[mid]!) / 2;
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
