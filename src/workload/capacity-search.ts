/**
 * bench --search, pure: which value of a workload parameter to probe next in a bisection for the largest value a
 * node survives, and what the probes so far conclude. Every decision is recomputed from the whole list of probes
 * (no hidden state), so a repeat that flips a verdict simply moves the band. Noise-aware: once the band is down to
 * the resolution, values within `nearBoundary` resolutions of it are probed again until each has `repeat` judged
 * probes; a value's verdict is the majority of its probes (a tie counts as a failure: a setting that fails half the
 * time does not survive), and a pass above a fail widens the reported band and makes the result "noisy".
 */
import { formatRate, parseRate, type RateUnit } from '../common/rates.js';
import { formatBytes, formatCount, parseSize } from '../common/units.js';

export const SEARCH_KEYS = ['records-per-frame', 'rate', 'blob-size', 'record-size'] as const;
export type SearchKey = (typeof SEARCH_KEYS)[number];

/** `--search KEY=LOW..HIGH` parsed: the values in records, bytes or records/frames per second. */
export interface SearchRange {
  key: SearchKey;
  low: number;
  high: number;
  /** rate: the unit both ends are in (records/s or frames/s). */
  unit?: RateUnit;
}

export type ProbeOutcome = 'pass' | 'fail' | 'error';

export interface Probe {
  value: number;
  outcome: ProbeOutcome;
}

export interface SearchPlan {
  low: number;
  high: number;
  /** The search ends once the smallest failing value is at most this far above the largest passing one. */
  resolution: number;
  /** Values are whole numbers (records, bytes); a rate may have decimals. */
  integer: boolean;
  /** Judged probes (pass or fail) a value near the boundary gets in all (1: no repeats). */
  repeat: number;
  /** "Near the boundary": within this many resolutions of the band. */
  nearBoundary: number;
  /** Probes of one value that never reached the target (error) before the search gives up on it. */
  maxErrors: number;
  /** Safety net: the search stops after this many probes whatever they said. */
  maxProbes: number;
}

export type Confidence = 'sure' | 'noisy' | 'incomplete';

export interface SearchConclusion {
  /** The largest value that passed with no failure at or below it (null: none passed). */
  largestPass: number | null;
  /** The smallest value that failed with no pass at or above it (null: none failed: the node survives HIGH). */
  smallestFail: number | null;
  confidence: Confidence;
  /** "sure", "noisy: 1 of 4 repeats disagreed", "incomplete: …". */
  confidenceText: string;
  /** Judged probes at values probed more than once, and how many of them disagreed with their value's verdict. */
  repeats: number;
  disagreed: number;
  /** A value passed above one that failed (the band was widened over both). */
  contradiction: boolean;
  /** The band is down to the resolution (or the boundary lies outside LOW..HIGH). */
  resolved: boolean;
}

export type NextStep =
  | { kind: 'probe'; value: number; why: 'low' | 'high' | 'bisect' | 'repeat' }
  | { kind: 'done'; conclusion: SearchConclusion };

interface Tally {
  pass: number;
  fail: number;
  error: number;
}

type Verdict = 'pass' | 'fail' | null;

const verdictOf = (t: Tally): Verdict =>
  t.pass > t.fail ? 'pass' : t.fail > 0 && t.fail >= t.pass ? 'fail' : null;

function tallies(probes: Probe[]): Map<number, Tally> {
  const map = new Map<number, Tally>();
  for (const { value, outcome } of probes) {
    const tally = map.get(value) ?? { pass: 0, fail: 0, error: 0 };
    tally[outcome]++;
    map.set(value, tally);
  }
  return map;
}

interface Band {
  verdicts: Array<[number, Verdict, Tally]>;
  /** Largest pass / smallest fail over all values (they cross on a contradiction). */
  topPass: number | null;
  bottomFail: number | null;
  /** The reported (safe) edges: no fail at or below the pass, no pass at or above the fail. */
  safePass: number | null;
  safeFail: number | null;
}

function bandOf(probes: Probe[]): Band {
  const verdicts = [...tallies(probes)]
    .map(([value, tally]): [number, Verdict, Tally] => [value, verdictOf(tally), tally])
    .sort((a, b) => a[0] - b[0]);
  const passes = verdicts.filter((v) => v[1] === 'pass').map((v) => v[0]);
  const fails = verdicts.filter((v) => v[1] === 'fail').map((v) => v[0]);
  const bottomFail = fails.length ? Math.min(...fails) : null;
  const topPass = passes.length ? Math.max(...passes) : null;
  const safePasses = passes.filter((value) => bottomFail === null || value < bottomFail);
  const safeFails = fails.filter((value) => topPass === null || value > topPass);
  return {
    verdicts,
    topPass,
    bottomFail,
    safePass: safePasses.length ? Math.max(...safePasses) : null,
    safeFail: safeFails.length ? Math.min(...safeFails) : null,
  };
}

