/** BufferRecycler: which buffers come back, how many are kept, and that a spare fits a frame a little larger. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BufferRecycler, RECYCLABLE_BYTES } from '../../../src/protocol/frame-buffers.js';

const MB = 1024 * 1024;

describe('BufferRecycler', () => {
  it('a handed-out buffer, recycled, is taken again by a frame that fits it (its view or its whole memory)', () => {
    const buffers = new BufferRecycler();
    const buffer = buffers.take(2 * MB);
    const frame = buffer.subarray(23, 2 * MB - 100);
    buffers.handOut(frame);
    buffers.recycle(frame);
    const again = buffers.take(2 * MB);
    assert.equal(again.buffer, buffer.buffer);
    assert.equal(again.byteOffset, 0, 'the whole memory, from its start');
  });

  it('a new buffer has 1/16 headroom in whole pages: a frame a little larger still takes the spare', () => {
    const buffers = new BufferRecycler();
    assert.equal(buffers.take(100_001).length, 106_496, '100,001 + 6,250 rounded up to 26 pages of 4 KiB');
    const buffer = buffers.take(2 * MB);
    assert.equal(buffer.length, 2 * MB + (2 * MB) / 16);
    buffers.handOut(buffer);
    buffers.recycle(buffer);
    assert.equal(buffers.take(2 * MB + 64 * 1024).buffer, buffer.buffer);
  });

  it('a frame takes the smallest spare that fits it, leaving the larger ones to larger frames', () => {
    const buffers = new BufferRecycler();
    const [large, small] = [buffers.take(4 * MB), buffers.take(MB)];
    for (const buffer of [large, small]) buffers.handOut(buffer);
    for (const buffer of [large, small]) buffers.recycle(buffer);
    assert.equal(buffers.take(MB / 2).buffer, small.buffer);
    assert.equal(buffers.take(3 * MB).buffer, large.buffer);
  });

  it('a spare too small for the frame stays spare; the frame gets new memory', () => {
    const buffers = new BufferRecycler();
    const small = buffers.take(RECYCLABLE_BYTES);
    buffers.handOut(small);
    buffers.recycle(small);
    const large = buffers.take(4 * MB);
    assert.notEqual(large.buffer, small.buffer);
    assert.equal(buffers.take(RECYCLABLE_BYTES).buffer, small.buffer, 'still there for a frame it fits');
  });

  it('never takes back what it did not hand out: a buffer recycled twice, unknown memory, pool slices', () => {
    const buffers = new BufferRecycler();
    const buffer = buffers.take(MB);
    buffers.handOut(buffer);
    buffers.recycle(buffer);
    buffers.recycle(buffer);
    buffers.recycle(Buffer.alloc(MB));
    assert.equal(buffers.take(MB).buffer, buffer.buffer);
    assert.notEqual(buffers.take(MB).buffer, buffer.buffer, 'lent once, not twice');
    const slice = buffers.take(100);
    assert.ok(slice.buffer.byteLength < RECYCLABLE_BYTES, 'below the threshold: a slice of Node’s pool');
    buffers.handOut(slice);
    buffers.recycle(slice);
    assert.notEqual(buffers.take(100).buffer, buffers.take(MB).buffer);
  });

  it('keeps at most 4 spares (bounded memory whatever the sender returns)', () => {
    const buffers = new BufferRecycler();
    const taken = Array.from({ length: 6 }, () => buffers.take(MB));
    for (const buffer of taken) buffers.handOut(buffer);
    for (const buffer of taken) buffers.recycle(buffer);
    const memories = new Set(taken.map((b) => b.buffer));
    const again = Array.from({ length: 6 }, () => buffers.take(MB));
    assert.equal(again.filter((b) => memories.has(b.buffer)).length, 4);
  });
});
