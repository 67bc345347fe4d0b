import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  enhancedPacketBlock,
  interfaceDescriptionBlock,
  LINKTYPE_RAW,
  sectionHeaderBlock,
} from '../../../src/export/pcapng.js';
import { ipv4Of } from '../../../src/export/pcapng-export.js';
import { internetChecksum, MAX_SEGMENT, TcpConversation } from '../../../src/export/tcp-conversation.js';
import { connectionKey, FrameBuilder, upgradeResponse } from '../../../src/export/websocket-frames.js';

/** Walks a buffer of pcapng blocks: type and total length of each, checking the trailing length copy. */
function blocks(data: Buffer): Array<{ type: number; length: number; body: Buffer }> {
  const out = [];
  for (let at = 0; at < data.length; ) {
    const type = data.readUInt32LE(at);
    const length = data.readUInt32LE(at + 4);
    assert.equal(length % 4, 0, 'blocks are 32-bit aligned');
    assert.equal(data.readUInt32LE(at + length - 4), length, 'the length is repeated at the end');
    out.push({ type, length, body: data.subarray(at + 8, at + length - 4) });
    at += length;
  }
  return out;
}

describe('pcapng blocks', () => {
  it('a section header: byte-order magic, version 1.0, unknown section length, options ending with opt_endofopt', () => {
    const [shb] = blocks(sectionHeaderBlock({ application: 'harper-replay 1', comment: 'odd-length!' }));
    assert.equal(shb!.type, 0x0a0d0d0a);
    assert.equal(shb!.body.readUInt32LE(0), 0x1a2b3c4d);
    assert.deepEqual([shb!.body.readUInt16LE(4), shb!.body.readUInt16LE(6)], [1, 0]);
    assert.equal(shb!.body.readBigInt64LE(8), -1n);
    const comment = shb!.body.subarray(16);
    assert.equal(comment.readUInt16LE(0), 1, 'opt_comment');
    assert.equal(comment.readUInt16LE(2), 11);
    assert.equal(comment.subarray(4, 15).toString(), 'odd-length!');
    assert.equal(comment.readUInt16LE(16), 4, 'shb_userappl after 11 bytes padded to 12');
    assert.deepEqual([...shb!.body.subarray(-4)], [0, 0, 0, 0], 'opt_endofopt');
  });

  it('an interface: link type, no snap length, microsecond timestamps', () => {
    const [idb] = blocks(interfaceDescriptionBlock(LINKTYPE_RAW, 'x'));
    assert.equal(idb!.type, 1);
    assert.equal(idb!.body.readUInt16LE(0), 101);
    assert.equal(idb!.body.readUInt32LE(4), 0);
    const tsresol = idb!.body.indexOf(Buffer.from([9, 0, 1, 0, 6]));
    assert.ok(tsresol > 0, 'if_tsresol = 6');
  });

  it('an enhanced packet: 64-bit microsecond timestamp split high/low, lengths, padded data, comment', () => {
    const at = 1_795_330_323_446_123;
    const packet = [Buffer.from([1, 2, 3]), Buffer.from([4, 5])];
    const [epb] = blocks(Buffer.concat(enhancedPacketBlock(at, packet, 'hello')));
    assert.equal(epb!.type, 6);
    const body = epb!.body;
    assert.equal(body.readUInt32LE(0), 0, 'interface 0');
    assert.equal(BigInt(body.readUInt32LE(4)) * 2n ** 32n + BigInt(body.readUInt32LE(8)), BigInt(at));
    assert.deepEqual([body.readUInt32LE(12), body.readUInt32LE(16)], [5, 5]);
    assert.deepEqual([...body.subarray(20, 25)], [1, 2, 3, 4, 5]);
    assert.deepEqual([...body.subarray(25, 28)], [0, 0, 0], 'data padded to 8 bytes');
    assert.equal(body.readUInt16LE(28), 1);
    assert.equal(body.subarray(32, 37).toString(), 'hello');
  });
});

