import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import {
  CaptureFormatError,
  DEFAULT_MAX_RECORD_LENGTH,
  Direction,
  encodePreamble,
  encodeRecordHead,
  FORMAT_VERSION,
  isKnownKind,
  MAGIC,
  MAX_HEADER_LENGTH,
  PREAMBLE_LENGTH,
  RECORD_HEAD_LENGTH,
  RECORD_TRAILER_LENGTH,
  RecordKind,
  recordChecksum,
  redactUrl,
} from '../../../src/capture/format.js';
import { makeHeader } from './support.js';

describe('capture format constants and encoders', () => {
  it('has the documented magic, version and sizes', () => {
    assert.equal(MAGIC.toString('hex'), '48524341500d0a1a');
    assert.equal(MAGIC.length, 8);
    assert.equal(FORMAT_VERSION, 1);
    assert.equal(PREAMBLE_LENGTH, 14);
    assert.equal(RECORD_HEAD_LENGTH, 23, '19 bytes of fields and their CRC-32');
    assert.equal(RECORD_TRAILER_LENGTH, 4);
    assert.equal(MAX_HEADER_LENGTH, 16 * 1024 * 1024);
    assert.ok(DEFAULT_MAX_RECORD_LENGTH >= 100 * 1024 * 1024, 'default bound is above what Harper sends');
    assert.deepEqual(RecordKind, { MESSAGE: 1, OPEN: 2, CLOSE: 3, FOOTER: 4 });
    assert.deepEqual(Direction, { FROM_SOURCE: 0, TO_SOURCE: 1 });
  });

  it('encodes the preamble: magic, u16 version, u32 length, UTF-8 JSON, CRC-32 of the JSON', () => {
    const header = makeHeader();
    const out = encodePreamble(header);
    const json = Buffer.from(JSON.stringify(header), 'utf8');
    assert.ok(json.length > JSON.stringify(header).length, 'the header holds multi-byte characters');
    assert.equal(out.length, PREAMBLE_LENGTH + json.length + 4);
    assert.ok(out.subarray(0, 8).equals(MAGIC));
    assert.equal(out.readUInt16BE(8), 1);
    assert.equal(out.readUInt32BE(10), json.length);
    assert.ok(out.subarray(14, 14 + json.length).equals(json));
    assert.equal(out.readUInt32BE(14 + json.length), crc32(json));
    assert.deepEqual(JSON.parse(out.subarray(14, 14 + json.length).toString('utf8')), header);
  });

  it('refuses a header over 16 MiB', () => {
    const header = makeHeader({ padding: 'x'.repeat(MAX_HEADER_LENGTH) });
    assert.throws(() => encodePreamble(header), /too large/);
  });

  it('encodes a record head field by field (big-endian)', () => {
    const head = encodeRecordHead(
      RecordKind.MESSAGE,
      Direction.TO_SOURCE,
      0xfedcba98,
      2 ** 40 + 7,
      2,
      0x01020304,
    );
    assert.equal(head.length, RECORD_HEAD_LENGTH);
    assert.equal(
      head.toString('hex'),
      `0101fedcba98${(2n ** 40n + 7n).toString(16).padStart(16, '0')}0201020304${crc32(head.subarray(0, 19)).toString(16).padStart(8, '0')}`,
    );
    assert.equal(
      head.readUInt32BE(19),
      crc32(Buffer.from(head.toString('hex').slice(0, 38), 'hex')),
      'the head checksum covers the fields',
    );
    assert.equal(head[0], 1);
    assert.equal(head[1], 1);
    assert.equal(head.readUInt32BE(2), 0xfedcba98);
    assert.equal(head.readBigUInt64BE(6), 2n ** 40n + 7n);
    assert.equal(head[14], 2);
    assert.equal(head.readUInt32BE(15), 0x01020304);
  });

  it('rounds fractional times and clamps negative times to 0', () => {
    const at = (timeUs: number) =>
      encodeRecordHead(RecordKind.OPEN, Direction.FROM_SOURCE, 1, timeUs, 0, 0).readBigUInt64BE(6);
    assert.equal(at(1.4), 1n);
    assert.equal(at(1.6), 2n);
    assert.equal(at(-5), 0n);
    assert.equal(at(0), 0n);
    assert.equal(at(Number.MAX_SAFE_INTEGER), BigInt(Number.MAX_SAFE_INTEGER));
  });

  it('record checksum is the CRC-32 of head and payload together', () => {
    const payload = Buffer.from('hello capture');
    const head = encodeRecordHead(RecordKind.MESSAGE, Direction.FROM_SOURCE, 3, 1234, 2, payload.length);
    assert.equal(recordChecksum(head, payload), crc32(Buffer.concat([head, payload])));
    const changed = Buffer.from(head);
    changed[1] = 1;
    assert.notEqual(recordChecksum(changed, payload), recordChecksum(head, payload));
    assert.equal(recordChecksum(head, Buffer.alloc(0)), crc32(head));
  });

  it('knows exactly kinds 1–4', () => {
    const known = [];
    for (let kind = 0; kind < 256; kind++) if (isKnownKind(kind)) known.push(kind);
    assert.deepEqual(known, [1, 2, 3, 4]);
  });

  it('redacts user info from URLs, parsable or not', () => {
    assert.equal(redactUrl('wss://admin:secret@host:9925/path?q=1'), 'wss://host:9925/path?q=1');
    assert.equal(redactUrl('https://user@host/'), 'https://host/');
    assert.equal(redactUrl('wss://host:9925/'), 'wss://host:9925/');
    const unparsable = redactUrl('not a url //admin:secret@host');
    assert.ok(!unparsable.includes('secret'), unparsable);
    assert.ok(!unparsable.includes('admin'), unparsable);
  });

  it('CaptureFormatError names its offset in the message and as a property', () => {
    const error = new CaptureFormatError('boom', 42);
    assert.ok(error instanceof Error);
    assert.equal(error.name, 'CaptureFormatError');
    assert.equal(error.offset, 42);
    assert.equal(error.message, 'boom (at byte 42)');
  });
});
