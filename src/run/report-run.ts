/**
 * `report`: a stored run folded again from its samples file, optionally re-judged with other thresholds and
 * compared with baseline runs (and, with repetitions on both sides, with significance), then the summary, --html
 * and --junit.
 */
import { inputFileError } from '../common/errors.js';
import { compareRuns } from '../report/comparison.js';
import { writeHtmlReport } from '../report/html-report.js';
import { runSuite, writeJunit } from '../report/junit.js';
import { readNdjson } from '../report/ndjson-sink.js';
import { ResultBuilder, type RunResult } from '../report/result.js';
import { type Series, SeriesCollector } from '../report/series.js';
import type { MetricSource } from '../report/thresholds.js';

export interface ReportOptions {
  /** The run's samples file, then its repetitions (if any). */
  runs: string[];
  baselines: string[];
  /** Re-judge with these instead of the run's own thresholds (delta thresholds need baselines). */
  thresholds?: string[];
  html?: string;
  junit?: string;
  force: boolean;
  warn: (message: string) => void;
}

/** One samples file folded as the run folded it; a bad file is a bad input (exit 6) naming its path. */
export async function foldSamples(
  path: string,
  warn: (message: string) => void,
  rejudge?: { thresholds: string[]; baselines: MetricSource[]; repetitions?: MetricSource[] },
): Promise<{ result: RunResult; series: Series }> {
  const builder = new ResultBuilder();
  const series = new SeriesCollector();
  try {
    for await (const event of readNdjson(path, warn)) {
      builder.sink(event);
      series.sink(event);
    }
    return { result: builder.build(rejudge), series: series.series() };
  } catch (error) {
    throw inputFileError(error, path);
  }
}

/** The result of the first run file (with the comparison), its HTML and JUnit files written. */
export async function runReport(options: ReportOptions): Promise<RunResult> {
  const baselines: RunResult[] = [];
  for (const path of options.baselines) baselines.push((await foldSamples(path, options.warn)).result);
  const [first, ...repetitions] = options.runs;
  const others: RunResult[] = [];
  for (const path of repetitions) others.push((await foldSamples(path, options.warn)).result);
  // A delta threshold judges the runs' median against the baselines' median; the others judge the first run.
  const rejudge = options.thresholds?.length
    ? { thresholds: options.thresholds, baselines, repetitions: others }
    : undefined;
  const { result, series } = await foldSamples(first!, options.warn, rejudge);
  if (baselines.length) {
    result.comparison = compareRuns([result, ...others], baselines, {
      runFiles: options.runs,
      baselineFiles: options.baselines,
    });
  }
  if (options.html) await writeHtmlReport(options.html, result, series, options.force);
  if (options.junit) {
    await writeJunit(options.junit, [runSuite(`report ${first}`, result.thresholds)], options.force);
  }
  return result;
}
