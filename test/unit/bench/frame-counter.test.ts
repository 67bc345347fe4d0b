/**
 * The bench's discarding peer counts messages without keeping them (bench/frame-counter.ts): frames built by ws's
 * own Sender, masked and not, of every length encoding, fragmented, with control frames between, fed in chunks
 * split at every byte of the headers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ws from 'ws';
import { FrameCounter, headerSize } from '../../../bench/frame-counter.js';

type FrameOptions = { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean };
const { frame } = (ws as unknown as { Sender: { frame(data: Buffer, options: FrameOptions): Buffer[] } })
  .Sender;

function wire(payload: Buffer, opcode: number, mask: boolean, fin = true): Buffer {
  return Buffer.concat(frame(payload, { fin, opcode, mask, readOnly: false, rsv1: false }));
}

/** Payload lengths at each of the length encodings' edges (7-bit, 16-bit, 64-bit). */
const LENGTHS = [0, 1, 125, 126, 65_535, 65_536, 300_000];

function stream(mask: boolean): { bytes: Buffer; messages: number; payloadBytes: number } {
  const parts: Buffer[] = [];
  let payloadBytes = 0;
  for (const length of LENGTHS) {
    parts.push(wire(Buffer.alloc(length, 0x81), 2, mask));
    payloadBytes += length;
  }
  // A message in three fragments with a ping between them: one message.
  parts.push(wire(Buffer.alloc(10, 1), 2, mask, false));
  parts.push(wire(Buffer.from('ping'), 0x9, mask));
  parts.push(wire(Buffer.alloc(20, 2), 0, mask, false));
  parts.push(wire(Buffer.alloc(30, 3), 0, mask, true));
  payloadBytes += 60;
  parts.push(wire(Buffer.from([0x03, 0xe8]), 0x8, mask));
  return { bytes: Buffer.concat(parts), messages: LENGTHS.length + 1, payloadBytes };
}

describe('FrameCounter', () => {
  for (const mask of [false, true]) {
    it(`${mask ? 'masked (client)' : 'unmasked (server)'} frames: messages and payload bytes, control frames not counted`, () => {
      const { bytes, messages, payloadBytes } = stream(mask);
      let events = 0;
      const counter = new FrameCounter(() => events++);
      counter.push(bytes);
      assert.equal(counter.messages, messages);
      assert.equal(events, messages);
      assert.equal(counter.payloadBytes, payloadBytes);
    });

    it(`${mask ? 'masked' : 'unmasked'}: the same counts whatever the chunking (split at every header byte)`, () => {
      const { bytes, messages, payloadBytes } = stream(mask);
      // Every split point within the first frames' headers, then chunks of 7 and 4,096 bytes.
      for (let split = 1; split < 40; split++) {
        const counter = new FrameCounter();
        counter.push(bytes, 0, split);
        counter.push(bytes, split, bytes.length);
        assert.equal(counter.messages, messages, `split at ${split}`);
        assert.equal(counter.payloadBytes, payloadBytes, `split at ${split}`);
      }
      for (const size of [7, 4096]) {
        const counter = new FrameCounter();
        for (let at = 0; at < bytes.length; at += size) counter.push(bytes.subarray(at, at + size));
        assert.equal(counter.messages, messages, `chunks of ${size}`);
        assert.equal(counter.payloadBytes, payloadBytes, `chunks of ${size}`);
      }
    });
  }

  it('headerSize: 2 until the length byte is known, then 2 + extended length + mask', () => {
    assert.equal(headerSize(Buffer.from([0x82]), 1), 2);
    assert.equal(headerSize(Buffer.from([0x82, 0x05]), 2), 2);
    assert.equal(headerSize(Buffer.from([0x82, 0x85]), 2), 6);
    assert.equal(headerSize(Buffer.from([0x82, 0x7e]), 2), 4);
    assert.equal(headerSize(Buffer.from([0x82, 0xfe]), 2), 8);
    assert.equal(headerSize(Buffer.from([0x82, 0x7f]), 2), 10);
    assert.equal(headerSize(Buffer.from([0x82, 0xff]), 2), 14);
  });
});
