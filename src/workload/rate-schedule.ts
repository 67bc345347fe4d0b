/**
 * A load's schedule over time: stages of a fixed length, each holding a rate or ramping linearly from one rate to
 * another (--stages 30s:0-5000rps,10m:5000rps,30s:5000-0rps; --duration with --rate is one stage). Pure: the due
 * time of any amount (records or frames) is the inverse of the rate's integral, so frame i of a source is due when
 * the schedule has asked for everything before it.
 */
import { parseRate, type RateUnit, rateUnitOf } from '../common/rates.js';
import { parseDuration } from '../common/units.js';

export interface Stage {
  durationMs: number;
  /** Rates (per second, in the schedule's unit) at the stage's start and end; equal for a hold. */
  from: number;
  to: number;
}

export interface RateSchedule {
  unit: RateUnit;
  stages: Stage[];
}

/**
 * --stages: comma-separated DURATION:RATE (holds RATE) or DURATION:FROM-TO (a linear ramp). Every stage is in the
 * same unit (rps or fps, given on any of them; bare numbers alone mean fps). Refused: a stage of no time, a
 * negative or missing rate, mixed units, and stages that ask for nothing at all.
 */
export function parseStages(text: string): RateSchedule {
  const parts = text.split(',').map((part) => part.trim());
  const units = new Set(parts.flatMap((part) => part.split(/[:-]/).slice(1).map(rateUnitOf)));
  units.delete(undefined);
  if (units.size > 1) throw new Error(`"${text}": every stage must be in the same unit (rps or fps)`);
  const unit: RateUnit = units.values().next().value ?? 'fps';
  const stages = parts.map((part) => parseStage(part));
  const schedule = { unit, stages };
  if (!(totalAmount(schedule) > 0))
    throw new Error(`"${text}": the stages ask for nothing (every rate is 0)`);
  return schedule;
}

function parseStage(text: string): Stage {
  const match = /^([^:]+):([^-]+)(?:-(.+))?$/.exec(text);
  if (!match)
    throw new Error(`stage "${text}" is not DURATION:RATE or DURATION:FROM-TO (e.g. 30s:0-5000rps)`);
  const durationMs = parseDuration(match[1]!);
  if (!(durationMs > 0)) throw new Error(`stage "${text}": its duration must be more than 0`);
  const rate = (part: string) => {
    try {
      return parseRate(part, true).perSecond;
    } catch (error) {
      throw new Error(`stage "${text}": ${(error as Error).message}`);
    }
  };
  const from = rate(match[2]!);
  return { durationMs, from, to: match[3] === undefined ? from : rate(match[3]) };
}

/** One stage holding `perSecond` for `durationMs` (--duration with --rate). */
export function constantSchedule(perSecond: number, unit: RateUnit, durationMs: number): RateSchedule {
  return { unit, stages: [{ durationMs, from: perSecond, to: perSecond }] };
}

export function totalDurationMs(schedule: RateSchedule): number {
  return schedule.stages.reduce((sum, stage) => sum + stage.durationMs, 0);
}

/** What a stage asks for in all (records or frames): the area under its rate. */
export function stageAmount(stage: Stage): number {
  return ((stage.from + stage.to) / 2) * (stage.durationMs / 1000);
}

/** What the whole schedule asks for (records or frames). */
export function totalAmount(schedule: RateSchedule): number {
  return schedule.stages.reduce((sum, stage) => sum + stageAmount(stage), 0);
}

/** The stage running `ms` after the start (the last one at and after the end). */
export function stageAt(schedule: RateSchedule, ms: number): number {
  let end = 0;
  for (let index = 0; index < schedule.stages.length; index++) {
    end += schedule.stages[index]!.durationMs;
    if (ms < end) return index;
  }
  return schedule.stages.length - 1;
}

/** The target rate `ms` after the start (0 after the end). */
export function rateAt(schedule: RateSchedule, ms: number): number {
  let start = 0;
  for (const stage of schedule.stages) {
    if (ms < start + stage.durationMs) {
      return stage.from + ((stage.to - stage.from) * (ms - start)) / stage.durationMs;
    }
    start += stage.durationMs;
  }
  return 0;
}

/**
 * When the schedule has asked for `amount` (ms after the start): the inverse of the rate's integral. Undefined
 * when the whole schedule asks for less.
 */
export function timeOfAmount(schedule: RateSchedule, amount: number): number | undefined {
  let start = 0;
  let before = 0;
  for (const stage of schedule.stages) {
    const area = stageAmount(stage);
    if (amount <= before + area && area > 0) return start + timeWithinStage(stage, amount - before);
    start += stage.durationMs;
    before += area;
  }
  return undefined;
}

/** Seconds × 1000 into a stage at which its rate has added up to `amount` (a root of a t + k t² = amount). */
function timeWithinStage(stage: Stage, amount: number): number {
  const seconds = stage.durationMs / 1000;
  const k = (stage.to - stage.from) / (2 * seconds);
  if (amount <= 0) return 0;
  if (Math.abs(k) < 1e-12) return (amount / stage.from) * 1000;
  // The root written so it stays accurate when k is small or negative (a ramp down).
  const root = Math.sqrt(Math.max(0, stage.from * stage.from + 4 * k * amount));
  return Math.min(stage.durationMs, ((2 * amount) / (stage.from + root)) * 1000);
}

/**
 * How many frames of `perFrame` units each the schedule asks for: every frame whose first unit is due before the
 * end (so a last, partial frame is sent whole).
 */
export function framesWithin(schedule: RateSchedule, perFrame: number): number {
  // Rounded first: 5000 records over 50 frames of 100 must not become 51 through a float's last digit.
  const total = Math.round(totalAmount(schedule) * 1e6) / 1e6;
  return Math.ceil(total / perFrame);
}

/** "0→5,000 rps over 30 s" / "5,000 rps for 10 m": a stage as the summary and progress show it. */
export function stageLabel(stage: Stage, unit: RateUnit): string {
  const rate = (value: number) => value.toLocaleString('en-US', { maximumFractionDigits: 2 });
  const seconds = stage.durationMs / 1000;
  const span = seconds >= 60 && seconds % 60 === 0 ? `${seconds / 60}m` : `${seconds}s`;
  return stage.from === stage.to
    ? `${span} at ${rate(stage.from)} ${unit}`
    : `${span} ${rate(stage.from)}→${rate(stage.to)} ${unit}`;
}
