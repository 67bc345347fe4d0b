/**
 * When a synthetic load's frames go out: --rate (records/s or frames/s), --duration (send for this long) and
 * --stages (rates over time, with ramps). They become the run's frame count and rate schedule.
 */
import { Flags } from '@oclif/core';
import { framesPerSecond, type Rate } from '../common/rates.js';
import { parseDuration } from '../common/units.js';
import { constantSchedule, framesWithin, parseStages, type RateSchedule } from '../workload/rate-schedule.js';
import { excludes, flagValue, positive } from './shared-flags.js';

export const paceFlags = {
  duration: Flags.string({
    summary:
      'Send for this long at --rate (e.g. 30s, 30m): the frame count follows from the rate, ids continue (not with --frames).',
    helpValue: 'DURATION',
    relationships: [excludes('frames', 'stages')],
  }),
  stages: Flags.string({
    summary:
      'Rates over time: DURATION:RATE holds RATE, DURATION:FROM-TO ramps linearly (e.g. 30s:0-5000rps,10m:5000rps,30s:5000-0rps); sets the frame count (not with --frames, --rate, --duration).',
    helpValue: 'STAGES',
    relationships: [excludes('frames', 'rate')],
  }),
};

export interface SynthPace {
  frames: number;
  /** Present when a rate paces the run: every frame's due time and stage. */
  schedule?: RateSchedule;
}

/**
 * The frame count and schedule of a synthetic run with frames of `recordsPerFrame` (`frames` when no time flag
 * decides it). Throws an Error naming the flag on a value that cannot work.
 */
export function synthPace(
  flags: { rate?: Rate; duration?: string; stages?: string },
  recordsPerFrame: number,
  frames: number,
): SynthPace {
  if (flags.stages !== undefined) {
    const schedule = flagValue('stages', flags.stages, parseStages);
    return { frames: framesWithin(schedule, unitsPerFrame(schedule, recordsPerFrame)), schedule };
  }
  if (flags.duration !== undefined) {
    const durationMs = flagValue('duration', flags.duration, positive(parseDuration));
    if (!flags.rate) {
      throw new Error(
        `--duration ${flags.duration} needs --rate (e.g. --rate 5000rps): the frame count follows from it`,
      );
    }
    const schedule = constantSchedule(flags.rate.perSecond, flags.rate.unit, durationMs);
    return { frames: framesWithin(schedule, unitsPerFrame(schedule, recordsPerFrame)), schedule };
  }
  if (flags.rate) {
    // A plain rate over the given frames: one stage as long as they take, so the result says achieved vs intended.
    const durationMs = (frames / framesPerSecond(flags.rate, recordsPerFrame)) * 1000;
    return { frames, schedule: constantSchedule(flags.rate.perSecond, flags.rate.unit, durationMs) };
  }
  return { frames };
}

function unitsPerFrame(schedule: RateSchedule, recordsPerFrame: number): number {
  return schedule.unit === 'rps' ? recordsPerFrame : 1;
}