const judged = (t: Tally) => t.pass + t.fail;

/** What the probes so far conclude; `stopped` says why the search ended early (incomplete). */
export function conclude(plan: SearchPlan, probes: Probe[], stopped?: string): SearchConclusion {
  const band = bandOf(probes);
  let repeats = 0;
  let disagreed = 0;
  for (const [, verdict, tally] of band.verdicts) {
    if (judged(tally) < 2) continue;
    repeats += judged(tally);
    disagreed += verdict === 'pass' ? tally.fail : tally.pass;
  }
  const contradiction = band.topPass !== null && band.bottomFail !== null && band.topPass > band.bottomFail;
  const resolved =
    band.safePass === null || band.safeFail === null || band.safeFail - band.safePass <= plan.resolution;
  const confidence: Confidence = stopped ? 'incomplete' : disagreed || contradiction ? 'noisy' : 'sure';
  const reasons = [
    ...(disagreed ? [`${disagreed} of ${repeats} repeats disagreed`] : []),
    ...(contradiction ? [`passed at ${band.topPass} above a failure at ${band.bottomFail}`] : []),
  ];
  const confidenceText =
    confidence === 'incomplete'
      ? `incomplete: ${stopped}`
      : confidence === 'noisy'
        ? `noisy: ${reasons.join('; ')}`
        : 'sure';
  return {
    largestPass: band.safePass,
    smallestFail: band.safeFail,
    confidence,
    confidenceText,
    repeats,
    disagreed,
    contradiction,
    resolved,
  };
}

/** The value halfway between two, on the plan's grid; undefined when no grid value lies strictly between. */
function midpoint(plan: SearchPlan, below: number, above: number): number | undefined {
  const middle = plan.integer ? Math.floor((below + above) / 2) : (below + above) / 2;
  return middle > below && middle < above ? middle : undefined;
}

/** Values near the band that still lack repeats: those in a contradiction, then the nearest to the band. */
function toConfirm(plan: SearchPlan, band: Band): number[] {
  const edges = [band.safePass, band.safeFail, band.topPass, band.bottomFail].filter(
    (v): v is number => v !== null,
  );
  if (!edges.length) return [];
  const from = Math.min(...edges) - plan.nearBoundary * plan.resolution;
  const to = Math.max(...edges) + plan.nearBoundary * plan.resolution;
  // Values inside a contradiction (between a fail and a pass above it) first: they are what is in doubt.
  const crossed = (value: number) =>
    band.topPass !== null && band.bottomFail !== null && value >= band.bottomFail && value <= band.topPass;
  const distance = (value: number) =>
    crossed(value) ? -1 : Math.min(...edges.map((edge) => Math.abs(edge - value)));
  return band.verdicts
    .filter(
      ([value, verdict, tally]) =>
        verdict !== null &&
        value >= from &&
        value <= to &&
        judged(tally) < plan.repeat &&
        tally.error < plan.maxErrors,
    )
    .map(([value]) => value)
    .sort((a, b) => distance(a) - distance(b) || a - b);
}

/** The next value to probe, or the conclusion when the search is done. */
export function nextStep(plan: SearchPlan, probes: Probe[]): NextStep {
  const done = (stopped?: string): NextStep => ({
    kind: 'done',
    conclusion: conclude(plan, probes, stopped),
  });
  if (probes.length >= plan.maxProbes) return done(`stopped after ${plan.maxProbes} probes`);
  const counts = tallies(probes);
  const band = bandOf(probes);
  const probe = (value: number, why: 'low' | 'high' | 'bisect' | 'repeat'): NextStep => {
    const tally = counts.get(value);
    if (tally && verdictOf(tally) === null && tally.error >= plan.maxErrors)
      return done(`${tally.error} probes at ${value} could not be judged (errors)`);
    return { kind: 'probe', value, why };
  };
  const lowTally = counts.get(plan.low);
  if (!lowTally || verdictOf(lowTally) === null) return probe(plan.low, 'low');
  if (band.bottomFail === null) {
    const highTally = counts.get(plan.high);
    if (!highTally || verdictOf(highTally) === null) return probe(plan.high, 'high');
  }
  const consistent = !(band.topPass !== null && band.bottomFail !== null && band.topPass > band.bottomFail);
  if (consistent && band.safePass !== null && band.safeFail !== null) {
    const middle =
      band.safeFail - band.safePass > plan.resolution
        ? midpoint(plan, band.safePass, band.safeFail)
        : undefined;
    if (middle !== undefined) return probe(middle, 'bisect');
  }
  const next = toConfirm(plan, band)[0];
  return next === undefined ? done() : probe(next, 'repeat');
}

