/**
 * bench --search's --until: the condition that marks a probe as failed, `term || term …`, each term a threshold
 * expression (`oomEvents>0`, `ackP99>10s`) read the other way round: a term that holds is a failure. A probe's
 * outcome: fail when any term holds; pass when every term was measured and none holds; error when the run never
 * reached its target, or failed (or could not be judged) without any term holding — the search cannot tell such
 * a run from the failure it looks for, so it reports it rather than guess.
 */
import type { ProbeOutcome } from '../workload/capacity-search.js';
import { evaluateThresholds, type MetricSource, parseRunThreshold, type Threshold } from './thresholds.js';

/** Parses `EXPR || EXPR …`; throws an Error naming the term that is wrong (a usage error). */
export function parseUntil(expression: string): Threshold[] {
  const terms = expression.split('||').map((term) => term.trim());
  if (terms.some((term) => !term)) throw new Error(`"${expression}" has an empty term around ||`);
  return terms.map(parseRunThreshold);
}

export interface UntilTerm {
  expression: string;
  /** The metric's value in the probe's run (null: not measured). */
  value: number | null;
  /** The term holds (null: not measured). */
  holds: boolean | null;
}

export interface ProbeJudgement {
  outcome: ProbeOutcome;
  terms: UntilTerm[];
  /** Why an error is one; the terms that held for a fail. */
  reason: string;
}

/** A run's outcome as the search sees it: its exit code, its error, and what it measured. */
export type ProbedRun = MetricSource & { exitCode: number; error?: string };

/**
 * The probe's outcome. `reached`: the run reached its target (exit codes 4, 5, 7 say it did not).
 */
export function judgeProbe(terms: Threshold[], run: ProbedRun, reached: boolean): ProbeJudgement {
  if (!reached)
    return { outcome: 'error', terms: terms.map(unmeasured), reason: run.error ?? 'target not reached' };
  const judged = evaluateThresholds(terms, run).map(
    (verdict): UntilTerm => ({
      expression: verdict.expression,
      value: verdict.value,
      holds: verdict.value === null ? null : verdict.ok,
    }),
  );
  const holding = judged.filter((term) => term.holds === true);
  if (holding.length)
    return {
      outcome: 'fail',
      terms: judged,
      reason: holding.map((term) => `${term.expression} (${term.value})`).join(', '),
    };
  const unknown = judged.filter((term) => term.holds === null).map((term) => term.expression);
  if (unknown.length)
    return { outcome: 'error', terms: judged, reason: `not measured, so not judged: ${unknown.join(', ')}` };
  // The run failed, yet not in a way --until names: the search does not count it either way.
  if (run.exitCode !== 0 && run.error)
    return {
      outcome: 'error',
      terms: judged,
      reason: `${run.error} — not a failure by --until (name it there, e.g. workerDeaths>0 || committedPct<100, to count it as one)`,
    };
  return { outcome: 'pass', terms: judged, reason: 'no --until term holds' };
}

function unmeasured(threshold: Threshold): UntilTerm {
  return { expression: threshold.expression, value: null, holds: null };
}
