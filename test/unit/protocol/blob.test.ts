import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Packr, pack, unpack } from 'msgpackr';
import {
  BlobReference,
  blobChunkFrames,
  decodeBlobReferencePayload,
  encodeBlobReferencePayload,
  registerBlobExtension,
} from '../../../src/protocol/blob.js';
import { BLOB_CHUNK_SIZE, BLOB_EXTENSION_TYPE } from '../../../src/protocol/codes.js';
import { decodeControlFrame, encodeBlobChunk } from '../../../src/protocol/control-frame.js';
import { randomBytes, seeded } from '../support.js';

function decodeChunks(frames: Buffer[]) {
  return frames.map((frame) => {
    const decoded = decodeControlFrame(frame);
    assert.equal(decoded.type, 'BLOB_CHUNK');
    if (decoded.type !== 'BLOB_CHUNK') throw new Error('unreachable');
    return decoded;
  });
}

describe('blob references', () => {
  it('encode/decode round trip of a file-backed reference', () => {
    const payload = encodeBlobReferencePayload('abc123', 51200, 2);
    assert.deepEqual(unpack(payload), [{ size: 51200 }, 2, 'abc123']);
    const ref = decodeBlobReferencePayload(payload);
    assert.ok(ref instanceof BlobReference);
    assert.equal(ref.fileId, 'abc123');
    assert.equal(ref.storageIndex, 2);
    assert.equal(ref.size, 51200);
    assert.equal(ref.content, undefined);
    assert.deepEqual(ref.toJSON(), { blob: 'file', fileId: 'abc123', size: 51200, storageIndex: 2 });
  });

  it('storage index defaults to 0', () => {
    const ref = decodeBlobReferencePayload(encodeBlobReferencePayload('f', 0));
    assert.equal(ref.storageIndex, 0);
    assert.equal(ref.size, 0);
    assert.equal(ref.fileId, 'f');
  });

  it('decodes inline references [options, content]', () => {
    const content = Buffer.from('hello blob');
    const ref = decodeBlobReferencePayload(pack([{ type: 'text/plain' }, content]));
    assert.equal(ref.fileId, undefined);
    assert.deepEqual(Buffer.from(ref.content!), content);
    assert.equal(ref.size, content.length, 'size falls back to the content length');
    assert.deepEqual(ref.toJSON(), { blob: 'inline', size: content.length, options: { type: 'text/plain' } });
  });

  it('rejects payloads that are not [options, …] with an Error', () => {
    for (const bad of [pack('x'), pack([]), pack([1, 2, 'f']), pack([null, 0, 'f']), pack({ size: 1 })]) {
      assert.throws(() => decodeBlobReferencePayload(bad), Error);
    }
  });

  it('registered ext 11 packs and unpacks BlobReference through msgpackr', () => {
    registerBlobExtension();
    registerBlobExtension(); // idempotent
    const packr = new Packr({ structures: [] });
    const ref = new BlobReference({ size: 99 }, 'beef', 0);
    const bytes = packr.pack({ blob: ref });
    // [{size: 99}, 0, 'beef'] in plain msgpack is 16 bytes: a fixext16 (d8) of type 11.
    const payload = pack([{ size: 99 }, 0, 'beef']);
    assert.equal(payload.length, 16);
    const ext = Buffer.concat([Buffer.from([0xd8, BLOB_EXTENSION_TYPE]), payload]);
    assert.ok(Buffer.from(bytes).includes(ext), Buffer.from(bytes).toString('hex'));
    const back = packr.unpack(bytes) as { blob: BlobReference };
    assert.ok(back.blob instanceof BlobReference);
    assert.equal(back.blob.fileId, 'beef');
    assert.equal(back.blob.size, 99);
  });
});

describe('blobChunkFrames', () => {
  it('splits 600,000 bytes into 256 KiB chunks, finished only on the last', () => {
    const content = randomBytes(seeded(5), 600_000);
    const frames = [...blobChunkFrames('file-1', content)];
    assert.equal(BLOB_CHUNK_SIZE, 262144);
    assert.equal(frames.length, 3);
    const chunks = decodeChunks(frames);
    assert.deepEqual(
      chunks.map((c) => c.chunk.length),
      [262144, 262144, 600_000 - 2 * 262144],
    );
    assert.deepEqual(
      chunks.map((c) => c.header.finished === true),
      [false, false, true],
    );
    for (const c of chunks) {
      assert.equal(c.header.fileId, 'file-1');
      assert.equal(c.header.size, 600_000);
    }
    assert.equal(
      chunks.reduce((sum, c) => sum + c.chunk.length, 0),
      600_000,
    );
    assert.ok(Buffer.concat(chunks.map((c) => c.chunk)).equals(content), 'chunks carry the identical bytes');
    // The non-final headers do not even carry a finished key.
    assert.equal('finished' in chunks[0]!.header, false);
  });

  it('an exact multiple of the chunk size does not produce an empty trailing chunk', () => {
    const content = Buffer.alloc(2 * BLOB_CHUNK_SIZE, 7);
    const chunks = decodeChunks([...blobChunkFrames('f', content)]);
    assert.equal(chunks.length, 2);
    assert.equal(chunks[1]!.header.finished, true);
    assert.equal(chunks[1]!.chunk.length, BLOB_CHUNK_SIZE);
  });

  it('honours a custom chunk size', () => {
    const content = Buffer.from('0123456789');
    const chunks = decodeChunks([...blobChunkFrames('f', content, 4)]);
    assert.deepEqual(
      chunks.map((c) => c.chunk.toString()),
      ['0123', '4567', '89'],
    );
  });

  it('an empty blob gives one finished chunk', () => {
    const frames = [...blobChunkFrames('empty', Buffer.alloc(0))];
    assert.equal(frames.length, 1);
    const [chunk] = decodeChunks(frames);
    assert.deepEqual(chunk!.header, { fileId: 'empty', size: 0, finished: true });
    assert.equal(chunk!.chunk.length, 0);
  });

  it('a small blob is a single finished chunk, byte-identical to encodeBlobChunk', () => {
    const content = Buffer.from('tiny');
    const frames = [...blobChunkFrames('t', content)];
    assert.equal(frames.length, 1);
    assert.ok(frames[0]!.equals(encodeBlobChunk({ fileId: 't', size: 4, finished: true }, content)));
    assert.deepEqual(unpack(frames[0]!), [146, { fileId: 't', size: 4, finished: true }, content]);
  });
});
