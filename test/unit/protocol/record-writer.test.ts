import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addExtension, Packr } from 'msgpackr';
import {
  stringHeaderSize,
  writeExtension,
  writeInteger,
  writeRecordStart,
  writeStringBytes,
  writeStringHeader,
} from '../../../src/protocol/record-writer.js';
import { randomInt, seeded } from '../support.js';

const KEYS = ['id', 'frame', 'payload'];

function packWithMsgpackr(value: Record<string, unknown>): Buffer {
  // msgpackr mutates its structures array: give every Packr a fresh one whose slot 0 is our key list.
  const packr = new Packr({ structures: [[...KEYS]] });
  return Buffer.from(packr.pack(value));
}

function asciiText(random: () => number, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = 0x20 + Math.floor(random() * 95);
  return out;
}

function writeRecord(id: number, frame: number, payload: Buffer, slot = 0): Buffer {
  const target = Buffer.alloc(payload.length + 64, 0xee);
  const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
  let pos = writeRecordStart(target, 0, slot);
  pos = writeInteger(target, pos, id, view);
  pos = writeInteger(target, pos, frame, view);
  // Write the payload from the middle of a larger source to exercise `start`.
  const source = Buffer.concat([Buffer.from('xyz'), payload, Buffer.from('!')]);
  pos = writeStringBytes(target, pos, source, 3, payload.length, view);
  return target.subarray(0, pos);
}

