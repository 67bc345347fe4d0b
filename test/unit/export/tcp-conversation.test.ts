import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type Endpoint,
  internetChecksum,
  MAX_SEGMENT,
  type Packet,
  TcpConversation,
} from '../../../src/export/tcp-conversation.js';

const FIN = 0x01;
const SYN = 0x02;
const PSH = 0x08;
const ACK = 0x10;

const CLIENT: Endpoint = { address: '10.1.2.3', port: 40_001 };
const SERVER: Endpoint = { address: '192.168.0.200', port: 9933 };

/** The checksum written the long way: 16-bit big-endian words of the concatenation, one's-complement sum. */
function referenceChecksum(bytes: Buffer): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) {
    sum += (bytes[i]! << 8) | (bytes[i + 1] ?? 0);
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  return ~sum & 0xffff;
}

interface Parsed {
  source: string;
  destination: string;
  sourcePort: number;
  destinationPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  ipId: number;
  ttl: number;
  payload: Buffer;
}

const ipText = (bytes: Buffer, at: number) => [...bytes.subarray(at, at + 4)].join('.');

/** Parses one packet and checks everything a receiver (or Wireshark) would check. */
function parsePacket(packet: Packet): Parsed {
  const bytes = Buffer.concat(packet);
  assert.equal(bytes[0], 0x45, 'IPv4, 20-byte header');
  assert.equal(bytes.readUInt16BE(2), bytes.length, 'IP total length');
  assert.equal(bytes[6], 0x40, "don't fragment");
  assert.equal(bytes[7], 0, 'fragment offset');
  assert.equal(bytes[9], 6, 'protocol TCP');
  assert.equal(referenceChecksum(bytes.subarray(0, 20)), 0, 'IP header checksum verifies');
  const tcp = bytes.subarray(20);
  assert.equal(tcp[12]! >> 4, 5, 'TCP data offset 5 words');
  const pseudo = Buffer.alloc(12);
  bytes.copy(pseudo, 0, 12, 20);
  pseudo[9] = 6;
  pseudo.writeUInt16BE(tcp.length, 10);
  assert.equal(referenceChecksum(Buffer.concat([pseudo, tcp])), 0, 'TCP checksum verifies');
  assert.equal(tcp.readUInt16BE(18), 0, 'no urgent pointer');
  return {
    source: ipText(bytes, 12),
    destination: ipText(bytes, 16),
    sourcePort: tcp.readUInt16BE(0),
    destinationPort: tcp.readUInt16BE(2),
    seq: tcp.readUInt32BE(4),
    ack: tcp.readUInt32BE(8),
    flags: tcp[13]!,
    window: tcp.readUInt16BE(14),
    ipId: bytes.readUInt16BE(4),
    ttl: bytes[8]!,
    payload: Buffer.from(tcp.subarray(20)),
  };
}

const pattern = (length: number, seed = 0): Buffer => {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return out;
};

describe('internetChecksum', () => {
  it('known values: RFC 1071’s example, an IPv4 header, edge cases', () => {
    const cases: Array<[string, number]> = [
      // RFC 1071 §3: the sum of 0001 f203 f4f5 f6f7 is ddf2 (its complement 220d).
      ['0001f203f4f5f6f7', 0x220d],
      // A textbook IPv4 header with its checksum field zeroed; its checksum is b861.
      ['450000730000400040110000c0a80001c0a800c7', 0xb861],
      ['', 0xffff],
      ['00', 0xffff],
      ['ff', 0x00ff],
      ['ffff', 0x0000],
      ['0102', 0xfefd],
      ['010203', 0xfbfd],
    ];
    for (const [hex, checksum] of cases) {
      assert.equal(internetChecksum([Buffer.from(hex, 'hex')]), checksum, hex);
    }
  });

  it('a header with its checksum written in verifies to 0', () => {
    const header = Buffer.from('450000730000400040110000c0a80001c0a800c7', 'hex');
    header.writeUInt16BE(internetChecksum([header]), 10);
    assert.equal(internetChecksum([header]), 0);
  });

  it('property: the same as the long-hand checksum of the concatenation, however the bytes are split', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 8 }), (parts) => {
        const buffers = parts.map((p) => Buffer.from(p));
        assert.equal(internetChecksum(buffers), referenceChecksum(Buffer.concat(buffers)));
      }),
      { numRuns: 1000 },
    );
  });

  it('a large payload (sum past 32 bits) still folds correctly', () => {
    const big = Buffer.alloc(300_000, 0xff);
    assert.equal(internetChecksum([big]), referenceChecksum(big));
    const data = pattern(200_001, 3);
    assert.equal(
      internetChecksum([data.subarray(0, 99_999), data.subarray(99_999)]),
      referenceChecksum(data),
    );
  });
});

