/** A capture file with a known clock: synthetic frames written at chosen offsets (for replay timing tests). */
import { Direction, RecordKind } from '../../src/capture/format.js';
import { CaptureWriter } from '../../src/capture/writer.js';
import { encodeNodeName } from '../../src/protocol/control-frame.js';
import { SyntheticWorkload } from '../../src/workload/synthetic.js';

export async function writeTimedCapture(
  path: string,
  options: { frames: number; recordsPerFrame: number; spacingMs: number; database: string; table: string },
): Promise<SyntheticWorkload> {
  const startedAtMs = Date.now();
  const workload = new SyntheticWorkload({
    frames: options.frames,
    recordsPerFrame: options.recordsPerFrame,
    recordSize: 128,
    blobSize: 0,
    seed: 21,
    tableName: options.table,
    originName: 'timed-source',
    baseVersion: startedAtMs,
    baseSequence: startedAtMs,
  });
  const writer = await CaptureWriter.create(path, {
    tool: 'harper-replay',
    toolVersion: 'test',
    formatVersion: 1,
    mode: 'subscribe',
    startedAtMs,
    startedAt: new Date(startedAtMs).toISOString(),
    source: { url: 'ws://timed-source/', nodeName: 'timed-source' },
    database: options.database,
  });
  writer.event(RecordKind.OPEN, 1, { role: 'subscriber' });
  writer.message(Direction.TO_SOURCE, 1, encodeNodeName('capture-tool', options.database), 2, 0);
  for (const control of workload.preamble(['timed-source']))
    writer.message(Direction.FROM_SOURCE, 1, control, 2, 1000);
  for (let i = 0; i < options.frames; i++) {
    writer.message(Direction.FROM_SOURCE, 1, workload.build(i).data, 2, 2000 + i * options.spacingMs * 1000);
  }
  await writer.close({ endedAtMs: Date.now(), structures: [], reason: 'test' });
  return workload;
}