describe('TCP conversation', () => {
  const client = { address: '127.0.0.1', port: 50001 };
  const server = { address: '10.0.0.1', port: 9925 };
  const header = (packet: Buffer[]) => {
    const tcp = packet[1]!;
    return {
      seq: tcp.readUInt32BE(4),
      ack: tcp.readUInt32BE(8),
      flags: tcp[13]!,
      length: packet[2]?.length ?? 0,
      ipLength: packet[0]!.readUInt16BE(2),
    };
  };

  it('the RFC 1071 checksum, also across parts of odd length', () => {
    const data = Buffer.from([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
    assert.equal(internetChecksum([data]), ~0xddf2 & 0xffff, "RFC 1071's worked example");
    assert.equal(
      internetChecksum([data.subarray(0, 3), data.subarray(3, 5), data.subarray(5)]),
      internetChecksum([data]),
    );
    const odd = Buffer.from([1, 2, 3]);
    assert.equal(internetChecksum([odd]), internetChecksum([Buffer.from([1, 2, 3, 0])]), 'zero-padded');
  });

  it('headers carry valid IPv4 and TCP checksums', () => {
    const tcp = new TcpConversation(client, server);
    tcp.open();
    const [packet] = tcp.send('client', [Buffer.from('hello')]);
    assert.equal(internetChecksum([packet![0]!]), 0, 'an IPv4 header with its checksum sums to 0');
    const pseudo = Buffer.alloc(12);
    Buffer.from([127, 0, 0, 1]).copy(pseudo, 0);
    Buffer.from([10, 0, 0, 1]).copy(pseudo, 4);
    pseudo[9] = 6;
    pseudo.writeUInt16BE(25, 10);
    assert.equal(internetChecksum([pseudo, packet![1]!, packet![2]!]), 0, 'so does the TCP segment');
  });

  it('handshake, data and close: sequence and acknowledgement numbers add up', () => {
    const tcp = new TcpConversation(client, server, { client: 100, server: 900 });
    const [syn, synAck, ack] = tcp.open().map(header);
    assert.deepEqual([syn!.seq, syn!.ack, syn!.flags], [100, 0, 0x02]);
    assert.deepEqual([synAck!.seq, synAck!.ack, synAck!.flags], [900, 101, 0x12]);
    assert.deepEqual([ack!.seq, ack!.ack, ack!.flags], [101, 901, 0x10]);
    const big = Buffer.alloc(2 * MAX_SEGMENT + 10, 7);
    const segments = tcp.send('server', [big.subarray(0, 3), big.subarray(3)]).map(header);
    assert.deepEqual(
      segments.map((s) => [s.seq, s.length, s.ipLength]),
      [
        [901, MAX_SEGMENT, 65_535],
        [901 + MAX_SEGMENT, MAX_SEGMENT, 65_535],
        [901 + 2 * MAX_SEGMENT, 10, 50],
      ],
    );
    const [reply] = tcp.send('client', [Buffer.from('x')]).map(header);
    assert.deepEqual([reply!.seq, reply!.ack], [101, 901 + big.length]);
    const [fin, finAck, last] = tcp.close('client').map(header);
    assert.deepEqual([fin!.seq, fin!.flags], [102, 0x11]);
    assert.deepEqual([finAck!.seq, finAck!.ack, finAck!.flags], [901 + big.length, 103, 0x11]);
    assert.deepEqual([last!.seq, last!.ack, last!.flags], [103, 902 + big.length, 0x10]);
  });
});

describe('WebSocket frames for an export', () => {
  it('7-bit, 16-bit and 64-bit lengths; the receiver’s frames masked, the source’s not', () => {
    const frames = new FrameBuilder();
    for (const [size, lengthByte, headerSize] of [
      [125, 125, 2],
      [126, 126, 4],
      [65_535, 126, 4],
      [65_536, 127, 10],
    ] as const) {
      const payload = Buffer.alloc(size, 0xab);
      const plain = Buffer.concat(frames.frame(payload, 2, false));
      assert.equal(plain[0], 0x82, 'FIN + binary');
      assert.equal(plain[1], lengthByte, `length byte for ${size}`);
      assert.equal(plain.length, headerSize + size);
      const masked = Buffer.concat(frames.frame(payload, 2, true));
      assert.equal(masked[1]! & 0x80, 0x80, 'mask bit');
      const mask = masked.subarray(headerSize, headerSize + 4);
      const body = masked.subarray(headerSize + 4);
      assert.ok(
        body.every((byte, i) => (byte ^ mask[i % 4]!) === 0xab),
        'unmasks to the payload',
      );
      assert.equal(payload[0], 0xab, 'the payload itself is left alone');
    }
  });

  it('the same messages frame to the same bytes (masks from a counter)', () => {
    const a = new FrameBuilder();
    const b = new FrameBuilder();
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(
        Buffer.concat(a.frame(Buffer.from('msg'), 2, true)),
        Buffer.concat(b.frame(Buffer.from('msg'), 2, true)),
      );
    }
  });

  it('close frames carry a code, except 1005/1006 which are never sent', () => {
    const frames = new FrameBuilder();
    const close = Buffer.concat(frames.close(1001, 'bye', false));
    assert.deepEqual(
      [close[0], close[1], close.readUInt16BE(2), close.subarray(4).toString()],
      [0x88, 5, 1001, 'bye'],
    );
    assert.deepEqual([...Buffer.concat(frames.close(1005, '', false))], [0x88, 0]);
  });

  it('the upgrade response accepts the key as RFC 6455 says', () => {
    // RFC 6455 section 1.3's example key and accept value.
    assert.match(
      upgradeResponse('dGhlIHNhbXBsZSBub25jZQ==').toString(),
      /Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=/,
    );
    assert.equal(Buffer.from(connectionKey(7), 'base64').length, 16);
    assert.notEqual(connectionKey(1), connectionKey(2));
  });

  it('addresses: IPv4 literals and localhost as they are, anything else left to the fallback', () => {
    assert.equal(ipv4Of('127.0.0.1'), '127.0.0.1');
    assert.equal(ipv4Of('::ffff:10.1.2.3'), '10.1.2.3');
    assert.equal(ipv4Of('localhost'), '127.0.0.1');
    assert.equal(ipv4Of('node-a.example'), undefined);
    assert.equal(ipv4Of('[::1]'), undefined);
    assert.equal(ipv4Of(undefined), undefined);
  });
});
