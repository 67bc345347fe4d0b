/**
 * bench: the same workload against a matrix of receive-side settings (the cartesian product of the --set lists),
 * each combination and repetition on a fresh embedded node started with those settings. Repetitions are
 * interleaved (every combination once, then again, in a rotated order) so that drift on the machine does not
 * favour one setting. Each setting is read back from the node (get_configuration): a key the node does not know
 * is reported as not applied, not compared as if it had been. With --target the user's node is reconfigured for
 * every run and put back as it was at the end (also after Ctrl-C).
 */

import { checkCapture } from '../capture/reader.js';
import { ExitCode, type ExitCodeValue, type HarperReplayError, inputFileError } from '../common/errors.js';
import { formatMs } from '../common/units.js';
import { MetricsBus } from '../events/metrics-bus.js';
import {
  describeVersion,
  readHarperVersion,
  settingAvailabilityNote,
  type VersionKnowledge,
  versionKnowledge,
} from '../harper/harper-versions.js';
import { flattenConfiguration } from '../harper/reconfigure.js';
import { INSECURE_WARNING } from '../net/tls.js';
import {
  type BenchCombination,
  type BenchRun,
  type BenchSetting,
  compare,
} from '../report/bench-analysis.js';
import { formatBenchTable, writeBenchHtml } from '../report/bench-report.js';
import { compareSettings, formatSettingComparisons, type SettingComparison } from '../report/comparison.js';
import { NdjsonSink } from '../report/ndjson-sink.js';
import { PrometheusSink } from '../report/prometheus-sink.js';
import type { RunResult } from '../report/result.js';
import {
  describeSearch,
  formatSearches,
  type SettingSearch,
  writeSearchHtml,
} from '../report/search-report.js';
import type { CaptureIndex } from '../workload/replay-source.js';
import {
  type ProbeWorkload,
  probeWorkload,
  runSearches,
  type SearchOptions,
  searchExitCode,
} from './bench-search.js';
import { interruptible } from './interrupt.js';
import type { LoadRunOptions } from './load-run.js';
import { OwnedTarget } from './owned-target.js';
import { openReplaySource } from './replay-dry-run.js';
import { openReplay, type ReplayRunOptions, runReplay } from './replay-run.js';
import { runSynth, type SynthRunOptions } from './synth-run.js';
import { type ResolvedTarget, targetClient, targetError } from './target.js';

export interface BenchOptions {
  /** What every run shares: the target (--target's node, else the embedded node's base settings), thresholds, … */
  base: LoadRunOptions;
  /** The --set lists: each key with its values. */
  sets: Array<[string, string[]]>;
  repeat: number;
  /** The preset's node settings, under --node-config and each combination on an embedded node. */
  nodeConfig?: Record<string, string>;
  database: string;
  /** Synth's table (on a node of the user's: one per run, `<table>_<run>`, dropped afterwards). */
  table: string;
  workload: SynthRunOptions['workload'];
  /** Replay this capture flat out instead of the synthetic workload. */
  capture?: string;
  /** Each run's events as NDJSON: bench.ndjson → bench-1.ndjson, … */
  samples?: string;
  /** The comparison as charts. */
  html?: string;
  /** Replace output files that exist. */
  force?: boolean;
  /** Push each run's live metrics here (Prometheus remote write). */
  prometheusRw?: string;
  /** --search/--until: a capacity search per combination instead of the comparison (--repeat is not used). */
  search?: SearchOptions;
}

export interface BenchResult {
  combinations: number;
  repeat: number;
  wallMs: number;
  interrupted: boolean;
  /** --target: the user's node that was reconfigured for every run. */
  target?: string;
  /** --target: the original values put back at the end (null = the node's default). */
  restore?: { ok: boolean; settings: Record<string, unknown>; restartMs?: number; error?: string };
  error?: string;
  /** The target's Harper version (read once) and what the tool verified for it; null when no run reached it. */
  harper: VersionKnowledge | null;
  settings: BenchSetting[];
  /** Each setting against the first: deltas and, with repetitions, a bootstrap CI of the median difference. */
  significance: SettingComparison[];
  runs: BenchRun[];
  /** --until: what marks a probe of the capacity search as failed. */
  until?: string;
  /** --search: per combination, the largest value that passed, the smallest that failed, and every probe. */
  search?: SettingSearch[];
}

export interface BenchOutcome {
  result: BenchResult;
  /** The comparison table (stdout). */
  table: string;
  /** `run N: <expression>` of every breached threshold. */
  breaches: string[];
  exitCode: ExitCodeValue;
}

