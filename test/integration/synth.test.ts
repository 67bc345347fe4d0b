/**
 * synth end to end against one real harperdb 4.7.29 (shared by the tests of this file): records land, values and
 * blobs read back identical, both ways in (peer and push), and the tool leaves no hdb_nodes row behind.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExitCode } from '../../src/common/errors.js';
import { runSynth, type SynthResult, type SynthRunOptions } from '../../src/run/synth-run.js';
import { PRESETS } from '../../src/workload/presets.js';
import { SyntheticWorkload } from '../../src/workload/synthetic.js';
import { declareAttributes, hdbNodeNames, nodeForFile, readRecordsCbor } from '../helpers/harper.js';
import { synthRunOptions, targetOf } from '../helpers/synth-options.js';

const node = nodeForFile();

function options(
  table: string,
  workload: SynthRunOptions['workload'],
  overrides: Partial<SynthRunOptions> = {},
): SynthRunOptions {
  return synthRunOptions({ target: targetOf(node()), table, workload, ...overrides });
}

/** The same records the run generated (the workload is deterministic from the seed). */
function generator(result: SynthResult, table: string): SyntheticWorkload {
  const w = result.workload;
  return new SyntheticWorkload({
    ...w,
    tableName: table,
    originName: w.toolNodeName,
    baseVersion: 0,
    baseSequence: 0,
  });
}

async function assertNoToolRow(): Promise<void> {
  const names = await hdbNodeNames(node().client());
  assert.deepEqual(
    names.filter((name) => name.startsWith('harper-replay-')),
    [],
    `hdb_nodes still lists the tool: ${names.join(', ')}`,
  );
}

describe('synth into a real harperdb 4.7.29', () => {
  it('lands exactly the 20,000 records of catchup-40x500, field for field', async () => {
    const preset = PRESETS['catchup-40x500']!;
    const result = await runSynth(options('catchup', { ...preset, seed: 7, preset: preset.name }));
    assert.equal(result.outcome, 'complete', result.error);
    assert.equal(result.exitCode, ExitCode.OK);
    assert.equal(result.sent.records, 20_000);
    assert.equal(result.committed.frames, 40);
    assert.equal(result.committed.records, 20_000);
    assert.equal(result.verify.targetRecords, 20_000);
    assert.equal(result.verify.ok, true);
    assert.equal(result.target.nodeName, node().nodeName);
    assert.ok(result.committed.ackLatencyMs.p50 !== null && result.committed.ackLatencyMs.p50 > 0);

    const count = await node().client().sql<{ c: number }>('SELECT COUNT(*) AS c FROM data.catchup');
    assert.equal(count[0]!.c, 20_000);

    await declareAttributes(node().client(), 'data', 'catchup', ['generation', 'payload']);
    const workload = generator(result, 'catchup');
    const ids = Array.from({ length: 60 }, (_, i) => 1 + Math.floor((i * 19_999) / 59));
    const rows = await node().client().searchById('data', 'catchup', ids, ['id', 'generation', 'payload']);
    assert.equal(rows.length, ids.length);
    const byId = new Map(rows.map((row) => [row.id, row]));
    for (const id of ids) {
      const expected = workload.expectedRecord(id);
      assert.deepEqual(
        byId.get(id),
        { id: expected.id, generation: expected.generation, payload: expected.payload },
        `record ${id}`,
      );
    }
    await assertNoToolRow();
  });

  for (const via of ['peer', 'push'] as const) {
    it(`lands one frame of 10,000 records via ${via}`, async () => {
      const table = `oneframe_${via}`;
      const result = await runSynth(
        options(
          table,
          { frames: 1, recordsPerFrame: 10_000, recordSize: 256, blobSize: 0, seed: 3 },
          { via },
        ),
      );
      assert.equal(result.outcome, 'complete', result.error);
      assert.equal(result.sent.frames, 1);
      assert.ok(result.sent.bytes > 10_000 * 256, `one frame carries every record (${result.sent.bytes} B)`);
      assert.equal(result.committed.frames, 1);
      assert.equal(result.verify.targetRecords, 10_000);
      await assertNoToolRow();
    });
  }

  it('stores blobs byte-identical to what was sent', async () => {
    const result = await runSynth(
      options('blobs', { frames: 3, recordsPerFrame: 4, recordSize: 128, blobSize: 50 * 1024, seed: 11 }),
    );
    assert.equal(result.outcome, 'complete', result.error);
    assert.equal(result.sent.blobs, 12);
    assert.equal(result.sent.blobBytes, 12 * 50 * 1024);
    assert.equal(result.verify.targetRecords, 12);
    // 4.7.29's system_information gives each worker's memory outside its heap (where blob chunks wait).
    assert.ok((result.memory.external.peakThread ?? 0) > 0, 'external memory sampled');
    assert.ok((result.memory.external.peakThreadArrayBuffers ?? 0) > 0, 'array buffers sampled');
    assert.ok(result.memory.external.baselineThread !== null, 'a baseline before the first frame');
    await declareAttributes(node().client(), 'data', 'blobs', ['generation', 'payload', 'blob']);
    const workload = generator(result, 'blobs');
    const ids = Array.from({ length: 12 }, (_, i) => i + 1);
    const rows = await readRecordsCbor(node(), 'data', 'blobs', ids, ['id', 'generation', 'payload', 'blob']);
    assert.equal(rows.length, 12);
    for (const row of rows) {
      const id = row.id as number;
      const expected = workload.expectedRecord(id);
      assert.equal(row.payload, expected.payload, `payload of ${id}`);
      assert.ok(row.blob instanceof Uint8Array, `blob of ${id} is bytes`);
      assert.ok(Buffer.from(row.blob).equals(workload.blobContent(id)), `blob of ${id} is byte-identical`);
    }
    await assertNoToolRow();
  });
});
