/**
 * The benchmarks' input: a capture of about `targetBytes` of synthetic frames (10,000 × 256 B records, ~2.8 MB
 * each), written the way a subscriber writes one. Returns how many data frames it holds.
 */
import { Direction } from '../src/capture/format.js';
import { CaptureWriter } from '../src/capture/writer.js';
import { SyntheticWorkload } from '../src/workload/synthetic.js';

export async function generateCapture(path: string, targetBytes: number, seed: number): Promise<number> {
  const workload = new SyntheticWorkload({
    frames: 1_000_000,
    recordsPerFrame: 10_000,
    recordSize: 256,
    blobSize: 0,
    seed,
    tableName: 'bench',
    originName: 'bench-source',
    baseVersion: Date.now(),
    baseSequence: Date.now(),
  });
  const now = Date.now();
  const writer = await CaptureWriter.create(path, {
    tool: 'harper-replay',
    toolVersion: 'bench',
    formatVersion: 1,
    mode: 'subscribe',
    startedAtMs: now,
    startedAt: new Date(now).toISOString(),
    source: { url: 'ws://127.0.0.1:9925/' },
    database: 'data',
  });
  for (const control of workload.preamble(['bench-source']))
    writer.message(Direction.FROM_SOURCE, 1, control);
  let frames = 0;
  while (writer.bytesWritten + 8e6 < targetBytes) {
    writer.message(Direction.FROM_SOURCE, 1, workload.build(frames).data, 2, frames * 1000);
    frames++;
    await writer.drained();
  }
  await writer.close({ endedAtMs: Date.now(), structures: [], reason: 'bench' });
  return frames;
}
