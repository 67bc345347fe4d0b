/** Sender-side blob faults: the spec parsed strictly, which blob gets which fault, and the chunks each fault sends. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BLOB_CHUNK_SIZE } from '../../../src/protocol/codes.js';
import { decodeControlFrame, encodeBlobChunk } from '../../../src/protocol/control-frame.js';
import {
  faultedChunk,
  faultedChunks,
  faultOf,
  INJECTED_ERROR,
  parseBlobFaults,
} from '../../../src/workload/blob-faults.js';
import { SyntheticWorkload } from '../../../src/workload/synthetic.js';

/** Each chunk as [fileId, size, finished, error, bytes]. */
function decoded(chunks: Buffer[]) {
  return chunks.map((chunk) => {
    const frame = decodeControlFrame(chunk);
    assert.equal(frame.type, 'BLOB_CHUNK');
    if (frame.type !== 'BLOB_CHUNK') throw new Error('unreachable');
    return [
      frame.header.fileId,
      frame.header.size,
      frame.header.finished ?? false,
      frame.header.error,
      frame.chunk.length,
    ];
  });
}

describe('parseBlobFaults', () => {
  it('reads KIND:EVERY lists', () => {
    assert.deepEqual(parseBlobFaults('error:7'), [{ kind: 'error', every: 7 }]);
    assert.deepEqual(parseBlobFaults(' withhold:3 , orphan:1'), [
      { kind: 'withhold', every: 3 },
      { kind: 'orphan', every: 1 },
    ]);
  });

  const bad: Array<[string, RegExp]> = [
    ['', /is not KIND:EVERY/],
    ['error', /is not KIND:EVERY/],
    ['error:', /is not KIND:EVERY/],
    ['error:-1', /is not KIND:EVERY/],
    ['error:0', /EVERY must be 1 or more/],
    ['lost:7', /unknown kind "lost"; known: error, withhold, truncate, orphan/],
    ['error:7,error:3', /error is given twice/],
    ['error:7;withhold:3', /is not KIND:EVERY/],
  ];
  for (const [text, message] of bad) {
    it(`refuses ${JSON.stringify(text)}`, () => assert.throws(() => parseBlobFaults(text), message));
  }
});

describe('faultOf', () => {
  it('blob n gets the first kind whose EVERY divides n', () => {
    const faults = parseBlobFaults('error:7,withhold:3');
    const kinds = Array.from({ length: 21 }, (_, i) => faultOf(faults, i + 1) ?? '-');
    assert.deepEqual(
      kinds.map((k, i) => [i + 1, k]).filter(([, k]) => k !== '-'),
      [
        [3, 'withhold'],
        [6, 'withhold'],
        [7, 'error'],
        [9, 'withhold'],
        [12, 'withhold'],
        [14, 'error'],
        [15, 'withhold'],
        [18, 'withhold'],
        [21, 'error'],
      ],
    );
  });
});

describe('faultedChunks', () => {
  const content = Buffer.alloc(BLOB_CHUNK_SIZE + 1000, 7);
  const size = content.length;

  it('no fault: the blob in 256 KiB pieces, finished on the last', () => {
    assert.deepEqual(decoded(faultedChunks(undefined, 'f1', content)), [
      ['f1', size, false, undefined, BLOB_CHUNK_SIZE],
      ['f1', size, true, undefined, 1000],
    ]);
  });

  it('error: the same pieces, the last one carrying the error', () => {
    assert.deepEqual(decoded(faultedChunks('error', 'f1', content)), [
      ['f1', size, false, undefined, BLOB_CHUNK_SIZE],
      ['f1', size, true, INJECTED_ERROR, 1000],
    ]);
  });

  it('withhold: no chunk at all', () => {
    assert.deepEqual(faultedChunks('withhold', 'f1', content), []);
  });

  it('truncate: half the bytes, then finished short of the declared size', () => {
    const chunks = decoded(faultedChunks('truncate', 'f1', content));
    assert.deepEqual(chunks, [
      ['f1', size, false, undefined, Math.floor(size / 2)],
      ['f1', size, true, undefined, 0],
    ]);
  });

  it('orphan: the blob as usual, then its last piece as a whole transfer for a fileId no record has', () => {
    const chunks = decoded(faultedChunks('orphan', 'f1', content));
    assert.deepEqual(chunks.slice(0, 2), decoded(faultedChunks(undefined, 'f1', content)));
    const last = size - BLOB_CHUNK_SIZE;
    assert.deepEqual(chunks[2], ['f1-orphan', last, true, undefined, last]);
    assert.equal(chunks.length, 3);
  });
});

describe('faultedChunk (a captured blob, chunk by chunk)', () => {
  const header = (finished?: boolean) => ({ fileId: 'c1', size: 10, ...(finished ? { finished } : {}) });
  const pieces = [
    { header: header(), chunk: Buffer.alloc(4, 1), passed: 0 },
    { header: header(), chunk: Buffer.alloc(4, 2), passed: 4 },
    { header: header(true), chunk: Buffer.alloc(2, 3), passed: 8 },
  ];
  const raw = pieces.map((p) => encodeBlobChunk(p.header, p.chunk));
  const apply = (kind: Parameters<typeof faultedChunk>[0]) =>
    decoded(pieces.flatMap((p, i) => faultedChunk(kind, raw[i]!, p.header, p.chunk, p.passed)));

  it('truncate cuts at half the declared size across chunks, then one finished chunk', () => {
    assert.deepEqual(apply('truncate'), [
      ['c1', 10, false, undefined, 4],
      ['c1', 10, false, undefined, 1],
      ['c1', 10, true, undefined, 0],
    ]);
  });

  it('error marks only the last chunk; withhold sends none; orphan adds the last piece as its own transfer', () => {
    assert.deepEqual(
      apply('error').map((c) => c[3]),
      [undefined, undefined, INJECTED_ERROR],
    );
    assert.deepEqual(apply('withhold'), []);
    assert.deepEqual(apply('orphan').slice(3), [['c1-orphan', 2, true, undefined, 2]]);
    assert.deepEqual(apply(undefined), decoded(raw));
  });
});

describe('SyntheticWorkload with blob faults', () => {
  it('faults the blobs in record order across frames and counts them per frame', () => {
    const workload = new SyntheticWorkload({
      frames: 3,
      recordsPerFrame: 4,
      recordSize: 64,
      blobSize: 1000,
      blobsPerFrame: 2,
      seed: 1,
      tableName: 't',
      originName: 'tool',
      baseVersion: 1,
      baseSequence: 1,
      blobFaults: parseBlobFaults('withhold:2,error:3'),
    });
    // Blobs 1–6, two per frame: 2 withheld, 3 error, 4 withheld, 6 withheld (2 divides 6 first).
    const frames = [0, 1, 2].map((i) => workload.build(i));
    assert.deepEqual(
      frames.map((f) => f.blobFaults ?? {}),
      [{ withhold: 1 }, { error: 1, withhold: 1 }, { withhold: 1 }],
    );
    assert.deepEqual(
      frames.map((f) => f.blobChunks.length),
      [1, 1, 1],
      'one chunk per 1000-byte blob, none for a withheld one',
    );
    const plain = new SyntheticWorkload({ ...workload.options, blobFaults: undefined });
    assert.equal(plain.build(0).blobFaults, undefined);
    assert.equal(plain.build(0).blobChunks.length, 2);
  });
});
