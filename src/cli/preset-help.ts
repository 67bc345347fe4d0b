/**
 * What the shape flags default to, resolved per preset, for --help: a flag without a default of its own takes its
 * --preset's value, so the help shows that value for every preset rather than "(default: from the preset)".
 */
import { formatBytes } from '../common/units.js';
import { DEFAULT_PRESET, PRESETS, type Preset, presetNames } from '../workload/presets.js';

/** A shape flag and how a preset's value for it reads. */
interface ShapeColumn {
  flag: string;
  /** The column's short header (the table fits 80 columns). */
  header: string;
  value: (preset: Preset) => string;
}

const COLUMNS: ShapeColumn[] = [
  { flag: 'frames', header: 'frames', value: (p) => p.frames.toLocaleString('en-US') },
  {
    flag: 'records-per-frame',
    header: 'records/frame',
    value: (p) => p.recordsPerFrame.toLocaleString('en-US'),
  },
  { flag: 'record-size', header: 'record', value: (p) => formatBytes(p.recordSize) },
  { flag: 'blob-size', header: 'blob', value: (p) => (p.blobSize > 0 ? formatBytes(p.blobSize) : 'none') },
  {
    flag: 'blobs-per-frame',
    header: 'blobs/frame',
    value: (p) => (p.blobSize > 0 ? (p.blobsPerFrame?.toLocaleString('en-US') ?? 'all') : '-'),
  },
];

/** The shape flags a table can show (bench has all but --blobs-per-frame). */
export type ShapeFlag = 'frames' | 'records-per-frame' | 'record-size' | 'blob-size' | 'blobs-per-frame';

/** The shape flags of synth, and of bench (all but --blobs-per-frame). */
export const SYNTH_SHAPE_FLAGS: ShapeFlag[] = [
  'frames',
  'records-per-frame',
  'record-size',
  'blob-size',
  'blobs-per-frame',
];
export const BENCH_SHAPE_FLAGS: ShapeFlag[] = SYNTH_SHAPE_FLAGS.filter((flag) => flag !== 'blobs-per-frame');

/** The help's note on a shape flag's default: its value in the default preset, the others in the table. */
export function presetDefaultNote(flag: ShapeFlag): string {
  const value = COLUMNS.find((column) => column.flag === flag)!.value(PRESETS[DEFAULT_PRESET]!);
  return `Default: the --preset's (${value} in ${DEFAULT_PRESET}; every preset under "Preset defaults").`;
}

/** A table of every preset's value for each of `flags`, the default preset marked, aligned for a terminal. */
export function presetDefaultsTable(flags: ShapeFlag[]): string {
  const columns = COLUMNS.filter((column) => flags.includes(column.flag as ShapeFlag));
  const rows = [
    ['preset', ...columns.map((column) => column.header)],
    ...presetNames().map((name) => [
      name === DEFAULT_PRESET ? `${name}*` : name,
      ...columns.map((column) => column.value(PRESETS[name]!)),
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const lines = rows.map((row) =>
    row
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
  const flagNames = columns.map((column) => `--${column.flag}`).join(', ');
  return `Preset defaults of ${flagNames} (* the default --preset; a flag given overrides its preset's value):\n${lines.join('\n')}`;
}
