/** replay's parts that need no node: the frame-size warning (shared with --dry-run) and opening a capture. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PEER_MODE_MAX_FRAME, PUSH_MODE_MAX_FRAME } from '../../../src/protocol/codes.js';
import {
  openReplay,
  oversizedFrameWarning,
  replayShardBase,
  replaySources,
} from '../../../src/run/replay-run.js';
import { shardBaseTime } from '../../../src/workload/shard.js';
import type { ShardedSource } from '../../../src/workload/sharded-source.js';
import type { FrameSource } from '../../../src/workload/synthetic.js';
import { frameAt, type SentFrame } from '../../helpers/frame-reader.js';

describe('oversizedFrameWarning', () => {
  it('says nothing up to the limit of the mode, and names the size, the limit and what to do above it', () => {
    assert.equal(oversizedFrameWarning(PEER_MODE_MAX_FRAME, 'peer'), undefined);
    assert.equal(oversizedFrameWarning(PUSH_MODE_MAX_FRAME, 'push'), undefined);
    assert.equal(
      oversizedFrameWarning(PEER_MODE_MAX_FRAME + 1, 'peer'),
      "the capture's largest frame (100.0 MiB) exceeds the 100 MiB a 4.7 node accepts on connections it opened (peer mode): expect close 1009; use --via push",
    );
    assert.match(
      oversizedFrameWarning(PUSH_MODE_MAX_FRAME + 2 ** 20, 'push') ?? '',
      /exceeds the 10240 MiB .* from a pushing client/,
    );
    assert.equal(oversizedFrameWarning(PEER_MODE_MAX_FRAME + 1, 'push'), undefined, 'push takes 10 GiB');
  });
});

describe('openReplay', () => {
  it('indexes a committed capture for a flat-out replay: its frames, records and connection', async () => {
    const source = await openReplay('captures/catchup-40x500.hrcap', {
      speed: Number.POSITIVE_INFINITY,
      loops: 1,
      fromFrame: 0,
      retime: true,
      origin: 'self',
    });
    try {
      // As `inspect` counts them: 42 transaction frames (40 × 500 records, plus the table's setup writes), 20,003 records.
      assert.equal(source.frameCount, 42);
      assert.equal(source.totalRecords, 20_003);
      assert.deepEqual(
        source.sources.map((s) => s.connection),
        [1],
      );
      assert.equal(oversizedFrameWarning(source.largestFrame, 'peer'), undefined);
    } finally {
      await source.close();
    }
  });
});

describe('replayShardBase', () => {
  it('the common start when given; without it never before the capture ended (every shard alike)', async () => {
    const capture = await openReplay('captures/catchup-40x500.hrcap', {
      speed: Number.POSITIVE_INFINITY,
      loops: 1,
      fromFrame: 0,
      retime: true,
      origin: 'self',
    });
    try {
      // inspect: started 2026-11-22T06:52:01.222Z, span 2.17 s (its frames; the last record comes a little later).
      const ended = Date.parse('2026-11-22T06:52:01.222Z') + 2170;
      assert.ok(Math.abs(capture.index.endedAtMs - ended) < 100, `${capture.index.endedAtMs - ended} ms off`);
      const shard = { spec: { index: 0, count: 2 }, runId: 'x' };
      assert.ok(
        shardBaseTime(shard) < ended,
        'the run id alone would give versions before the captured ones',
      );
      assert.equal(replayShardBase(capture, shard), Math.ceil(capture.index.endedAtMs) + 1000);
      const startAt = Date.UTC(2027, 0, 1);
      assert.equal(replayShardBase(capture, { ...shard, startAt }), startAt);
    } finally {
      await capture.close();
    }
  });
});

describe('replaySources with --shard', () => {
  const open = () =>
    openReplay('captures/catchup-40x500.hrcap', {
      speed: 1,
      loops: 1,
      fromFrame: 0,
      retime: true,
      origin: 'self',
    });

  it('for n = 1…4 the stripes send the capture’s records once, versions and due times alike, tails after now', async () => {
    for (const startAt of [undefined, Date.UTC(2030, 0, 1)]) {
      const run = { runId: 'rep', ...(startAt === undefined ? {} : { startAt }) };
      const wholeCapture = await open();
      const versions = replayShardBase(wholeCapture, { ...run, spec: { index: 0, count: 1 } });
      // The unsharded replay on the shards' version base (tails too: the base is after now).
      const whole = replaySources(wholeCapture, new Map(), 'me', undefined, versions) as FrameSource;
      const expected = [];
      for (let i = 0; i < whole.frameCount; i++) expected.push(await frameAt(whole, i));
      await wholeCapture.close();
      for (let count = 1; count <= 4; count++) {
        const got: Array<SentFrame> = [];
        for (let index = 0; index < count; index++) {
          const capture = await open();
          const now = Date.now();
          const shard = replaySources(capture, new Map(), 'me', { ...run, spec: { index, count } }, now);
          const stripe = shard as ShardedSource;
          let previousTail = 0;
          for (let k = 0; k < stripe.frameCount; k++) {
            const frame = await frameAt(stripe, k);
            // 4.7.29 asks a new peer to start at now − 60 s: a tail at or below it would not be sent.
            assert.ok(frame.tail > now && frame.tail > frame.version && frame.tail > previousTail);
            previousTail = frame.tail;
            const position = stripe.positionOf(k);
            assert.equal(got[position], undefined, `frame ${position} sent twice`);
            got[position] = startAt === undefined ? { ...frame, tail: expected[position]!.tail } : frame;
          }
          await capture.close();
        }
        assert.deepEqual(got, expected, `${count} shards, start ${startAt}`);
      }
    }
  });
});
