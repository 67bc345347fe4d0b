/**
 * A run (or several repetitions of it) against a baseline (one run or several): every threshold metric side by
 * side, the change (absolute and %), and with repetitions on both sides whether the change is more than noise
 * (significance.ts). Pure: folds finished results; `report --baseline` prints, --json's and --html's it.
 */
import { formatBytes, formatMs } from '../common/units.js';
import { bootstrapMedianDifference, MIN_REPETITIONS, type Significance } from './significance.js';
import { baselineValue, deltaOf, METRICS, type MetricSource, type MetricUnit } from './thresholds.js';

export interface MetricComparison {
  metric: string;
  unit: MetricUnit;
  /** The run's value (the median over its repetitions). */
  run: number | null;
  /** The baseline's value (the median over the baseline runs). */
  baseline: number | null;
  /** run − baseline, in the metric's unit. */
  delta: number | null;
  /** The change in % of the baseline (null when the baseline is 0 or missing). */
  deltaPct: number | null;
  /** With repetitions on both sides: the interval of the difference, else null. */
  significance: Significance | null;
  /** One line: the change and whether it exceeds the noise, in the metric's unit. */
  statement: string;
}

export interface Comparison {
  /** The files compared (the run's first). */
  runFiles: string[];
  baselineFiles: string[];
  /** How significance was judged (or why it was not). */
  method: string;
  metrics: MetricComparison[];
}

/** A value in the metric's own unit, for people. */
export function formatMetric(value: number | null, unit: MetricUnit, signed = false): string {
  if (value === null) return '–';
  const sign = signed && value > 0 ? '+' : signed && value < 0 ? '−' : '';
  const magnitude = Math.abs(value);
  if (unit === 'bytes') return `${sign}${formatBytes(magnitude)}`;
  if (unit === 'ms') return `${sign}${formatMs(magnitude)}`;
  if (unit === 'percent') return `${sign}${magnitude.toFixed(1)} %`;
  const rounded = Number.isInteger(magnitude) ? magnitude : Number(magnitude.toFixed(2));
  return `${sign}${rounded.toLocaleString('en-US')}${unit === 'rate' ? '/s' : ''}`;
}

function statement(
  metric: string,
  delta: number | null,
  unit: MetricUnit,
  significance: Significance | null,
): string {
  if (delta === null) return `${metric}: no value on one side`;
  const change =
    delta === 0 ? 'unchanged' : `${delta > 0 ? 'up' : 'down'} ${formatMetric(Math.abs(delta), unit)}`;
  if (!significance) return `${metric} ${change} (one run a side: significance not judged)`;
  const ci = `${Math.round(significance.confidence * 100)} % CI ${formatMetric(significance.low, unit, true)} to ${formatMetric(significance.high, unit, true)}`;
  return significance.significant
    ? `${metric} ${change}: significant (${ci})`
    : `${metric} ${change}: no significant difference (${ci})`;
}

/** Every threshold metric of `runs` against `baselines`, in METRICS order. */
export function compareRuns(
  runs: MetricSource[],
  baselines: MetricSource[],
  files: { runFiles: string[]; baselineFiles: string[] },
  seed = 1,
): Comparison {
  const metrics = Object.entries(METRICS).map(([metric, definition]): MetricComparison => {
    const run = baselineValue(runs, definition.read);
    const baseline = baselineValue(baselines, definition.read);
    const present = (sources: MetricSource[]) =>
      sources.map(definition.read).filter((v): v is number => v !== null);
    const significance = bootstrapMedianDifference(present(runs), present(baselines), { seed });
    const delta = deltaOf(run, baseline, 'absolute');
    return {
      metric,
      unit: definition.unit,
      run,
      baseline,
      delta,
      deltaPct: deltaOf(run, baseline, 'percent'),
      significance,
      statement: statement(metric, delta, definition.unit, significance),
    };
  });
  const repeated = runs.length >= MIN_REPETITIONS && baselines.length >= MIN_REPETITIONS;
  return {
    ...files,
    method: repeated
      ? `${metrics.find((m) => m.significance)?.significance?.method ?? 'bootstrap'} (95 %, 10000 resamples, seed ${seed}; ${runs.length} runs vs ${baselines.length} baseline runs)`
      : `not judged: significance needs at least ${MIN_REPETITIONS} runs on each side (${runs.length} vs ${baselines.length})`,
    metrics,
  };
}

/** The side-by-side table and the significance lines, for the text summary and the HTML page. */
export function formatComparison(comparison: Comparison): string {
  const rows = comparison.metrics.filter((m) => m.run !== null || m.baseline !== null);
  const header = ['metric', 'run', 'baseline', 'delta', 'delta %'];
  const cells = rows.map((m) => [
    m.metric,
    formatMetric(m.run, m.unit),
    formatMetric(m.baseline, m.unit),
    formatMetric(m.delta, m.unit, true),
    m.deltaPct === null ? '–' : `${m.deltaPct > 0 ? '+' : ''}${m.deltaPct.toFixed(1)} %`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i]!.length)));
  const line = (row: string[]) =>
    row
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const judged = rows.filter((m) => m.significance && m.delta !== 0);
  return [
    `Compared with the baseline (${comparison.baselineFiles.join(', ')}):`,
    `  ${line(header)}`,
    ...cells.map((row) => `  ${line(row)}`),
    `Significance: ${comparison.method}`,
    ...judged.map((m) => `  ${m.statement}`),
  ].join('\n');
}

/** bench: each setting against the first one (the baseline setting), over their repetitions. */
export interface SettingComparison {
  set: Record<string, string>;
  against: Record<string, string>;
  comparison: Comparison;
}

/** The metrics bench's table shows, by their threshold names. */
const BENCH_METRICS = [
  'peakRss',
  'rssGrowth',
  'pauses',
  'pausedMs',
  'recordsPerSec',
  'ackP99',
  'workerDeaths',
];

/** A bench run as compared here (bench-analysis's BenchRun; not imported: that module imports the result's). */
interface ComparedRun {
  combination: number;
  samples?: string;
  result: MetricSource;
}

export function compareSettings(
  settings: Array<{ set: Record<string, string> }>,
  runs: ComparedRun[],
): SettingComparison[] {
  const of = (index: number) => runs.filter((run) => run.combination === index);
  const baseline = of(0);
  return settings.slice(1).map((setting, i) => {
    const mine = of(i + 1);
    const comparison = compareRuns(
      mine.map((run) => run.result),
      baseline.map((run) => run.result),
      {
        runFiles: mine.flatMap((run) => (run.samples ? [run.samples] : [])),
        baselineFiles: baseline.flatMap((run) => (run.samples ? [run.samples] : [])),
      },
    );
    comparison.metrics = comparison.metrics.filter((m) => BENCH_METRICS.includes(m.metric));
    return { set: setting.set, against: settings[0]!.set, comparison };
  });
}

/** Under bench's table: for each setting, what changed against the first and whether it is more than noise. */
export function formatSettingComparisons(comparisons: SettingComparison[]): string {
  const label = (set: Record<string, string>) =>
    Object.entries(set)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
  return comparisons
    .map(({ set, against, comparison }) =>
      [
        `${label(set)} against ${label(against)} — ${comparison.method}:`,
        ...comparison.metrics.filter((m) => m.delta !== null && m.delta !== 0).map((m) => `  ${m.statement}`),
      ].join('\n'),
    )
    .join('\n');
}
