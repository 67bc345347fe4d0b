/** replay's parts that need no node: the frame-size warning (shared with --dry-run) and opening a capture. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PEER_MODE_MAX_FRAME, PUSH_MODE_MAX_FRAME } from '../../../src/protocol/codes.js';
import { openReplay, oversizedFrameWarning } from '../../../src/run/replay-run.js';

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
