/** The synth workload a command's flags describe: a preset with any shape flag overriding it. */

import { Flags } from '@oclif/core';
import { formatBytes, parseSize } from '../common/units.js';
import type { SynthRunOptions } from '../run/synth-run.js';
import { parseBlobFaults } from '../workload/blob-faults.js';
import { KEYS_HELP, type KeyDistribution, parseKeyDistribution } from '../workload/key-distribution.js';
import { isPureInserts, type OperationMix, parseOperationMix } from '../workload/operation-mix.js';
import { DEFAULT_PRESET, PRESETS, type Preset, presetNames } from '../workload/presets.js';
import { type LoadFlagValues, loadOptions } from './load-command.js';
import { checkOpenEnded, paceFlags, synthPace } from './pace-flags.js';
import { presetDefaultNote } from './preset-help.js';
import { shapeFlags, shapeOptions } from './shape-flags.js';
import { shardFlags, shardOptions } from './shard-flags.js';
import { type FlagValues, flagValue } from './shared-flags.js';

/** synth's own flags (the load flags come with its base, LoadCommand). */
export const synthFlags = {
  database: Flags.string({
    summary:
      'Database to load (created if missing); a comma list (a,b,c) loads them all at once, each over its own connection.',
    default: 'data',
  }),
  databases: Flags.integer({
    summary:
      "Load N databases at once (<database>_1 … <database>_N, created if missing), each over its own connection: a worker slammed by every database's catch-up.",
    min: 1,
    helpValue: 'N',
  }),
  table: Flags.string({
    summary: 'Table to load (created if missing, primary key id).',
    default: 'harper_replay_synth',
  }),
  preset: Flags.string({
    summary: `Named workload (${presetNames().join(', ')}).`,
    default: DEFAULT_PRESET,
  }),
  frames: Flags.integer({
    summary: `Transaction frames (WebSocket messages) to send. ${presetDefaultNote('frames')}`,
    min: 1,
  }),
  'records-per-frame': Flags.integer({
    summary: `Records in each frame. ${presetDefaultNote('records-per-frame')}`,
    min: 1,
  }),
  'record-size': Flags.string({
    summary: `Approximate encoded size of each record (e.g. 256, 1KB). ${presetDefaultNote('record-size')}`,
    helpValue: 'BYTES',
  }),
  'blob-size': Flags.string({
    summary: `Blob per record, sent as BLOB_CHUNK frames (0 = none; e.g. 50KB). ${presetDefaultNote('blob-size')}`,
    helpValue: 'BYTES',
  }),
  'blobs-per-frame': Flags.integer({
    summary: `How many records of each frame carry a blob. ${presetDefaultNote('blobs-per-frame')}`,
    min: 0,
  }),
  'blob-faults': Flags.string({
    summary:
      'Send every Nth blob wrong: KIND:EVERY[,KIND:EVERY], KIND error (last chunk carries an error), withhold (chunks never sent), truncate (chunks stop short, then finish), orphan (chunks for a fileId no record has). E.g. error:7.',
    helpValue: 'KIND:N',
  }),
  mix: Flags.string({
    summary:
      'Operation mix: insert=W,update=W,delete=W (weights in any order, normalised; default inserts only). Updates rewrite a present id with the next generation, deletes send a delete entry; an update/delete with no id to touch yet goes out as an insert (the result shows planned vs sent).',
    helpValue: 'OP=W,…',
  }),
  keys: Flags.string({
    summary: `Which present id an update or delete touches (with --mix): ${KEYS_HELP}`,
    helpValue: 'uniform|sequential|zipf:S|hot:P%',
  }),
  'dependency-wait': Flags.boolean({
    summary:
      "With --mix: hold a frame until the target acks the frame whose ids it rewrites (--no-dependency-wait: send at once, to reproduce 4.7.29's silent loss of such frames for a bug report; the result counts the frames sent while their dependency was in flight, verification still judges).",
    default: true,
    allowNo: true,
  }),
  ...shapeFlags,
  seed: Flags.integer({
    summary: 'Seed of the record contents, the operation mix and the keys.',
    default: 1,
  }),
  liveness: Flags.boolean({
    summary:
      'After the last frame, send one small record (id N+1) and report whether and how soon the target commits it (on by default with --blob-faults).',
  }),
  'preset-thresholds': Flags.boolean({
    summary: "Judge the run by the preset's own thresholds too (--no-preset-thresholds: report only).",
    default: true,
    allowNo: true,
  }),
  verify: Flags.boolean({
    summary: "Count the target's records at the end (--no-verify to skip).",
    default: true,
    allowNo: true,
  }),
  ...paceFlags,
  ...shardFlags,
};

