/** The synth workload a command's flags describe: a preset with any shape flag overriding it. */
import type { Preset } from '../workload/presets.js';
import { parseSize } from './units.js';

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
