/**
 * `report`: a stored run folded again from its samples file, optionally re-judged with other thresholds and
 * compared with baseline runs (and, with repetitions on both sides, with significance), then the summary, --html
 * and --junit.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ExitCode, HarperReplayError, inputFileError } from '../common/errors.js';
import { compareRuns } from '../report/comparison.js';
import { writeHtmlReport } from '../report/html-report.js';
import { runSuite, writeJunit } from '../report/junit.js';
import { checkShards, foldShards, ShardScan } from '../report/merge-shards.js';
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
  /** The RUN files (or directories of *.ndjson) are the shards of one run (--shard): fold them into one result. */
  merge?: boolean;
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
  if (options.merge) return mergeReport(options, baselines);
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

/** The files --merge reads: each file named, and every *.ndjson of each directory named (sorted), so a Kubernetes
 * merge Job can name its results volume without a shell glob. */
export async function mergeInputs(paths: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    const isDirectory = await stat(path).then(
      (s) => s.isDirectory(),
      (error: unknown) => {
        throw inputFileError(error, path);
      },
    );
    if (!isDirectory) {
      files.push(path);
      continue;
    }
    const names = (await readdir(path)).filter((name) => name.endsWith('.ndjson')).sort();
    if (!names.length)
      throw new HarperReplayError(`${path}: no *.ndjson file in this directory`, ExitCode.BAD_INPUT);
    files.push(...names.map((name) => join(path, name)));
  }
  return files;
}

/** --merge: the shards checked, folded into one result (compared with the baselines, if any), HTML and JUnit written. */
async function mergeReport(options: ReportOptions, baselines: RunResult[]): Promise<RunResult> {
  const files = await mergeInputs(options.runs);
  const scans: ShardScan[] = [];
  for (const path of files) {
    const scan = new ShardScan(path);
    try {
      for await (const event of readNdjson(path, options.warn)) scan.sink(event);
    } catch (error) {
      throw inputFileError(error, path);
    }
    scans.push(scan);
  }
  const set = checkShards(scans);
  if (!set.shards.length) {
    throw new HarperReplayError(`no shard to merge: ${set.problems.join('; ')}`, ExitCode.SHARDS_INCOMPLETE);
  }
  const series = new SeriesCollector();
  const result = await foldShards(set, (scan) => readNdjson(scan.path, () => {}), {
    ...(options.thresholds?.length ? { rejudge: { thresholds: options.thresholds, baselines } } : {}),
    onEvent: series.sink,
  });
  if (baselines.length) {
    result.comparison = compareRuns([result], baselines, {
      runFiles: files,
      baselineFiles: options.baselines,
    });
  }
  if (options.html) await writeHtmlReport(options.html, result, series.series(), options.force);
  if (options.junit) {
    await writeJunit(
      options.junit,
      [runSuite(`report --merge ${set.runId}`, result.thresholds)],
      options.force,
    );
  }
  return result;
}