export type SynthFlagValues = LoadFlagValues & FlagValues<typeof synthFlags>;

/** The shape flags any synth workload may have (bench has all but --blobs-per-frame). */
export type WorkloadFlagValues = Partial<
  Pick<
    FlagValues<typeof synthFlags>,
    'frames' | 'records-per-frame' | 'record-size' | 'blob-size' | 'blobs-per-frame'
  >
>;

/** The preset --preset names; throws an Error (a usage error) naming the presets there are. */
export function presetNamed(name: string): Preset {
  const preset = PRESETS[name];
  if (!preset) throw new Error(`unknown preset "${name}"; choose one of: ${presetNames().join(', ')}`);
  return preset;
}

/** synth's run options: the preset, its shape flags, the databases, the load flags. Throws on a bad value. */
export function synthOptions(flags: SynthFlagValues): SynthRunOptions {
  const preset = presetNamed(flags.preset);
  if (preset.targetFaults?.length && flags.target) {
    throw new Error(
      `--preset ${preset.name} installs faults into the node under test: it runs only on the embedded target, not with --target`,
    );
  }
  const shard = shardOptions(flags);
  if (shard && preset.singlePeer)
    throw new Error(
      `--preset ${preset.name} reproduces ${preset.singlePeer}: N shards are N peers, not one peer, so it refuses --shard`,
    );
  const shaped = shapeOptions(flags);
  // --like learns its shape per process (a scratch table each, values read from a table others may be writing).
  if (shard && shaped?.shapes.sources.some((source) => source.kind !== 'template'))
    throw new Error(
      '--shard takes --template shapes only: --like makes per-process scratch tables (drop --like or --shard)',
    );
  const withPreset = {
    ...flags,
    ...(shaped?.database ? { database: shaped.database } : {}),
    'target-fault': [...(preset.targetFaults ?? []), ...(flags['target-fault'] ?? [])],
    threshold: [...(flags['preset-thresholds'] ? (preset.thresholds ?? []) : []), ...(flags.threshold ?? [])],
  };
  const shape = synthWorkload(preset, flags, flags.seed);
  const pace = synthPace(flags, shape.recordsPerFrame, shape.frames);
  const workload = { ...shape, frames: pace.frames };
  const base = loadOptions(withPreset, {
    database: withPreset.database,
    databases: databaseList(
      withPreset.database,
      flags.databases ?? (flags.database.includes(',') ? undefined : preset.databases),
    ),
    nodeConfig: preset.nodeConfig,
    maxReconnects: preset.maxReconnects,
    untilResubscribed: preset.untilResubscribed,
    verify: flags.verify,
    recordsPerFrame: shape.recordsPerFrame,
  });
  checkShape(workload, flags);
  const blobFaults = flags['blob-faults'] === undefined ? undefined : parseBlobFaults(flags['blob-faults']);
  if (blobFaults && !(workload.blobSize > 0 && (workload.blobsPerFrame ?? 1) > 0)) {
    throw new Error('--blob-faults needs blobs: give --blob-size (or a preset with blobs, e.g. blobs-50k)');
  }
  const operations = operationFlags(flags);
  if (pace.openEnded) checkOpenEnded(flags.duration!, { mix: operations.mix, shard, shaped });
  if (shaped?.shapes.scale !== undefined && pace.schedule)
    throw new Error(
      '--scale sets the frame count from the capture: it cannot be combined with --stages or --duration',
    );
  if (operations.mix && blobFaults)
    throw new Error('--blob-faults counts blobs of inserts only: it cannot be combined with --mix');
  if (flags['dependency-wait'] === false && !operations.mix)
    throw new Error(
      '--no-dependency-wait goes with a --mix with update or delete: only a frame rewriting ids waits for an ack',
    );
  return {
    ...base,
    // After faulted blobs the question is whether the target still takes writes: the probe answers it.
    ...(flags.liveness || preset.liveness || blobFaults ? { liveness: true } : {}),
    ...(flags['dependency-wait'] === false ? { dependencyWait: false } : {}),
    // A schedule paces every frame (the sender's even --rate spacing is then not needed).
    ...(pace.schedule ? { schedule: pace.schedule, rate: undefined } : {}),
    ...(pace.openEnded ? { openEnded: pace.openEnded } : {}),
    table: flags.table,
    workload: { ...workload, ...(blobFaults ? { blobFaults } : {}), ...operations },
    ...(shaped ? { shapes: shaped.shapes } : {}),
    ...(shard ? { shard } : {}),
  };
}