/** bench.ndjson → bench-3.ndjson for run 3 (a name without an extension gets `-3` at its end). */
export function runSamplesPath(path: string, run: number): string {
  const match = /^(.*[^/\\])(\.[^./\\]+)$/.exec(path);
  return match ? `${match[1]}-${run}${match[2]}` : `${path}-${run}`;
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
  const repeated = values.find((value, i) => values.indexOf(value) !== i);
  // The same value twice would be the same run twice under two names: --repeat is for that.
  if (repeated !== undefined)
    throw new Error(`--set "${text}" names ${repeated} twice; use --repeat to run a setting again`);
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

/** `run N: <expression>` for every threshold a run breached. */
export function thresholdBreaches(runs: BenchRun[]): string[] {
  return runs.flatMap((run, i) =>
    run.result.thresholds.filter((t) => t.ok === false).map((t) => `run ${i + 1}: ${t.expression}`),
  );
}

/** Ctrl-C, then a failure of the node (reconfigure, restore), then a failed run, then a breach. */
export function benchExitCode(outcome: {
  interrupted: boolean;
  /** Interrupted by SIGHUP (the terminal closed): 129 instead of 130. */
  hangup?: boolean;
  failure?: HarperReplayError;
  runs: BenchRun[];
  breaches: string[];
}): ExitCodeValue {
  if (outcome.interrupted) return outcome.hangup ? ExitCode.HANGUP : ExitCode.INTERRUPTED;
  if (outcome.failure) return outcome.failure.exitCode;
  if (outcome.runs.some((run) => run.result.outcome === 'failed')) return ExitCode.ERROR;
  return outcome.breaches.length ? ExitCode.THRESHOLD_BREACHED : ExitCode.OK;
}

/** `KEY=v KEY2=v2` (null: the node's default). */
export function describeSettings(set: Record<string, unknown>, unset = 'null'): string {
  return Object.entries(set)
    .map(([k, v]) => `${k}=${v === null ? unset : v}`)
    .join(' ');
}

/** One line per run for the log: its outcome, peak RSS, pauses and throughput. */
export function describeRun(result: RunResult): string {
  const rss = result.memory.peakRss === null ? '–' : `${(result.memory.peakRss / 2 ** 20).toFixed(0)} MiB`;
  return `${result.outcome}: peak RSS ${rss}, ${result.pauses.count} pauses (${formatMs(result.pauses.totalMs)}), ${result.timing.commitRecordsPerSec ?? '–'} records/s`;
}

/** How bench replays --capture: flat out, once, from the first frame, new versions, the captured origins. */
const BENCH_REPLAY = {
  speed: Number.POSITIVE_INFINITY,
  speedLabel: 'max',
  loops: 1,
  fromFrame: 0,
  retime: true,
  origin: 'capture',
} as const satisfies ReplayRunOptions['replay'];

interface Bench {
  options: BenchOptions;
  /** --capture's one pass over the file, made by the check before any node and reused by every run. */
  captureIndex?: CaptureIndex;
  combinations: BenchCombination[];
  owned?: OwnedTarget;
  log: (message: string) => void;
  runs: BenchRun[];
  failure?: HarperReplayError;
  harper?: VersionKnowledge;
  /** --search: each combination's search. */
  searches?: SettingSearch[];
}

/**
 * The whole bench: every combination and repetition in schedule order, the node of the user's (if any)
 * reconfigured before each run and restored at the end, the comparison, --html, and the exit code. Rejects with a
 * HarperReplayError (its exit code) only when --target cannot be read before anything ran.
 */
export async function runBench(
  options: BenchOptions,
  log: (message: string) => void = (message) => process.stderr.write(`${message}\n`),
): Promise<BenchOutcome> {
  if (options.base.target.tls?.insecure) log(`warning: ${INSECURE_WARNING}`);
  const bench: Bench = { options, combinations: matrix(options.sets), log, runs: [] };
  // A capture that is not one (missing, a directory, not a capture, damaged) fails with the bad-input exit code
  // before any node is started or reconfigured; its index serves every run.
  if (options.capture) {
    const checked = await openReplaySource(options.capture, BENCH_REPLAY);
    // The index defers data frames' checksums to their send: the bench checks them all before its first run.
    await checkCapture(options.capture).catch(async (error: unknown) => {
      await checked.close();
      throw inputFileError(error, options.capture!);
    });
    bench.captureIndex = checked.index;
    await checked.close();
  }
  bench.owned = await openOwnedTarget(options);
  const started = Date.now();
  let interrupted = false;
  let hangup = false;
  await interruptible(
    (signal) => (options.search ? searchAll(bench, options.search, signal) : runAll(bench, signal)),
    (signal) => {
      interrupted = true;
      hangup = signal === 'SIGHUP';
      log(
        `interrupted: stopping the current run${bench.owned ? '' : ' and its node'}; writing what was measured`,
      );
    },
  );
  const restore = bench.owned ? await restoreTarget(bench, bench.owned) : undefined;
  const wallMs = Date.now() - started;
  const { settings, significance, table } = await benchOutputs(bench, wallMs, interrupted);
  // A search's failing probes are what it looks for: only the searches' own failures set its exit code.
  const breaches = options.search ? [] : thresholdBreaches(bench.runs);
  const { failure, owned, runs } = bench;
  const benchCode = benchExitCode({
    interrupted,
    hangup,
    failure,
    runs: options.search ? [] : runs,
    breaches,
  });
  const searchCode =
    benchCode === ExitCode.OK && bench.searches ? searchExitCode(bench.searches) : ExitCode.OK;
  const error = failure?.message ?? (searchCode ? searchFailure(bench.searches ?? []) : undefined);
  return {
    result: {
      combinations: bench.combinations.length,
      repeat: options.repeat,
      wallMs,
      interrupted,
      ...(owned ? { target: owned.client.url } : {}),
      ...(restore ? { restore } : {}),
      ...(error ? { error } : {}),
      harper: bench.harper ?? null,
      settings,
      significance,
      runs,
      ...(options.search ? { until: options.search.until, search: bench.searches ?? [] } : {}),
    },
    table,
    breaches,
    exitCode: searchCode ? (searchCode as ExitCodeValue) : benchCode,
  };
}

/** Why searches ended without an answer: each incomplete one's line. */
function searchFailure(searches: SettingSearch[]): string {
  return searches
    .filter((search) => search.confidence === 'incomplete')
    .map((search) => `search ${describeSearch(search)}`)
    .join('; ');
}

/** The comparison (or the searches' lines), its text and --html. */
async function benchOutputs(
  bench: Bench,
  wallMs: number,
  interrupted: boolean,
): Promise<{ settings: BenchSetting[]; significance: SettingComparison[]; table: string }> {
  const { options, log } = bench;
  if (options.search) {
    const text = `${formatSearches(bench.searches ?? [], options.search.until, wallMs)}${interrupted ? '\nINTERRUPTED: partial results' : ''}`;
    if (options.html) {
      await writeSearchHtml(options.html, bench.searches ?? [], text, options.force ?? false);
      log(`HTML report written to ${options.html}`);
    }
    return { settings: [], significance: [], table: text };
  }
  const settings = compare(bench.combinations, bench.runs);
  const significance = compareSettings(bench.combinations, bench.runs);
  const table = [
    formatBenchTable(settings, wallMs, interrupted, bench.harper && benchTargetNotes(bench.harper)),
    formatSettingComparisons(significance),
  ]
    .filter(Boolean)
    .join('\n');
  if (options.html) {
    await writeBenchHtml(options.html, settings, table, options.force ?? false);
    log(`HTML report written to ${options.html}`);
  }
  return { settings, significance, table };
}

/** --search: every combination's capacity search, each probe one of bench's runs. */
async function searchAll(bench: Bench, search: SearchOptions, signal: AbortSignal): Promise<void> {
  bench.searches = await runSearches(
    {
      combinations: bench.combinations,
      search,
      log: bench.log,
      runProbe: async (i, combination, value, probeSignal) => {
        const { workload, base } = bench.options;
        const probe = probeWorkload(search, workload, base.rate, value);
        const run = await runOne(bench, i, { combination, repetition: i }, probeSignal, probe);
        if (run) {
          bench.runs.push(run);
          bench.log(`      ${describeRun(run.result)}`);
        }
        return run;
      },
    },
    signal,
  );
}

function benchTargetNotes(harper: VersionKnowledge) {
  return {
    targetLine: `target: ${describeVersion(harper)}`,
    keyNote: (key: string) => settingAvailabilityNote(key, harper),
  };
}

async function openOwnedTarget(options: BenchOptions): Promise<OwnedTarget | undefined> {
  const { target } = options.base;
  if (!target.url) return undefined;
  try {
    return await OwnedTarget.open(
      targetClient({ ...target, url: target.url }),
      options.sets.map(([key]) => key),
    );
  } catch (error) {
    throw targetError(error);
  }
}

async function runAll(bench: Bench, signal: AbortSignal): Promise<void> {
  const order = schedule(bench.combinations.length, bench.options.repeat);
  for (const [i, step] of order.entries()) {
    if (signal.aborted) break;
    bench.log(
      `[${i + 1}/${order.length}] combination ${step.combination + 1} of ${bench.combinations.length} (${describeSettings(
        bench.combinations[step.combination]!.set,
      )}), repetition ${step.repetition + 1} of ${bench.options.repeat}`,
    );
    const run = await runOne(bench, i, step, signal);
    if (!run) break;
    bench.runs.push(run);
    bench.log(`      ${describeRun(run.result)}`);
    if (run.result.outcome === 'interrupted') break;
  }
}

/** Run `i` of the schedule; undefined when the node could not be reconfigured (the bench stops). */
async function runOne(
  bench: Bench,
  i: number,
  { combination, repetition }: { combination: number; repetition: number },
  signal: AbortSignal,
  probe?: ProbeWorkload,
): Promise<BenchRun | undefined> {
  const { options, owned, log } = bench;
  const set = bench.combinations[combination]!.set;
  let applied: Record<string, boolean> = Object.fromEntries(Object.keys(set).map((k) => [k, false]));
  let restartMs: number | undefined;
  if (owned) {
    log(`      reconfiguring ${owned.client.url} and restarting it`);
    try {
      restartMs = await owned.apply(set, signal);
    } catch (error) {
      if (signal.aborted) return undefined;
      bench.failure = targetError(error);
      log(`      ${bench.failure.message}`);
      return undefined;
    }
  }
  // A node of the user's keeps its data: every synth run gets its own table, dropped afterwards.
  const table = owned ? `${options.table}_${i + 1}` : options.table;
  const bus = new MetricsBus();
  const run: LoadRunOptions = {
    ...options.base,
    target: owned
      ? options.base.target
      : {
          embedded: {
            config: { ...options.nodeConfig, ...options.base.target.embedded?.config, ...set },
            threads: options.base.target.embedded?.threads,
          },
        },
    signal,
    bus,
    log: (message: string) => log(`      ${message}`),
    onTarget: async (target: ResolvedTarget) => {
      applied = await readApplied(target, set).catch(() => applied);
      bench.harper ??= versionKnowledge(await readHarperVersion(target.client));
    },
  };
  const samples = options.samples
    ? new NdjsonSink(runSamplesPath(options.samples, i + 1), options.force ?? false)
    : undefined;
  if (samples) bus.subscribe(samples.sink);
  const prometheus = options.prometheusRw
    ? new PrometheusSink(options.prometheusRw, { warn: (message) => log(`      warning: ${message}`) })
    : undefined;
  if (prometheus) bus.subscribe(prometheus.sink);
  const result = await runWorkload(
    probe ? { ...options, workload: probe.workload } : options,
    probe ? { ...run, rate: probe.rate } : run,
    table,
    bench.captureIndex,
  );
  if (prometheus) result.prometheus = await prometheus.close();
  if (samples) {
    await samples
      .close()
      .then(() => log(`      samples written to ${samples.path}`))
      .catch((error: Error) => log(`      warning: ${error.message}`));
  }
  if (owned && !options.capture) {
    await owned.client
      .dropTable(options.database, table)
      .catch((error: Error) => log(`      could not drop ${options.database}.${table}: ${error.message}`));
  }
  return {
    combination,
    repetition,
    applied,
    ...(restartMs === undefined ? {} : { restartMs }),
    ...(samples ? { samples: samples.path } : {}),
    result,
  };
}

/** One run of the bench's workload: the capture replayed flat out, or the synthetic one into `table`. */
async function runWorkload(
  options: BenchOptions,
  run: LoadRunOptions,
  table: string,
  captureIndex: CaptureIndex | undefined,
): Promise<RunResult> {
  if (!options.capture) return runSynth({ ...run, table, workload: options.workload });
  return runReplay(
    { ...run, capture: options.capture, replay: BENCH_REPLAY },
    await openReplay(options.capture, BENCH_REPLAY, captureIndex),
  );
}

/** Puts the user's node back as it was; a failure to do so is the bench's failure (unless one came first). */
async function restoreTarget(bench: Bench, owned: OwnedTarget): Promise<BenchResult['restore']> {
  try {
    const restored = await owned.restore();
    if (!restored) return undefined;
    bench.log(
      `restored ${owned.client.url}: ${describeSettings(restored.restored, '(its default)')}, restarted in ${formatMs(restored.restartMs)}`,
    );
    return { ok: true, settings: restored.restored, restartMs: restored.restartMs };
  } catch (error) {
    const failure = targetError(error);
    bench.log(
      `could not restore ${owned.client.url} (${failure.message}); set back by hand: ${describeSettings(owned.original)}`,
    );
    bench.failure ??= failure;
    return { ok: false, settings: owned.original, error: failure.message };
  }
}
