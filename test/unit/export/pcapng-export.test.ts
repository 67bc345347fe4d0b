import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type CaptureHeader,
  type CaptureRecord,
  Direction,
  type DirectionValue,
  RecordKind,
  type RecordKindValue,
} from '../../../src/capture/format.js';
import { PcapngExport } from '../../../src/export/pcapng-export.js';

const header: CaptureHeader = {
  tool: 'harper-replay',
  toolVersion: 'test',
  formatVersion: 1,
  mode: 'proxy',
  startedAtMs: 1_000,
  startedAt: new Date(1_000).toISOString(),
  source: { url: 'ws://127.0.0.1:9933/' },
};

const record = (
  kind: RecordKindValue,
  connection: number,
  timeUs: number,
  payload: Buffer | object,
  direction: DirectionValue = Direction.FROM_SOURCE,
): CaptureRecord => ({
  kind,
  direction,
  connection,
  timeUs,
  opcode: kind === RecordKind.MESSAGE ? 2 : 0,
  payload: Buffer.isBuffer(payload) ? payload : Buffer.from(JSON.stringify(payload)),
  offset: 0,
});

/** Enhanced packet blocks: timestamp (µs) and the TCP ports of each. */
function packets(blocks: Buffer[]): Array<{ us: number; from: number; to: number; flags: number }> {
  const data = Buffer.concat(blocks);
  const out = [];
  for (let at = 0; at < data.length; at += data.readUInt32LE(at + 4)) {
    if (data.readUInt32LE(at) !== 6) continue;
    const us = data.readUInt32LE(at + 12) * 2 ** 32 + data.readUInt32LE(at + 16);
    const ip = at + 28;
    out.push({
      us,
      from: data.readUInt16BE(ip + 20),
      to: data.readUInt16BE(ip + 22),
      flags: data[ip + 33]!,
    });
  }
  return out;
}

describe('pcapng export of capture records', () => {
  it('a handshake before the first message even when the open record is stamped later', () => {
    const exporter = new PcapngExport(header);
    const first = exporter.add(record(RecordKind.MESSAGE, 1, 5_000, Buffer.from([0x90])));
    const late = exporter.add(
      record(RecordKind.OPEN, 1, 9_000, { role: 'proxy', remoteAddress: '::ffff:127.0.0.1' }),
    );
    assert.deepEqual(late, [], 'nothing for an open that was already implied');
    const sent = packets(first);
    assert.equal(sent.length, 6, 'SYN, SYN-ACK, ACK, upgrade, 101, the message');
    assert.ok(sent.every((p) => p.us === 1_000_000 + 5_000));
    assert.deepEqual(sent[0], { us: 1_005_000, from: 50_001, to: 9933, flags: 0x02 });
  });

  it('an open record is held until the connection is used, and stamped at its own time if earlier', () => {
    const exporter = new PcapngExport(header);
    assert.deepEqual(exporter.add(record(RecordKind.OPEN, 2, 1_000, { role: 'proxy' })), []);
    const message = packets(
      exporter.add(record(RecordKind.MESSAGE, 2, 3_000, Buffer.from([0x90]), Direction.TO_SOURCE)),
    );
    assert.deepEqual(
      message.map((p) => p.us - 1_000_000),
      [1_000, 1_000, 1_000, 1_000, 1_000, 3_000],
    );
    assert.equal(message.at(-1)!.from, 50_002, 'the receiver sends as the client');
  });

  it('closes once (the second close record adds nothing); later messages are counted, not sent', () => {
    const exporter = new PcapngExport(header);
    exporter.add(record(RecordKind.OPEN, 1, 0, { role: 'proxy' }));
    exporter.add(record(RecordKind.MESSAGE, 1, 10, Buffer.from([0x90])));
    const closed = packets(
      exporter.add(record(RecordKind.CLOSE, 1, 20, { side: 'source', code: 1001, reason: '' })),
    );
    assert.deepEqual(
      closed.map((p) => [p.from, p.flags]),
      [
        [9933, 0x18],
        [50_001, 0x18],
        [9933, 0x11],
        [50_001, 0x11],
        [9933, 0x10],
      ],
      'close frames both ways, then FIN from the side that closed',
    );
    assert.deepEqual(exporter.add(record(RecordKind.CLOSE, 1, 30, { side: 'receiver', code: 1005 })), []);
    assert.deepEqual(exporter.add(record(RecordKind.MESSAGE, 1, 40, Buffer.from([0x90]))), []);
    assert.equal(exporter.afterClose, 1);
  });

  it('finish() writes the handshakes of connections opened but never used; a close of an unknown connection is ignored', () => {
    const exporter = new PcapngExport(header);
    exporter.add(record(RecordKind.OPEN, 7, 100, { role: 'proxy' }));
    assert.deepEqual(exporter.add(record(RecordKind.CLOSE, 9, 200, { code: 1000 })), []);
    const opened = packets(exporter.finish());
    assert.equal(opened.length, 5);
    assert.ok(opened.every((p) => p.us === 1_000_100));
    assert.deepEqual(exporter.finish(), [], 'once');
    assert.equal(exporter.packets, 5);
  });
});
