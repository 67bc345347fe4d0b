import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CodecError,
  readVarint,
  varintSize,
  writeVarint,
  writeVarintWidth,
} from '../../../src/protocol/varint.js';
import { expectCodecError, randomInt, seeded } from '../support.js';

type Width = 1 | 2 | 4 | 5;

const encode = (value: number): Buffer => {
  const target = Buffer.alloc(8, 0xee);
  const end = writeVarint(target, 0, value);
  return target.subarray(0, end);
};

describe('varint', () => {
  const boundaries: [number, Width, string][] = [
    [0, 1, '00'],
    [0x7f, 1, '7f'],
    [0x80, 2, '8080'],
    [0x3fff, 2, 'bfff'],
    [0x4000, 4, 'c0004000'],
    [0x3effffff, 4, 'feffffff'],
    [0x3f000000, 5, 'ff3f000000'],
    [0xffffffff, 5, 'ffffffffff'],
  ];

  for (const [value, width, hex] of boundaries) {
    it(`writes 0x${value.toString(16)} minimally as ${hex} and reads it back`, () => {
      assert.equal(varintSize(value), width);
      const bytes = encode(value);
      assert.equal(bytes.toString('hex'), hex);
      assert.equal(bytes.length, width);
      assert.deepEqual(readVarint(bytes, 0), { value, next: width });
    });
  }

  it('reads at a position inside a larger buffer and reports the next position', () => {
    const target = Buffer.alloc(16);
    let pos = writeVarint(target, 3, 0x4000);
    pos = writeVarint(target, pos, 5);
    assert.equal(pos, 8);
    const first = readVarint(target, 3);
    assert.deepEqual(first, { value: 0x4000, next: 7 });
    assert.deepEqual(readVarint(target, first.next), { value: 5, next: 8 });
  });

  it('decodes wider-than-minimal encodings to the same value', () => {
    const widths: Width[] = [1, 2, 4, 5];
    for (const value of [0, 1, 0x7f, 0x80, 0x3fff, 0x4000, 0x3effffff, 0x3f000000, 0xffffffff]) {
      for (const width of widths) {
        if (width < varintSize(value)) continue;
        const target = Buffer.alloc(8);
        const end = writeVarintWidth(target, 1, value, width);
        assert.equal(end, 1 + width, `width ${width} of ${value}`);
        assert.deepEqual(readVarint(target, 1), { value, next: 1 + width }, `width ${width} of ${value}`);
      }
    }
  });

  it('refuses widths that are too small and values out of range with RangeError', () => {
    const target = Buffer.alloc(8);
    assert.throws(() => writeVarintWidth(target, 0, 0x80, 1), RangeError);
    assert.throws(() => writeVarintWidth(target, 0, 0x4000, 2), RangeError);
    assert.throws(() => writeVarintWidth(target, 0, 0x3f000000, 4), RangeError);
    assert.throws(() => writeVarint(target, 0, -1), RangeError);
    assert.throws(() => writeVarint(target, 0, 1.5), RangeError);
    assert.throws(() => writeVarint(target, 0, 0x100000000), RangeError);
    assert.throws(() => writeVarint(target, 0, Number.NaN), RangeError);
  });

  it('throws CodecError naming the offset when the input is truncated', () => {
    for (const value of [0x80, 0x4000, 0x3f000000]) {
      const full = Buffer.concat([Buffer.from([1, 2, 3]), encode(value)]);
      for (let cut = 3; cut < full.length; cut++) {
        const error = expectCodecError(
          () => readVarint(full.subarray(0, cut), 3),
          `value ${value} cut at ${cut}`,
        );
        assert.equal(error.offset, 3);
        assert.match(error.message, /at byte 3\)/);
        // The explicit `end` bound is honoured the same way.
        expectCodecError(() => readVarint(full, 3, cut));
      }
    }
    const error = expectCodecError(() => readVarint(Buffer.alloc(0), 0));
    assert.equal(error.offset, 0);
    assert.ok(error instanceof Error);
    assert.equal(error.name, 'CodecError');
    expectCodecError(() => readVarint(Buffer.from([5]), 1));
  });

  it('CodecError carries its offset in the message and as a property', () => {
    const error = new CodecError('boom', 42);
    assert.equal(error.offset, 42);
    assert.equal(error.message, 'boom (at byte 42)');
  });

  it('round-trips thousands of seeded random values with minimal width', () => {
    const random = seeded(0x5eed);
    const ranges: [number, number, Width][] = [
      [0, 0x7f, 1],
      [0x80, 0x3fff, 2],
      [0x4000, 0x3effffff, 4],
      [0x3f000000, 0xffffffff, 5],
    ];
    const target = Buffer.alloc(5 * 4000);
    const written: number[] = [];
    let pos = 0;
    for (let i = 0; i < 4000; i++) {
      const [min, max, width] = ranges[i % 4]!;
      const value = randomInt(random, min, max);
      assert.equal(varintSize(value), width, `size of ${value}`);
      const next = writeVarint(target, pos, value);
      assert.equal(next - pos, width, `width of ${value}`);
      const read = readVarint(target, pos);
      assert.equal(read.value, value);
      assert.equal(read.next, next);
      written.push(value);
      pos = next;
    }
    // Sequential decoding of the concatenation gives the same values back.
    let at = 0;
    for (const value of written) {
      const read = readVarint(target, at, pos);
      assert.equal(read.value, value);
      at = read.next;
    }
    assert.equal(at, pos);
  });
});
