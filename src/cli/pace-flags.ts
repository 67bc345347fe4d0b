/**
 * When a synthetic load's frames go out: --rate (records/s or frames/s), --duration (send for this long: at --rate,
 * or alone as fast as the target reads) and --stages (rates over time, with ramps). They become the run's frame
 * count and rate schedule, or with --duration alone an open-ended run.
 */
import { Flags } from '@oclif/core';
import { framesPerSecond, type Rate } from '../common/rates.js';
import { parseDuration } from '../common/units.js';
import type { OpenEndedPace } from '../workload/open-ended-source.js';
import { constantSchedule, framesWithin, parseStages, type RateSchedule } from '../workload/rate-schedule.js';
import { excludes, flagValue, positive } from './shared-flags.js';

export const paceFlags = {
  duration: Flags.string({
    summary:
      'Send for this long (e.g. 30s, 30m), ids continuing: alone, as fast as the target reads (the frame count is up to the target); with --rate, at that rate; with --frames, until either runs out.',
    helpValue: 'DURATION',
    relationships: [excludes('stages')],
  }),
  stages: Flags.string({
    summary:
      'Rates over time: DURATION:RATE holds RATE, DURATION:FROM-TO ramps linearly (e.g. 30s:0-5000rps,10m:5000rps,30s:5000-0rps); sets the frame count (not with --frames, --rate, --duration).',
    helpValue: 'STAGES',
    relationships: [excludes('frames', 'rate')],
  }),
};

export interface SynthPace {
  /** The planned frame count; 0 for an open-ended run (the target decides it). */
  frames: number;
  /** Present when a rate paces the run: every frame's due time and stage. */
  schedule?: RateSchedule;
  openEnded?: OpenEndedPace;
}

/**
 * The frame count and schedule of a synthetic run with frames of `recordsPerFrame` (`frames` when no time flag
 * decides it; `flags.frames` is --frames as given). Throws an Error naming the flag on a value that cannot work.
 */
export function synthPace(
  flags: { rate?: Rate; duration?: string; stages?: string; frames?: number },
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
      return {
        frames: 0,
        openEnded: { durationMs, ...(flags.frames !== undefined ? { maxFrames: flags.frames } : {}) },
      };
    }
    const schedule = constantSchedule(flags.rate.perSecond, flags.rate.unit, durationMs);
    const timed = framesWithin(schedule, unitsPerFrame(schedule, recordsPerFrame));
    // With --frames too, whichever ends first: the schedule holds for the frames sent.
    return { frames: flags.frames === undefined ? timed : Math.min(timed, flags.frames), schedule };
  }
  if (flags.rate) {
    // A plain rate over the given frames: one stage as long as they take, so the result says achieved vs intended.
    const durationMs = (frames / framesPerSecond(flags.rate, recordsPerFrame)) * 1000;
    return { frames, schedule: constantSchedule(flags.rate.perSecond, flags.rate.unit, durationMs) };
  }
  return { frames };
}

/**
 * What an open-ended run cannot be combined with, refused with the reason (a usage error): each needs the frame
 * count before the first frame goes out.
 */
export function checkOpenEnded(
  duration: string,
  workload: { mix?: unknown; shard?: unknown; shaped?: unknown },
): void {
  const needsCount = (what: string, why: string) =>
    new Error(
      `--duration ${duration} without --rate sends as many frames as the target reads, and ${what} ${why}: give --rate too (the count follows from it)`,
    );
  if (workload.shard !== undefined)
    throw needsCount('--shard', "splits a known count into blocks (a shard's block needs it)");
  if (workload.mix !== undefined)
    throw needsCount('--mix', 'plans its updates and deletes over a known count of ids');
  if (workload.shaped !== undefined)
    throw needsCount('--template/--like', 'records are planned per table for a known count');
}

function unitsPerFrame(schedule: RateSchedule, recordsPerFrame: number): number {
  return schedule.unit === 'rps' ? recordsPerFrame : 1;
}
