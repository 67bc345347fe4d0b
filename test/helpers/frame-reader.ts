/** What a frame source puts on the wire for one frame, as the sharding tests compare it across sources. */
import assert from 'node:assert/strict';
import { summarizeTxnFrame } from '../../src/protocol/txn-frame.js';
import type { FrameSource } from '../../src/workload/synthetic.js';

export interface SentFrame {
  /** The records and version: all but the 10-byte sequence tail, as hex. */
  records: string;
  version: number;
  tail: number;
  due: number | undefined;
}

/** Frame `index` of `source`: its records and version, its tail (checked against the frame's own) and due time. */
export async function frameAt(source: FrameSource, index: number): Promise<SentFrame> {
  const frame = await source.build(index);
  const { txnTime, sequenceId } = summarizeTxnFrame(frame.data);
  assert.equal(sequenceId, frame.sequenceId);
  return {
    records: frame.data.subarray(0, frame.data.length - 10).toString('hex'),
    version: txnTime,
    tail: frame.sequenceId,
    due: source.due?.(index),
  };
}
