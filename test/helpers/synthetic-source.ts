/** The plain synthetic workload the source-wrapper tests (open-ended, scheduled) wrap: no blobs, no mix. */
import { SyntheticWorkload } from '../../src/workload/synthetic.js';

/** `frames` frames of `recordsPerFrame` 64-byte records into table t, from origin o. */
export function synthetic(frames: number, recordsPerFrame = 10): SyntheticWorkload {
  return new SyntheticWorkload({
    frames,
    recordsPerFrame,
    recordSize: 64,
    blobSize: 0,
    seed: 1,
    tableName: 't',
    originName: 'o',
    baseVersion: 1_800_000_000_000,
    baseSequence: 1_800_000_000_000,
  });
}