/** --mix and --keys (a mix of inserts only is the default workload: nothing to add). */
function operationFlags(flags: Pick<SynthFlagValues, 'mix' | 'keys'>): {
  mix?: OperationMix;
  keys?: KeyDistribution;
} {
  const mix = flags.mix === undefined ? undefined : parseOperationMix(flags.mix);
  const keys = flags.keys === undefined ? undefined : parseKeyDistribution(flags.keys);
  if (keys && !(mix && !isPureInserts(mix))) {
    throw new Error(
      `--keys ${flags.keys} chooses the ids of updates and deletes: give a --mix with update or delete`,
    );
  }
  if (!mix || isPureInserts(mix)) return {};
  return { mix, keys: keys ?? { kind: 'uniform' } };
}

/** Throws an Error with a one-line message on a bad size (callers turn it into a usage error). */
export function synthWorkload(preset: Preset, flags: WorkloadFlagValues, seed: number) {
  return {
    preset: preset.name,
    frames: flags.frames ?? preset.frames,
    recordsPerFrame: flags['records-per-frame'] ?? preset.recordsPerFrame,
    recordSize:
      flags['record-size'] === undefined
        ? preset.recordSize
        : flagValue('record-size', flags['record-size'], parseSize),
    blobSize:
      flags['blob-size'] === undefined
        ? preset.blobSize
        : flagValue('blob-size', flags['blob-size'], parseSize),
    blobsPerFrame: flags['blobs-per-frame'] ?? preset.blobsPerFrame,
    seed,
  };
}

/** The most a frame the tool builds may hold: a Node buffer's limit is 4 GiB, and no Harper node takes 2 GiB. */
export const MAX_FRAME_BYTES = 2 * 1024 ** 3;

/** Shapes that cannot work, refused before any node is touched. */
function checkShape(workload: ReturnType<typeof synthWorkload>, flags: WorkloadFlagValues): void {
  if (flags['blobs-per-frame'] !== undefined && !(workload.blobSize > 0)) {
    throw new Error(
      '--blobs-per-frame needs blobs: give --blob-size (or a preset with blobs, e.g. blobs-50k)',
    );
  }
  const frameBytes = workload.recordSize * workload.recordsPerFrame;
  if (frameBytes > MAX_FRAME_BYTES) {
    throw new Error(
      `--record-size ${formatBytes(workload.recordSize)} × --records-per-frame ${workload.recordsPerFrame} makes frames of ${formatBytes(frameBytes)}: the most a frame can hold is 2 GiB (lower either)`,
    );
  }
}

/** --database a,b,c or --databases N (named <database>_1 … _N). */
export function databaseList(database: string, count: number | undefined): string[] {
  const names = database
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (!names.length) throw new Error('--database is empty');
  for (const name of names) {
    if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name))
      throw new Error(`--database "${name}" is not a database name`);
  }
  if (count === undefined) return [...new Set(names)];
  if (names.length > 1)
    throw new Error('--databases N names its databases <database>_1 … _N: give one --database');
  return Array.from({ length: count }, (_, i) => `${names[0]}_${i + 1}`);
}
