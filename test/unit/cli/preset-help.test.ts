/** --help shows each preset's value of every shape flag, not "(default: from the preset)". */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Bench from '../../../commands/bench.js';
import Synth from '../../../commands/synth.js';
import { benchFlags } from '../../../src/cli/bench-options.js';
import {
  BENCH_SHAPE_FLAGS,
  presetDefaultNote,
  presetDefaultsTable,
  SYNTH_SHAPE_FLAGS,
} from '../../../src/cli/preset-help.js';
import { synthFlags } from '../../../src/cli/workload-flags.js';
import { formatBytes } from '../../../src/common/units.js';
import { DEFAULT_PRESET, PRESETS, presetNames } from '../../../src/workload/presets.js';

/** The table's row of one preset, split into its cells. */
function row(table: string, preset: string): string[] {
  const line = table.split('\n').find((l) => l.startsWith(`${preset} `) || l.startsWith(`${preset}*`));
  assert.ok(line, `a row for ${preset}`);
  return line.split(/\s{2,}/);
}

describe('preset defaults in --help', () => {
  it("synth's table gives every preset's resolved frames, records per frame, record, blob sizes and blobs per frame", () => {
    const table = presetDefaultsTable(SYNTH_SHAPE_FLAGS);
    assert.ok(presetNames().length >= 4);
    for (const name of presetNames()) {
      const preset = PRESETS[name]!;
      const blobs = preset.blobSize > 0;
      assert.deepEqual(row(table, name), [
        name === DEFAULT_PRESET ? `${name}*` : name,
        preset.frames.toLocaleString('en-US'),
        preset.recordsPerFrame.toLocaleString('en-US'),
        formatBytes(preset.recordSize),
        blobs ? formatBytes(preset.blobSize) : 'none',
        blobs ? (preset.blobsPerFrame?.toLocaleString('en-US') ?? 'all') : '-',
      ]);
    }
    assert.match(
      table,
      /^Preset defaults of --frames, --records-per-frame, --record-size, --blob-size, --blobs-per-frame/,
    );
    assert.ok(
      table
        .split('\n')
        .slice(1)
        .every((line) => line.length <= 76),
      'rows fit a terminal of 80 columns with the help indent',
    );
  });

  it("bench's table has no --blobs-per-frame column (bench has no such flag)", () => {
    const table = presetDefaultsTable(BENCH_SHAPE_FLAGS);
    assert.doesNotMatch(table, /blobs-per-frame|blobs\/frame/);
    assert.equal(row(table, 'blobs-50k').length, 5);
  });

  it("is in the help of synth and bench, and each shape flag names the default preset's value", () => {
    assert.ok(String(Synth.description).includes(presetDefaultsTable(SYNTH_SHAPE_FLAGS)));
    assert.ok(String(Bench.description).includes(presetDefaultsTable(BENCH_SHAPE_FLAGS)));
    const preset = PRESETS[DEFAULT_PRESET]!;
    assert.equal(
      presetDefaultNote('frames'),
      `Default: the --preset's (${preset.frames} in ${DEFAULT_PRESET}; every preset under "Preset defaults").`,
    );
    assert.match(
      presetDefaultNote('records-per-frame'),
      new RegExp(`\\(${preset.recordsPerFrame.toLocaleString('en-US')} in `),
    );
    for (const flag of SYNTH_SHAPE_FLAGS)
      assert.ok(String(synthFlags[flag].summary).endsWith(presetDefaultNote(flag)), `synth --${flag}`);
    for (const flag of BENCH_SHAPE_FLAGS)
      assert.ok(
        String(benchFlags[flag as keyof typeof benchFlags].summary).endsWith(presetDefaultNote(flag)),
        `bench --${flag}`,
      );
  });
});
