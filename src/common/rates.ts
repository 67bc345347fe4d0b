/**
 * Rates on the command line: records per second (5000rps) or frames per second (0.5fps); a bare number is frames
 * per second, as --rate always meant. Pure, like units.ts.
 */

export type RateUnit = 'rps' | 'fps';

export interface Rate {
  perSecond: number;
  /** rps: records per second; fps: frames (WebSocket messages) per second. */
  unit: RateUnit;
}

const RATE_PATTERN = /^\s*(\d+(?:\.\d+)?)\s*(rps|fps)?\s*$/i;

/** "5000rps", "0.5fps", "10" (frames/s). Zero is refused unless `allowZero` (a stage may ramp from or to 0). */
export function parseRate(text: string, allowZero = false): Rate {
  const match = RATE_PATTERN.exec(text);
  const perSecond = match ? Number(match[1]) : Number.NaN;
  if (!match || !(allowZero ? perSecond >= 0 : perSecond > 0)) {
    throw new Error(
      `"${text}" is not a rate ${allowZero ? 'of 0 or more' : 'above 0'} (examples: 5000rps records/s, 0.5fps or 0.5 frames/s)`,
    );
  }
  return { perSecond, unit: (match[2]?.toLowerCase() as RateUnit | undefined) ?? 'fps' };
}

/** The unit a rate text names, or undefined for a bare number. */
export function rateUnitOf(text: string): RateUnit | undefined {
  return RATE_PATTERN.exec(text)?.[2]?.toLowerCase() as RateUnit | undefined;
}

/** Frames per second of `rate` for frames of `recordsPerFrame` records. */
export function framesPerSecond(rate: Rate, recordsPerFrame: number): number {
  return rate.unit === 'fps' ? rate.perSecond : rate.perSecond / recordsPerFrame;
}

/** "5,000 records/s", "0.5 frames/s". */
export function formatRate(perSecond: number, unit: RateUnit): string {
  const value = perSecond >= 100 ? Math.round(perSecond) : Math.round(perSecond * 100) / 100;
  return `${value.toLocaleString('en-US')} ${unit === 'rps' ? 'records/s' : 'frames/s'}`;
}