describe('record-writer', () => {
  it('writeRecordStart writes 0x40 | slot and rejects slots outside 0–63', () => {
    const target = Buffer.alloc(2);
    assert.equal(writeRecordStart(target, 1, 0), 2);
    assert.equal(target[1], 0x40);
    writeRecordStart(target, 0, 63);
    assert.equal(target[0], 0x7f);
    assert.throws(() => writeRecordStart(target, 0, 64), RangeError);
    assert.throws(() => writeRecordStart(target, 0, -1), RangeError);
  });

  it('stringHeaderSize follows the msgpack str header sizes', () => {
    assert.equal(stringHeaderSize(0), 1);
    assert.equal(stringHeaderSize(31), 1);
    assert.equal(stringHeaderSize(32), 2);
    assert.equal(stringHeaderSize(255), 2);
    assert.equal(stringHeaderSize(256), 3);
    assert.equal(stringHeaderSize(65535), 3);
    assert.equal(stringHeaderSize(65536), 5);
  });

  it('integers at every width boundary match msgpackr record encoding', () => {
    const values = [
      0,
      1,
      0x1f,
      0x20,
      0x3f,
      0x40,
      0x7f,
      0x80,
      0xff,
      0x100,
      0xffff,
      0x10000,
      0xffffffff,
      0x100000000,
      2 ** 40,
      2 ** 53 - 1,
      -1,
      -0x20,
      -0x21,
      -0x80,
      -0x81,
      -0x8000,
      -0x8001,
      -0x80000000,
      -0x80000001,
      -(2 ** 40),
    ];
    for (const id of values) {
      const payload = Buffer.from('p');
      const mine = writeRecord(id, 0, payload);
      const theirs = packWithMsgpackr({ id, frame: 0, payload: 'p' });
      assert.equal(mine.toString('hex'), theirs.toString('hex'), `id ${id}`);
    }
  });

  it('strings at every header boundary match msgpackr', () => {
    const random = seeded(3);
    for (const length of [0, 1, 31, 32, 255, 256, 65535, 65536, 70000]) {
      const payload = asciiText(random, length);
      const mine = writeRecord(7, 1, payload);
      const theirs = packWithMsgpackr({ id: 7, frame: 1, payload: payload.toString('latin1') });
      assert.equal(mine.length, theirs.length, `length ${length}`);
      assert.ok(mine.equals(theirs), `payload length ${length}`);
      assert.equal(mine.length, 1 + 1 + 1 + stringHeaderSize(length) + length);
    }
  });

  it('writeStringHeader writes exactly the header writeStringBytes writes, at every boundary', () => {
    for (const length of [0, 1, 31, 32, 255, 256, 65535, 65536, 70000]) {
      const text = Buffer.alloc(length, 0x61);
      const whole = Buffer.alloc(length + 8, 0xee);
      const head = Buffer.alloc(8, 0xee);
      const end = writeStringBytes(whole, 1, text, 0, length, new DataView(whole.buffer, whole.byteOffset));
      const headEnd = writeStringHeader(head, 1, length, new DataView(head.buffer, head.byteOffset));
      assert.equal(headEnd, 1 + stringHeaderSize(length), `length ${length}`);
      assert.equal(end - length, headEnd, `length ${length}`);
      assert.deepEqual(head.subarray(0, headEnd), whole.subarray(0, headEnd), `length ${length}`);
    }
  });

  it('seeded random {id, frame, payload} records are byte-identical to msgpackr', () => {
    const random = seeded(0xabcdef);
    const lengthClasses: [number, number][] = [
      [0, 31],
      [32, 255],
      [256, 65535],
      [65536, 70000],
    ];
    const packr = new Packr({ structures: [[...KEYS]] });
    for (let i = 0; i < 400; i++) {
      const magnitude = [0x3f, 0xff, 0xffff, 0xffffffff, 2 ** 40][i % 5]!;
      const sign = random() < 0.25 ? -1 : 1;
      const id = sign * randomInt(random, 0, magnitude);
      const frame = randomInt(random, 0, 100000);
      // Long payloads are costly: use the 64 KiB+ class on a fraction of iterations.
      const [min, max] = lengthClasses[i % 20 === 0 ? 3 : i % 3]!;
      const payload = asciiText(random, randomInt(random, min, max));
      const record = { id, frame, payload: payload.toString('latin1') };
      const mine = writeRecord(id, frame, payload);
      const theirs = packr.pack(record);
      assert.ok(
        mine.equals(theirs),
        `record ${i}: id ${id}, frame ${frame}, payload ${payload.length} B: ` +
          `${mine.subarray(0, 24).toString('hex')} vs ${Buffer.from(theirs).subarray(0, 24).toString('hex')}`,
      );
      // And msgpackr reads our bytes back as the same object.
      assert.deepEqual(packr.unpack(mine), record);
    }
  });

  it('writeExtension headers: fixext d4–d8, ext8 c7, ext16 c8, ext32 c9', () => {
    const expected: [number, string][] = [
      [1, 'd40b'],
      [2, 'd50b'],
      [4, 'd60b'],
      [8, 'd70b'],
      [16, 'd80b'],
      [3, 'c7030b'],
      [20, 'c7140b'],
      [255, 'c7ff0b'],
      [300, 'c8012c0b'],
      [70000, 'c9000111700b'],
    ];
    for (const [size, header] of expected) {
      const payload = Buffer.alloc(size, 0x5a);
      const target = Buffer.alloc(size + 8);
      const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
      const end = writeExtension(target, 0, 11, payload, view);
      const headerBytes = header.length / 2;
      assert.equal(end, headerBytes + size, `size ${size}`);
      assert.equal(target.subarray(0, headerBytes).toString('hex'), header, `size ${size}`);
      assert.ok(target.subarray(headerBytes, end).equals(payload));
    }
  });

  it('writeExtension matches msgpackr for ext payload sizes 1,2,4,8,16,20,300,70000', () => {
    class Probe {
      constructor(readonly bytes: Uint8Array) {}
    }
    const type = 0x31;
    addExtension({
      Class: Probe,
      type,
      pack: (probe: Probe) => probe.bytes,
      unpack: (bytes: Uint8Array) => new Probe(Buffer.from(bytes)),
    });
    const random = seeded(11);
    const packr = new Packr({ useRecords: false });
    for (const size of [1, 2, 4, 8, 16, 20, 300, 70000]) {
      const payload = Buffer.alloc(size);
      for (let i = 0; i < size; i++) payload[i] = Math.floor(random() * 256);
      const theirs = Buffer.from(packr.pack(new Probe(payload)));
      const target = Buffer.alloc(size + 8);
      const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
      const end = writeExtension(target, 0, type, payload, view);
      assert.equal(target.subarray(0, end).toString('hex'), theirs.toString('hex'), `size ${size}`);
    }
  });
});
