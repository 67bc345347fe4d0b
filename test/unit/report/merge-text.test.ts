/** The summary's shard section: the set, one line per shard with its own figures, the skew, what is wrong. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MergeSummary, ShardFigures } from '../../../src/report/merge-summary.js';
import { mergeLines } from '../../../src/report/merge-text.js';

const shard = (index: number, overrides: Partial<ShardFigures> = {}): ShardFigures => ({
  index,
  path: `/results/shard-${index}.ndjson`,
  toolNodeName: `harper-replay-run-7-${index}`,
  outcome: 'complete',
  exitCode: 0,
  finished: true,
  samplesTarget: index === 0,
  sentRecords: 1000 + index,
  committedRecords: 1000 + index,
  sendRecordsPerSec: 5000,
  commitRecordsPerSec: 4000,
  ackP99Ms: 12.5,
  firstSendOffsetMs: 3 * index,
  ...overrides,
});

const summary = (overrides: Partial<MergeSummary> = {}): MergeSummary => ({
  runId: 'run-7',
  count: 3,
  complete: true,
  missing: [],
  unfinished: [],
  problems: [],
  shards: [shard(0), shard(1), shard(2)],
  skew: { startAt: 1_700_000_000_000, firstSendSpreadMs: 6, runStartSpreadMs: 40 },
  ...overrides,
});

describe('mergeLines', () => {
  it('nothing for a run that was not merged', () => {
    assert.deepEqual(mergeLines(undefined), []);
  });

  it('the set, then one line per shard with its records, rates, ack p99, start offset and peer name', () => {
    const lines = mergeLines(summary());
    assert.equal(lines[1], 'Shards (report --merge) — run run-7: 3 of 3 folded, complete');
    const first = lines.find((l) => l.includes('shard 0'))!;
    assert.match(first, /COMPLETE \(exit 0\)/);
    assert.match(first, /1,000 sent, 1,000 committed/);
    assert.match(first, /send 5,000 rec\/s, commit 4,000 rec\/s/);
    assert.match(first, /ack p99 13 ms/);
    assert.match(first, /first frame \+0\.00 ms/);
    assert.match(first, /harper-replay-run-7-0, samples the target/);
    assert.match(lines.find((l) => l.includes('shard 2'))!, /1,002 sent.*first frame \+6\.00 ms.*run-7-2$/);
    assert.match(
      lines.join('\n'),
      /first frames 6\.00 ms apart, run starts 40 ms apart \(seen, not corrected\)/,
    );
  });

  it('an incomplete set: INCOMPLETE, a killed shard without run-end, every problem on its own line', () => {
    const lines = mergeLines(
      summary({
        complete: false,
        missing: [1],
        shards: [
          shard(0),
          shard(2, { finished: false, outcome: 'interrupted', exitCode: 130, ackP99Ms: null }),
        ],
        problems: ['missing shard 1 of 3', 'shard 2 (/results/shard-2.ndjson) ended without its run-end'],
      }),
    );
    assert.match(lines[1]!, /2 of 3 folded, INCOMPLETE$/);
    assert.match(lines.find((l) => l.includes('shard 2 '))!, /NO RUN-END \(exit 130\).*ack p99 –/);
    assert.deepEqual(
      lines.filter((l) => l.startsWith('  problem: ')),
      [
        '  problem: missing shard 1 of 3',
        '  problem: shard 2 (/results/shard-2.ndjson) ended without its run-end',
      ],
    );
  });

  it('a shard that sent nothing, and one that started before --start-at', () => {
    const lines = mergeLines(
      summary({
        shards: [shard(0, { firstSendOffsetMs: -20 }), shard(1, { firstSendOffsetMs: null, sentRecords: 0 })],
        skew: { startAt: null, firstSendSpreadMs: null, runStartSpreadMs: null },
      }),
    );
    assert.match(lines.find((l) => l.includes('shard 0'))!, /first frame -20 ms/);
    assert.match(lines.find((l) => l.includes('shard 1'))!, /no frame sent/);
    assert.ok(!lines.some((l) => l.includes('skew')));
  });
});
