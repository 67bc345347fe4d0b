/** The synth workload a command's flags describe: a preset with any shape flag overriding it. */

import { parseSize } from '../common/units.js';
import type { Preset } from '../workload/presets.js';

export interface WorkloadFlagValues {
  frames?: number;
  'records-per-frame'?: number;
  'record-size'?: string;
  'blob-size'?: string;
  'blobs-per-frame'?: number;
}

/** Throws an Error with a one-line message on a bad size (callers turn it into a usage error). */
export function synthWorkload(preset: Preset, flags: WorkloadFlagValues, seed: number) {
  return {
    preset: preset.name,
    frames: flags.frames ?? preset.frames,
    recordsPerFrame: flags['records-per-frame'] ?? preset.recordsPerFrame,
    recordSize: flags['record-size'] === undefined ? preset.recordSize : parseSize(flags['record-size']),
    blobSize: flags['blob-size'] === undefined ? preset.blobSize : parseSize(flags['blob-size']),
    blobsPerFrame: flags['blobs-per-frame'] ?? preset.blobsPerFrame,
    seed,
  };
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
