/** bench's flags (besides the load flags of its base, LoadCommand) and the bench they describe. */
import { Flags } from '@oclif/core';
import { type BenchOptions, matrix, parseSet, runSamplesPath } from '../run/bench-run.js';
import type { SearchOptions } from '../run/bench-search.js';
import { DEFAULT_PRESET, presetNames } from '../workload/presets.js';
import { checkLoadOutputs, type LoadFlagValues, loadOptions } from './load-command.js';
import { presetDefaultNote } from './preset-help.js';
import { searchFlags, searchOptions } from './search-flags.js';
import type { FlagValues } from './shared-flags.js';
import { presetNamed, synthWorkload } from './workload-flags.js';

export const benchFlags = {
  set: Flags.string({
    summary: 'A setting and its values, repeatable: KEY=v1,v2,… (Harper env override keys).',
    multiple: true,
    helpValue: 'KEY=v1,v2',
  }),
  ...searchFlags,
  samples: Flags.string({
    summary:
      "Write each run's events as NDJSON (input of `report`): the run's number goes before the extension, bench.ndjson → bench-1.ndjson, bench-2.ndjson, …",
    helpValue: 'FILE',
  }),
  repeat: Flags.integer({ summary: 'Repetitions of every combination.', default: 3, min: 1 }),
  capture: Flags.string({
    summary: 'Replay this capture (flat out) instead of a synthetic workload.',
    helpValue: 'FILE',
  }),
  database: Flags.string({ summary: 'Database to load.', default: 'data' }),
  table: Flags.string({ summary: 'Synth: table to load.', default: 'harper_replay_synth' }),
  preset: Flags.string({
    summary: `Synth workload (${presetNames().join(', ')}).`,
    default: DEFAULT_PRESET,
  }),
  frames: Flags.integer({ summary: `Synth: frames. ${presetDefaultNote('frames')}`, min: 1 }),
  'records-per-frame': Flags.integer({
    summary: `Synth: records per frame. ${presetDefaultNote('records-per-frame')}`,
    min: 1,
  }),
  'record-size': Flags.string({
    summary: `Synth: approximate record size. ${presetDefaultNote('record-size')}`,
    helpValue: 'BYTES',
  }),
  'blob-size': Flags.string({
    summary: `Synth: blob per record (0 = none). ${presetDefaultNote('blob-size')}`,
    helpValue: 'BYTES',
  }),
};

export type BenchFlagValues = LoadFlagValues & FlagValues<typeof benchFlags>;

/** The bench the flags describe; throws an Error (a usage error) or a HarperReplayError on a bad value. */
export function benchOptions(flags: BenchFlagValues): BenchOptions {
  const preset = presetNamed(flags.preset);
  if (!flags.set?.length && !flags.search)
    throw new Error(
      'bench needs --set KEY=v1,v2 (settings to compare) or --search KEY=LOW..HIGH --until EXPR',
    );
  const search: SearchOptions | undefined = searchOptions(flags);
  const sets = (flags.set ?? []).map(parseSet);
  const keys = sets.map(([key]) => key);
  const repeated = keys.find((key, i) => keys.indexOf(key) !== i);
  if (repeated)
    throw new Error(`--set ${repeated} is given twice: list all its values in one --set ${repeated}=v1,v2,…`);
  // A search's probe count is not known in advance: its runs' files would be unnamed until they are written.
  const runs = search ? 0 : matrix(sets).length * flags.repeat;
  const samples = flags.samples
    ? Array.from({ length: runs }, (_, i) => runSamplesPath(flags.samples!, i + 1))
    : [];
  checkLoadOutputs(flags, flags.capture ? [flags.capture] : [], samples);
  const workload = synthWorkload(preset, flags, 1);
  // --samples and --html are the bench's (one file per run, the comparison), not each run's.
  const base = loadOptions(
    { ...flags, html: undefined, samples: undefined },
    {
      database: flags.database,
      verify: !flags.capture,
      maxReconnects: preset.maxReconnects,
      ...(flags.capture ? {} : { recordsPerFrame: workload.recordsPerFrame }),
    },
  );
  // A probe that kills a worker has its answer: it ends once the stream is back (the log then holds the death's
  // lines), not after a crash loop of --max-reconnects deaths.
  if (search && base.untilResubscribed === undefined) base.untilResubscribed = 1;
  return {
    base,
    sets,
    repeat: flags.repeat,
    ...(preset.nodeConfig ? { nodeConfig: preset.nodeConfig } : {}),
    database: flags.database,
    table: flags.table,
    workload,
    ...(flags.capture ? { capture: flags.capture } : {}),
    ...(flags.samples ? { samples: flags.samples } : {}),
    ...(flags.html ? { html: flags.html } : {}),
    ...(flags['prometheus-rw'] ? { prometheusRw: flags['prometheus-rw'] } : {}),
    force: flags.force,
    ...(search ? { search } : {}),
  };
}
