/** The example captures committed in captures/ (made by the tool against harperdb 4.7.29) read as documented. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CaptureInspector, type CaptureSummary, type DecodedRecord } from '../../../src/capture/inspect.js';
import { CaptureReader } from '../../../src/capture/reader.js';
import { ReplaySource } from '../../../src/workload/replay-source.js';

const file = (name: string) => fileURLToPath(new URL(`../../../../captures/${name}`, import.meta.url));

async function inspect(name: string): Promise<{ summary: CaptureSummary; records: DecodedRecord[] }> {
  const reader = await CaptureReader.open(file(name));
  const inspector = new CaptureInspector();
  const records: DecodedRecord[] = [];
  for await (const record of reader.records()) records.push(...inspector.add(record, true));
  await reader.close();
  return { summary: inspector.summary(reader.status), records };
}

describe('committed captures', () => {
  it('live 4.7.29 data has nothing the codec cannot fully decode (no false unknowns)', async () => {
    for (const name of [
      'catchup-40x500.hrcap',
      'blobs-12x50k.hrcap',
      'proxy-two-nodes.hrcap',
      'proxy-three-databases.hrcap',
    ]) {
      const { summary } = await inspect(name);
      assert.ok(summary.records.total > 0, name);
      assert.equal(summary.records.notFullyDecoded, 0, `${name}: ${JSON.stringify(summary.undecoded[0])}`);
      assert.equal(
        summary.controlFramesWithUnknownParts,
        0,
        `${name}: ${JSON.stringify(summary.undecoded[0])}`,
      );
      assert.equal(summary.records.withAdditionalAuditRefs, 0, name);
    }
  });

  it('catchup-40x500: 40 inserts of 500, an upsert and a delete, from the audit log', async () => {
    const { summary, records } = await inspect('catchup-40x500.hrcap');
    assert.equal(summary.truncated, false);
    assert.equal(summary.frames.byType.TRANSACTION, 42);
    assert.deepEqual(summary.records.byType, { put: 20_001, delete: 2 });
    assert.deepEqual(summary.records.byTable, { dog: 20_003 });
    assert.equal(summary.records.perFrame.max, 500);
    assert.deepEqual(records[41]!.value, { id: 42, name: 'dog 42', age: 1 });
    const upsert = records.find((r) => r.key === 1 && (r.value as { name?: string })?.name === 'Rex');
    assert.deepEqual(upsert?.value, { id: 1, name: 'Rex', age: 4 });
    assert.deepEqual(
      records.filter((r) => r.type === 'delete').map((r) => r.key),
      [2, 3],
    );
  });

  it('the replayer indexes catchup-40x500 as inspect sees it: frames, records, largest frame, schedule', async () => {
    const { summary } = await inspect('catchup-40x500.hrcap');
    const source = await ReplaySource.open(file('catchup-40x500.hrcap'), {
      speed: 1,
      loops: 2,
      fromFrame: 0,
      retime: true,
      origin: 'capture',
    });
    try {
      assert.equal(source.framesPerLoop, 42);
      assert.equal(source.frameCount, 84);
      assert.equal(source.totalRecords, 2 * 20_003);
      assert.equal(source.largestFrame, summary.largestFrame!.bytes);
      assert.deepEqual(
        [...source.tables.values()].map((t) => t.name),
        ['dog'],
      );
      assert.equal(source.due(0), 0);
      assert.ok(source.due(41)! > 0, 'the captured clock is kept');
      assert.equal(source.due(42), source.due(41), 'the second loop starts where the first ended');
      assert.equal(source.originalAcks.count, 1, 'one tail, acked once');
    } finally {
      await source.close();
    }
  });

  it('blobs-12x50k: Harper’s full copy with one 50 KiB BLOB_CHUNK per record', async () => {
    const { summary, records } = await inspect('blobs-12x50k.hrcap');
    assert.equal(summary.records.total, 12);
    assert.equal(summary.blobs.count, 12);
    assert.equal(summary.blobs.bytes, 12 * 50 * 1024);
    for (const record of records) {
      const value = record.value as { blob?: { size?: number; fileId?: string } };
      assert.equal(value.blob?.size, 50 * 1024, `record ${String(record.key)} refers to a 50 KiB blob`);
      assert.ok(value.blob?.fileId, 'file-backed');
    }
  });

  it('proxy-two-nodes: both directions, acks from the receiver, no credential', async () => {
    const { summary } = await inspect('proxy-two-nodes.hrcap');
    assert.equal(summary.records.byTable.cat, 20);
    assert.ok(summary.frames.toSource > 0 && summary.frames.fromSource > 0);
    assert.ok((summary.frames.byType.COMMITTED_UPDATE ?? 0) >= 10);
    const reader = await CaptureReader.open(file('proxy-two-nodes.hrcap'));
    for await (const record of reader.records()) {
      assert.doesNotMatch(
        record.payload.toString('latin1'),
        /Basic [A-Za-z0-9+/=]{8,}/,
        `record at ${record.offset}`,
      );
    }
    await reader.close();
  });
});
