/**
 * bench --search: one capacity search per --set combination, each probe one synth run on a fresh node (bench's own
 * run), the searches' probes interleaved round-robin so that drift on the machine does not favour one setting.
 * The bisection itself is workload/capacity-search.ts; the probe's outcome is report/search-until.ts.
 */
import { ExitCode } from '../common/errors.js';
import { framesPerSecond, type Rate } from '../common/rates.js';
import { formatMs } from '../common/units.js';
import { type BenchCombination, type BenchRun, metricsOf } from '../report/bench-analysis.js';
import type { RunResult } from '../report/result.js';
import {
  describeSearch,
  type SearchProbeRecord,
  type SettingSearch,
  settingLabel,
} from '../report/search-report.js';
import { judgeProbe, parseUntil } from '../report/search-until.js';
import {
  conclude,
  expectedProbes,
  formatSearchValue,
  nextStep,
  type SearchPlan,
  type SearchRange,
} from '../workload/capacity-search.js';
import type { SynthRunOptions } from './synth-run.js';

export interface SearchOptions {
  range: SearchRange;
  plan: SearchPlan;
  /** --until: the terms joined by ||. */
  until: string;
  /** --rate as given (records/s convert through each probe's records per frame). */
  pace?: Rate;
}

/** What a probe changes in bench's run: the workload's searched field, and the sender's frames per second. */
export interface ProbeWorkload {
  workload: SynthRunOptions['workload'];
  rate?: number;
}

/** The workload and rate of a probe at `value`. */
export function probeWorkload(
  search: SearchOptions,
  workload: SynthRunOptions['workload'],
  baseRate: number | undefined,
  value: number,
): ProbeWorkload {
  const { key, unit } = search.range;
  const probed = {
    ...workload,
    ...(key === 'records-per-frame' ? { recordsPerFrame: value } : {}),
    ...(key === 'blob-size' ? { blobSize: value } : {}),
    ...(key === 'record-size' ? { recordSize: value } : {}),
  };
  const rate: Rate | undefined = key === 'rate' ? { perSecond: value, unit: unit ?? 'fps' } : search.pace;
  return { workload: probed, rate: rate ? framesPerSecond(rate, probed.recordsPerFrame) : baseRate };
}

/** Exit codes of a run that never reached its target. */
const NOT_REACHED = new Set<number>([ExitCode.UNREACHABLE, ExitCode.AUTH_FAILED, ExitCode.TLS_FAILED]);

export interface SearchDriver {
  combinations: BenchCombination[];
  search: SearchOptions;
  log: (message: string) => void;
  /** Runs probe `run` (0-based, over all searches) of `combination` at `value`; undefined: the bench stops. */
  runProbe(
    run: number,
    combination: number,
    value: number,
    signal: AbortSignal,
  ): Promise<BenchRun | undefined>;
}

/** Every combination's search, probe by probe round-robin, until each is done or the bench is stopped. */
export async function runSearches(driver: SearchDriver, signal: AbortSignal): Promise<SettingSearch[]> {
  const { combinations, search } = driver;
  const terms = parseUntil(search.until);
  const searches: SettingSearch[] = combinations.map(({ set }) => ({
    setting: set,
    key: search.range.key,
    ...(search.range.unit ? { unit: search.range.unit } : {}),
    low: search.range.low,
    high: search.range.high,
    resolution: search.plan.resolution,
    largestPass: null,
    smallestFail: null,
    confidence: 'incomplete',
    confidenceText: 'incomplete: not started',
    resolved: false,
    probes: [],
  }));
  const open = new Set(searches.keys());
  let run = 0;
  while (open.size && !signal.aborted) {
    for (const index of [...open]) {
      const current = searches[index]!;
      const step = nextStep(search.plan, current.probes);
      if (step.kind === 'done') {
        Object.assign(current, step.conclusion);
        open.delete(index);
        driver.log(`search ${describeSearch(current)}`);
        continue;
      }
      driver.log(
        `[probe ${run + 1}] ${settingLabel(current.setting)}: ${search.range.key}=${formatSearchValue(search.range, step.value)} (${step.why}; probe ${current.probes.length + 1} of this search, ~${expectedProbes(search.plan)} without repeats)`,
      );
      const started = Date.now();
      const probed = await driver.runProbe(run, index, step.value, signal);
      if (!probed || probed.result.outcome === 'interrupted' || signal.aborted)
        return stopped(search.plan, searches, open);
      run++;
      const record = probeRecord(terms, probed.result, step, Date.now() - started, run);
      current.probes.push(record);
      driver.log(`      ${record.outcome}: ${record.reason} (${formatMs(record.durationMs)})`);
    }
  }
  return signal.aborted ? stopped(search.plan, searches, open) : searches;
}

function probeRecord(
  terms: ReturnType<typeof parseUntil>,
  result: RunResult,
  step: { value: number; why: SearchProbeRecord['why'] },
  durationMs: number,
  run: number,
): SearchProbeRecord {
  const judged = judgeProbe(terms, result, !NOT_REACHED.has(result.exitCode));
  return {
    value: step.value,
    outcome: judged.outcome,
    why: step.why,
    exitCode: result.exitCode,
    reason: judged.reason,
    until: judged.terms,
    metrics: { ...metricsOf(result), oomEvents: result.workers.oomEvents },
    durationMs,
    run,
  };
}

/** Searches cut short (Ctrl-C): what the probes of those not done concluded so far, marked incomplete. */
function stopped(plan: SearchPlan, searches: SettingSearch[], open: Set<number>): SettingSearch[] {
  return searches.map((search, index) =>
    open.has(index) ? { ...search, ...conclude(plan, search.probes, 'interrupted') } : search,
  );
}

/** The bench's exit code for its searches: 0 once they concluded, failing probes and all (they are the point). */
export function searchExitCode(searches: SettingSearch[]): number {
  const errors = searches
    .filter((search) => search.confidence === 'incomplete')
    .flatMap((search) => search.probes.filter((probe) => probe.outcome === 'error'));
  if (!errors.length) return ExitCode.OK;
  const last = errors.at(-1)!.exitCode;
  return NOT_REACHED.has(last) ? last : ExitCode.ERROR;
}
