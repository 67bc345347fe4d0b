/**
 * `--junit FILE`: the thresholds as JUnit XML for CI systems, one test case per threshold (bench: per setting and
 * threshold, a failure when any repetition breached it). A failure carries the measured value; a threshold that
 * was not evaluated (the run never reached its target) is an error, not a pass. Built with junit-report-builder,
 * written atomically (output-files.ts).
 */
import junitBuilder, { type Builder } from 'junit-report-builder';
import { writeFileAtomic } from '../common/output-files.js';
import type { BenchRun, BenchSetting } from './bench-analysis.js';
import { formatMetric } from './comparison.js';
import { METRICS, type ThresholdVerdict } from './thresholds.js';

/** One suite: a run (or a bench setting) and the verdicts of each threshold over its runs. */
export interface JunitSuite {
  name: string;
  /** Per threshold expression, its verdict in each run of the suite (one for a plain run). */
  cases: Array<{ expression: string; verdicts: ThresholdVerdict[] }>;
  properties?: Record<string, string>;
}

/** The value with its unit; a delta threshold's value is a change (signed; % for a percent delta). */
export function describeValue(verdict: ThresholdVerdict): string {
  if (verdict.value === null) return 'no value';
  if (verdict.delta === 'percent') return `${verdict.value > 0 ? '+' : ''}${verdict.value.toFixed(1)} %`;
  return formatMetric(verdict.value, METRICS[verdict.metric]!.unit, verdict.delta === 'absolute');
}

/** The suite of one run (synth, replay, report). */
export function runSuite(name: string, thresholds: ThresholdVerdict[]): JunitSuite {
  return {
    name,
    cases: thresholds.map((verdict) => ({ expression: verdict.expression, verdicts: [verdict] })),
  };
}

/** One suite per bench setting: each threshold over the setting's repetitions. */
export function benchSuites(settings: BenchSetting[], runs: BenchRun[]): JunitSuite[] {
  return settings.map((setting, index) => {
    const mine = runs.filter((run) => run.combination === index);
    const expressions = [...new Set(mine.flatMap((run) => run.result.thresholds.map((t) => t.expression)))];
    const name = Object.entries(setting.set)
      .map(([key, value]) => `${key}=${value}`)
      .join(' ');
    return {
      name: `bench ${name}`,
      cases: expressions.map((expression) => ({
        expression,
        verdicts: mine.flatMap((run) => run.result.thresholds.filter((t) => t.expression === expression)),
      })),
    };
  });
}

/** The XML document. */
export function renderJunit(suites: JunitSuite[], name = 'harper-replay thresholds'): string {
  const builder = (junitBuilder as unknown as Builder).newBuilder().name(name);
  for (const suite of suites) {
    const testSuite = builder.testSuite().name(suite.name);
    for (const [key, value] of Object.entries(suite.properties ?? {})) testSuite.property(key, value);
    for (const { expression, verdicts } of suite.cases) {
      const testCase = testSuite.testCase().className(suite.name).name(expression);
      const measured = verdicts.map(describeValue).join(', ');
      if (!verdicts.length || verdicts.every((v) => v.ok === null)) {
        testCase.error(`${expression}: not evaluated (the run never reached its target)`, 'not-evaluated');
      } else if (verdicts.some((v) => v.ok === false)) {
        const breached = verdicts.filter((v) => v.ok === false).length;
        testCase.failure(
          `${expression} breached${verdicts.length > 1 ? ` in ${breached} of ${verdicts.length} runs` : ''}: measured ${measured}`,
          'threshold-breached',
        );
      } else {
        testCase.standardOutput(`measured ${measured}`);
      }
    }
  }
  return builder.build();
}

/** Writes the document atomically (refusing an existing file unless `force`: checked before the run too). */
export async function writeJunit(path: string, suites: JunitSuite[], force: boolean): Promise<void> {
  await writeFileAtomic(path, renderJunit(suites), force);
}
