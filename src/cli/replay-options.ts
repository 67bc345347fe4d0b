/** replay's flags (besides the load flags of its base, LoadCommand): pace, rewrite, the part of the capture. */
import { Flags } from '@oclif/core';
import { parseDuration } from '../common/units.js';
import type { ReplayRunOptions } from '../run/replay-run.js';
import { parseBlobFaults } from '../workload/blob-faults.js';
import type { ReplayCapture } from '../workload/replay-source.js';
import { type LoadFlagValues, loadOptions } from './load-command.js';
import { shardFlags, shardOptions } from './shard-flags.js';
import { commaList, excludes, type FlagValues, flagValue, positive } from './shared-flags.js';

export const replayFlags = {
  database: Flags.string({
    summary: "Database to replay into (default: the capture's; one connection only: see --connection).",
  }),
  // No oclif default: --rate without --speed paces by the rate, --rate with a --speed is ambiguous.
  speed: Flags.string({
    summary:
      'Pace relative to the capture: 0.5x, 1x (default), 4x … or max. --rate instead spaces frames evenly.',
    helpValue: 'SPEED',
  }),
  'pace-by': Flags.option({
    summary:
      "The captured clock --speed follows: arrival (when frames reached the capture: a backlog's catch-up burst) or txn-time (the frames' transaction times: the writes as they were made).",
    options: ['arrival', 'txn-time'] as const,
    default: 'arrival',
  })(),
  duration: Flags.string({
    summary:
      'Loop the capture until this much time is scheduled (e.g. 30m; not with --loop): at its own pace (--speed, not max) or at --rate.',
    helpValue: 'DURATION',
  }),
  'max-gap': Flags.string({
    summary: 'Cap idle gaps of the capture at this (e.g. 1s).',
    helpValue: 'DURATION',
  }),
  loop: Flags.integer({ summary: 'Replay the capture this many times.', default: 1, min: 1 }),
  'dry-run': Flags.boolean({
    summary:
      'Print the frames, records, bytes (blob chunks included) and scheduled duration the run would send, after its checks; touch no node.',
  }),
  retime: Flags.boolean({
    summary: 'New increasing versions, one per frame (--no-retime to send the captured versions).',
    default: true,
    allowNo: true,
  }),
  // The old name of --no-retime: still works, with a warning; beside --retime it is a contradiction (exit 2).
  'keep-versions': Flags.boolean({
    summary: 'Deprecated: --no-retime.',
    deprecated: { to: '--no-retime' },
    hidden: true,
    relationships: [excludes({ name: 'retime', when: async (flags) => flags.retime === true })],
  }),
  tables: Flags.string({
    summary: 'Only entries of these tables (comma-separated).',
    helpValue: 'A,B',
    relationships: [excludes('exclude-tables')],
  }),
  'exclude-tables': Flags.string({
    summary: 'Drop entries of these tables (comma-separated).',
    helpValue: 'A,B',
    relationships: [excludes('tables')],
  }),
  origin: Flags.string({
    summary:
      "Origin of the replayed records: 'capture' (the captured node names), 'self' (the tool) or a node NAME.",
    default: 'capture',
  }),
  connection: Flags.integer({
    summary: 'Capture connection to replay (default: every connection with data at once, one per database).',
    min: 1,
  }),
  'blob-faults': Flags.string({
    summary:
      "Re-send every Nth captured blob wrong: KIND:EVERY[,KIND:EVERY] as synth's (error, withhold, truncate, orphan); blob n is a connection's nth fileId. E.g. error:7.",
    helpValue: 'KIND:N',
  }),
  'from-frame': Flags.integer({
    summary: 'Skip the first N transaction frames (resume a failed replay).',
    default: 0,
    min: 0,
  }),
  ...shardFlags,
};

export type ReplayFlagValues = LoadFlagValues & FlagValues<typeof replayFlags>;

/** '0.5x', '1x', '4x', '2' or 'max'. */
export function parseSpeed(text: string): number {
  if (text.trim() === 'max') return Number.POSITIVE_INFINITY;
  const value = Number(text.trim().replace(/x$/i, ''));
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`--speed "${text}" is not 0.5x, 1x, 4x … or max`);
  return value;
}