/** Probes a search of `plan` takes without repeats or errors: LOW, HIGH and the bisection (for progress lines). */
export function expectedProbes(plan: SearchPlan): number {
  const steps = Math.ceil(Math.log2(Math.max(1, (plan.high - plan.low) / plan.resolution)));
  return 2 + Math.max(0, steps);
}

function parseCount(text: string): number {
  const cleaned = text.trim().replace(/[_,]/g, '');
  const thousands = /^(\d+(?:\.\d+)?)k$/i.exec(cleaned);
  const value = thousands
    ? Number(thousands[1]) * 1000
    : /^\d+$/.test(cleaned)
      ? Number(cleaned)
      : Number.NaN;
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`"${text}" is not a whole number of records of 1 or more (examples: 10000, 150k)`);
  return value;
}

/** One value of `key` as its flag takes it: a record count, a size (50KB), a rate (5000rps, 2fps). */
export function parseSearchValue(key: SearchKey, text: string): { value: number; unit?: RateUnit } {
  if (key === 'records-per-frame') return { value: parseCount(text) };
  if (key === 'rate') {
    const rate = parseRate(text);
    return { value: rate.perSecond, unit: rate.unit };
  }
  const value = parseSize(text);
  if (key === 'record-size' && value < 1) throw new Error(`"${text}": a record has at least 1 byte`);
  return { value };
}

/** Parses `KEY=LOW..HIGH` (e.g. records-per-frame=10000..300000, blob-size=10KB..2MB, rate=1000rps..20000rps). */
export function parseSearchRange(text: string): SearchRange {
  const match = /^\s*([a-z-]+)\s*=\s*(.+?)\s*\.\.\s*(.+?)\s*$/i.exec(text);
  if (!match) throw new Error(`"${text}" is not KEY=LOW..HIGH (e.g. records-per-frame=10000..300000)`);
  const key = match[1]!.toLowerCase() as SearchKey;
  if (!SEARCH_KEYS.includes(key))
    throw new Error(`"${match[1]}" cannot be searched; choose one of: ${SEARCH_KEYS.join(', ')}`);
  const low = parseSearchValue(key, match[2]!);
  const high = parseSearchValue(key, match[3]!);
  if (key === 'rate' && low.unit !== high.unit)
    throw new Error(`"${text}": give both ends of a rate in the same unit (rps or fps)`);
  if (!(low.value < high.value)) throw new Error(`"${text}": LOW must be below HIGH`);
  return { key, low: low.value, high: high.value, ...(low.unit ? { unit: low.unit } : {}) };
}

/** --resolution: an absolute value in the key's unit, or a percentage of the range; default 5 % of it. */
export function parseResolution(text: string | undefined, range: SearchRange): number {
  const span = range.high - range.low;
  const integer = range.key !== 'rate';
  const percent = text === undefined ? 5 : /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(text)?.[1];
  let resolution: number;
  if (percent !== undefined) resolution = (Number(percent) / 100) * span;
  else {
    const parsed = parseSearchValue(range.key, text!);
    if (range.key === 'rate' && parsed.unit !== range.unit)
      throw new Error(`"${text}" must be in the range's unit (${range.unit})`);
    resolution = parsed.value;
  }
  if (integer) resolution = Math.ceil(resolution);
  if (!(resolution > 0)) throw new Error(`"${text}" is not a resolution above 0`);
  return resolution;
}

/** "140,000 records/frame", "5,000 records/s", "1.50 MiB". */
export function formatSearchValue(range: Pick<SearchRange, 'key' | 'unit'>, value: number): string {
  if (range.key === 'records-per-frame') return `${formatCount(value)} records/frame`;
  if (range.key === 'rate') return formatRate(value, range.unit ?? 'fps');
  return formatBytes(value);
}
