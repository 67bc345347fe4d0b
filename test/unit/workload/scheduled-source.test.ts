import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseStages } from '../../../src/workload/rate-schedule.js';
import { ScheduledSource } from '../../../src/workload/scheduled-source.js';
import { synthetic } from '../../helpers/synthetic-source.js';

describe('ScheduledSource', () => {
  it('records/s: frame i is due when the schedule has asked for the records before it', () => {
    const source = new ScheduledSource(
      synthetic(300, 100),
      parseStages('5s:0-2000rps,10s:2000rps,5s:2000-0rps'),
    );
    assert.equal(source.due(0), 0);
    // 0→2000 rps over 5 s asks for 200 t² records: 1000 (frame 10) by sqrt(5) s.
    assert.ok(Math.abs(source.due(10)! - Math.sqrt(5) * 1000) < 1e-6);
    assert.ok(Math.abs(source.due(150)! - 10_000) < 1e-6);
    assert.equal(source.stageOf(0), 0);
    assert.equal(source.stageOf(49), 0);
    assert.equal(source.stageOf(50), 1, '5000 records in, the hold begins');
    assert.equal(source.stageOf(299), 2);
    const counts = [0, 0, 0];
    for (let i = 0; i < source.frameCount; i++) counts[source.stageOf(i)!]!++;
    assert.deepEqual(counts, [50, 200, 50]);
  });

  it('frames/s counts frames; past the schedule a frame is not due', () => {
    const source = new ScheduledSource(synthetic(5, 10), parseStages('2s:1fps'));
    assert.deepEqual(
      [0, 1].map((i) => source.due(i)),
      [0, 1000],
    );
    assert.equal(source.due(3), undefined);
    assert.equal(source.stageOf(3), undefined);
  });

  it('passes everything else through', async () => {
    const inner = synthetic(3, 10);
    const source = new ScheduledSource(inner, parseStages('1s:3fps'));
    assert.equal(source.frameCount, 3);
    assert.equal(source.totalRecords, 30);
    assert.equal(source.sequenceId(2), inner.sequenceId(2));
    assert.equal(source.recordsIn(1), 10);
    assert.deepEqual((await source.build(1)).data, (await inner.build(1)).data);
    assert.equal(source.livenessFrame?.().records, inner.livenessFrame().records);
  });
});