/**
 * The pace: the capture's clock times --speed (1x by default), or, with --rate, frames evenly spaced at that rate
 * (the capture's clock is then not followed: the sender would otherwise honour only one of them).
 */
function replayPace(flags: ReplayFlagValues): { speed: number; speedLabel: string } {
  if (flags.rate !== undefined && flags.speed !== undefined && flags.speed.trim() !== 'max')
    throw new Error(
      `--rate ${rateText(flags.rate)} spaces frames evenly and --speed ${flags.speed} follows the capture's clock: give one of them`,
    );
  if (flags.rate !== undefined && flags['pace-by'] === 'txn-time')
    throw new Error(
      `--pace-by txn-time follows the capture's clock and --rate ${rateText(flags.rate)} spaces frames evenly: give one of them`,
    );
  if (flags.rate !== undefined)
    return { speed: Number.POSITIVE_INFINITY, speedLabel: `${flags.rate.perSecond} frames/s` };
  const label = flags.speed ?? '1x';
  return { speed: parseSpeed(label), speedLabel: label };
}

/** --duration: the time to loop for, and with --rate the frames that rate sends in it. */
function replayDuration(
  flags: ReplayFlagValues,
  speed: number,
): { durationMs?: number; frameLimit?: number } {
  if (flags.duration === undefined) return {};
  const durationMs = flagValue('duration', flags.duration, positive(parseDuration));
  if (flags.loop !== 1)
    throw new Error(`--duration ${flags.duration} loops the capture as often as it takes: drop --loop`);
  if (flags.rate)
    return { durationMs, frameLimit: Math.max(1, Math.ceil((flags.rate.perSecond * durationMs) / 1000)) };
  if (!Number.isFinite(speed))
    throw new Error(
      `--duration ${flags.duration} needs a pace: --speed 1x (or 4x …) or --rate, not --speed max`,
    );
  return { durationMs };
}

/** A rate as the user most likely wrote it: frames/s bare, records/s with its unit. */
function rateText(rate: NonNullable<ReplayFlagValues['rate']>): string {
  return rate.unit === 'fps' ? `${rate.perSecond}` : `${rate.perSecond}rps`;
}

/** How to replay: pace, loops, rewrite, which tables. Throws an Error (a usage error) on a bad value. */
export function replayOptions(flags: ReplayFlagValues): ReplayRunOptions['replay'] {
  const { speed, speedLabel } = replayPace(flags);
  const timed = replayDuration(flags, speed);
  const maxGapMs = flags['max-gap'] ? flagValue('max-gap', flags['max-gap'], parseDuration) : undefined;
  return {
    connection: flags.connection,
    speed,
    speedLabel,
    paceBy: flags['pace-by'],
    maxGapMs,
    loops: flags.loop,
    ...timed,
    fromFrame: flags['from-frame'],
    retime: flags.retime && !flags['keep-versions'],
    origin: flags.origin,
    tables: commaList(flags.tables),
    excludeTables: commaList(flags['exclude-tables']),
    ...(flags['blob-faults'] === undefined ? {} : { blobFaults: parseBlobFaults(flags['blob-faults']) }),
  };
}

/**
 * The replay's run options: the load flags, into --database or the capture's own; several replayed connections go
 * each into its own database. Throws on a bad value (--database for several connections: which one?).
 */
export function replayRunOptions(
  flags: ReplayFlagValues,
  file: string,
  capture: ReplayCapture,
  replay: ReplayRunOptions['replay'],
): ReplayRunOptions {
  const several = capture.sources.length > 1;
  if (several && flags.database)
    throw new Error(
      `--database renames one connection's database; this capture replays ${capture.sources.length} connections (${capture.sources.map((s) => `${s.connection} → ${s.database ?? '?'}`).join(', ')}): pick one with --connection`,
    );
  const database = flags.database ?? capture.sources[0]?.database ?? capture.database ?? 'data';
  // Several connections go each into its own database (runReplay).
  const shard = shardOptions(flags);
  return {
    ...loadOptions(flags, { database, verify: false }),
    capture: file,
    replay,
    ...(shard ? { shard } : {}),
  };
}