describe('TcpConversation', () => {
  it('open(): SYN, SYN-ACK, ACK with the initial sequence numbers', () => {
    const tcp = new TcpConversation(CLIENT, SERVER);
    const [syn, synAck, ack, ...rest] = tcp.open().map(parsePacket);
    assert.equal(rest.length, 0);
    assert.deepEqual(
      [syn, synAck, ack].map((p) => [p!.flags, p!.seq, p!.ack, p!.payload.length]),
      [
        [SYN, 1000, 0, 0],
        [SYN | ACK, 5000, 1001, 0],
        [ACK, 1001, 5001, 0],
      ],
    );
    assert.deepEqual(
      [syn!.source, syn!.sourcePort, syn!.destination, syn!.destinationPort],
      ['10.1.2.3', 40_001, '192.168.0.200', 9933],
    );
    assert.deepEqual(
      [synAck!.source, synAck!.sourcePort, synAck!.destination, synAck!.destinationPort],
      ['192.168.0.200', 9933, '10.1.2.3', 40_001],
    );
    assert.deepEqual(
      [syn, synAck, ack].map((p) => p!.ipId),
      [0, 1, 2],
    );
    for (const p of [syn, synAck, ack]) {
      assert.equal(p!.window, 65_535);
      assert.equal(p!.ttl, 64);
    }
  });

  it('send(): PSH-ACK segments of at most MAX_SEGMENT bytes that acknowledge the other side', () => {
    const tcp = new TcpConversation(CLIENT, SERVER, { client: 7, server: 70_000 });
    tcp.open();
    const request = pattern(100, 1);
    const [first, ...none] = tcp
      .send('client', [request.subarray(0, 60), request.subarray(60)])
      .map(parsePacket);
    assert.equal(none.length, 0);
    assert.equal(first!.flags, PSH | ACK);
    assert.equal(first!.seq, 8);
    assert.equal(first!.ack, 70_001);
    assert.ok(first!.payload.equals(request), 'the parts, concatenated');

    const answer = pattern(2 * MAX_SEGMENT + 10, 2);
    const segments = tcp.send('server', [answer]).map(parsePacket);
    assert.deepEqual(
      segments.map((s) => s.payload.length),
      [MAX_SEGMENT, MAX_SEGMENT, 10],
    );
    assert.deepEqual(
      segments.map((s) => s.seq),
      [70_001, 70_001 + MAX_SEGMENT, 70_001 + 2 * MAX_SEGMENT],
    );
    assert.ok(segments.every((s) => s.ack === 8 + 100 && s.flags === (PSH | ACK)));
    assert.ok(Buffer.concat(segments.map((s) => s.payload)).equals(answer));
    assert.equal(Buffer.concat(tcp.send('server', [answer.subarray(0, MAX_SEGMENT)])[0]!).length, 65_535);

    assert.deepEqual(tcp.send('client', []), [], 'nothing to send, no packet');
    assert.deepEqual(tcp.send('client', [Buffer.alloc(0)]), []);
  });

  it('a single data buffer is sent as slices, not copies', () => {
    const tcp = new TcpConversation(CLIENT, SERVER);
    const data = pattern(MAX_SEGMENT + 5);
    const packets = tcp.send('client', [data]);
    assert.equal(packets.length, 2);
    assert.equal(packets[0]![2]!.buffer, data.buffer);
    assert.equal(packets[1]![2]!.byteOffset, data.byteOffset + MAX_SEGMENT);
  });

  it('close(): FIN from the closing side, FIN-ACK back, the last ACK; FIN counts one sequence number', () => {
    for (const first of ['client', 'server'] as const) {
      const tcp = new TcpConversation(CLIENT, SERVER);
      tcp.open();
      tcp.send('client', [pattern(10)]);
      tcp.send('server', [pattern(20)]);
      // client next seq 1011, server next seq 5021.
      const [fin, finAck, last] = tcp.close(first).map(parsePacket);
      const [a, b] = first === 'client' ? [1011, 5021] : [5021, 1011];
      assert.deepEqual(
        [fin, finAck, last].map((p) => [p!.flags, p!.seq, p!.ack, p!.sourcePort]),
        [
          [FIN | ACK, a, b, first === 'client' ? CLIENT.port : SERVER.port],
          [FIN | ACK, b, a + 1, first === 'client' ? SERVER.port : CLIENT.port],
          [ACK, a + 1, b + 1, first === 'client' ? CLIENT.port : SERVER.port],
        ],
        first,
      );
    }
  });

  it('sequence numbers wrap at 2³²', () => {
    const tcp = new TcpConversation(CLIENT, SERVER, { client: 0xffff_fff0, server: 0xffff_ffff });
    const [syn, synAck, ack] = tcp.open().map(parsePacket);
    assert.equal(syn!.seq, 0xffff_fff0);
    assert.equal(synAck!.seq, 0xffff_ffff);
    assert.equal(synAck!.ack, 0xffff_fff1);
    assert.equal(ack!.ack, 0, 'server ISN + 1 wraps to 0');
    const [data] = tcp.send('client', [pattern(32)]).map(parsePacket);
    assert.equal(data!.seq, 0xffff_fff1);
    const [reply] = tcp.send('server', [pattern(1)]).map(parsePacket);
    assert.equal(reply!.ack, (0xffff_fff1 + 32) % 2 ** 32);
    assert.equal(reply!.seq, 0);
    const [fin] = tcp.close('server').map(parsePacket);
    assert.equal(fin!.seq, 1);
  });

  it('the IP id is 16 bits and wraps', () => {
    const tcp = new TcpConversation(CLIENT, SERVER);
    const ids: number[] = [];
    for (let i = 0; i < 65_537; i++)
      ids.push(Buffer.concat(tcp.send('client', [Buffer.from([i & 0xff])])[0]!).readUInt16BE(4));
    assert.deepEqual(ids.slice(0, 2), [0, 1]);
    assert.equal(ids[65_535], 0xffff);
    assert.equal(ids[65_536], 0, 'packet 65,537 has id 0 again');
  });

  it('rejects an address that is not IPv4', () => {
    for (const address of ['::1', 'localhost', '1.2.3', '1.2.3.4.5', '256.0.0.1', '1.2.3.-1', '1.2.3.x']) {
      assert.throws(() => new TcpConversation({ address, port: 1 }, SERVER), /not an IPv4 address/, address);
      assert.throws(() => new TcpConversation(CLIENT, { address, port: 1 }), /not an IPv4 address/, address);
    }
  });

  it('property: a whole conversation reassembles per direction, every packet checks, acks add up', () => {
    const chunk = fc.uint8Array({ maxLength: 3000 }).map((b) => Buffer.from(b));
    const step = fc.tuple(
      fc.constantFrom('client' as const, 'server' as const),
      fc.array(chunk, { maxLength: 3 }),
    );
    fc.assert(
      fc.property(
        fc.array(step, { maxLength: 12 }),
        fc.constantFrom('client' as const, 'server' as const),
        fc.integer({ min: 0, max: 0xffff_ffff }),
        fc.integer({ min: 0, max: 0xffff_ffff }),
        (steps, closer, clientIsn, serverIsn) => {
          const tcp = new TcpConversation(CLIENT, SERVER, { client: clientIsn, server: serverIsn });
          const packets = [...tcp.open()];
          const sent = { client: [] as Buffer[], server: [] as Buffer[] };
          for (const [from, data] of steps) {
            packets.push(...tcp.send(from, data));
            sent[from].push(...data);
          }
          packets.push(...tcp.close(closer));
          const parsed = packets.map(parsePacket);
          assert.deepEqual(
            parsed.map((p) => p.ipId),
            parsed.map((_, i) => i),
          );
          // Next sequence number expected from each side, as a receiver tracks it.
          const next = { client: (clientIsn + 1) % 2 ** 32, server: (serverIsn + 1) % 2 ** 32 };
          const received = { client: [] as Buffer[], server: [] as Buffer[] };
          for (const p of parsed.slice(3)) {
            const from = p.sourcePort === CLIENT.port ? 'client' : 'server';
            const other = from === 'client' ? 'server' : 'client';
            assert.equal(p.seq, next[from], 'in order, no gap, no overlap');
            assert.equal(p.ack, next[other], 'acknowledges everything the other side sent');
            assert.ok(p.flags & ACK);
            received[from].push(p.payload);
            next[from] = (next[from] + p.payload.length + (p.flags & FIN ? 1 : 0)) % 2 ** 32;
          }
          for (const side of ['client', 'server'] as const) {
            assert.ok(Buffer.concat(received[side]).equals(Buffer.concat(sent[side])), `${side} stream`);
          }
          assert.equal(parsed.filter((p) => p.flags & FIN).length, 2);
        },
      ),
      { numRuns: 100 },
    );
  });
});
