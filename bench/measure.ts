/**
 * The bench's figures: one fresh process per variant run (its JSON line parsed), the rounds they make, and the
 * median and range of a figure over the rounds.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** One run of one variant, as its process printed it (figures a variant does not have are absent). */
export interface Measured {
  variant: string;
  records?: number;
  bytes: number;
  wallMs: number;
  recordsPerSec?: number;
  mbPerSec: number;
  cpuSec?: number;
  /** CPU time over wall time (capture). */
  cores?: number;
  peakRssMiB?: number;
  indexMs?: number;
}

/** One round: every variant once, in the same minutes. */
export type Round = Record<string, Measured>;

export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** Runs `node dist/bench/<script> ...args` and parses the JSON line it prints. */
export function runScript(script: string, args: string[], env: Record<string, string> = {}): Measured {
  const path = fileURLToPath(new URL(`./${script}`, import.meta.url));
  return JSON.parse(
    execFileSync(process.execPath, [path, ...args], {
      encoding: 'utf8',
      maxBuffer: 2 ** 24,
      env: { ...process.env, ...env },
    }),
  );
}

/** Median and range of the finite values (null when none is). */
export function spread(values: number[]): Spread | null {
  const finite = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (!finite.length) return null;
  // The lower median: an actual run's figure, not a mean of two.
  return { median: finite[Math.floor((finite.length - 1) / 2)]!, min: finite[0]!, max: finite.at(-1)! };
}

/** A figure over the rounds that have the variant. */
export function figure(
  rounds: Round[],
  variant: string,
  pick: (m: Measured) => number | undefined,
): Spread | null {
  return spread(rounds.map((round) => (round[variant] ? (pick(round[variant]!) ?? Number.NaN) : Number.NaN)));
}

/** A ratio per round (both from the same round, so the machine's drift moves both), then its median and range. */
export function pairedRatio(
  rounds: Round[],
  numerator: [string, (m: Measured) => number | undefined],
  denominator: [string, (m: Measured) => number | undefined],
): Spread | null {
  return spread(
    rounds.map((round) => {
      const a = round[numerator[0]];
      const b = round[denominator[0]];
      if (!a || !b) return Number.NaN;
      return (numerator[1](a) ?? Number.NaN) / (denominator[1](b) ?? Number.NaN);
    }),
  );
}

export const recordsPerSec = (m: Measured) => m.recordsPerSec;
export const mbPerSec = (m: Measured) => m.mbPerSec;
