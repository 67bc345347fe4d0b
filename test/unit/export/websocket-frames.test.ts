import assert from 'node:assert/strict';
import { once } from 'node:events';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type RawData, WebSocketServer } from 'ws';
import {
  connectionKey,
  FrameBuilder,
  upgradeRequest,
  upgradeResponse,
} from '../../../src/export/websocket-frames.js';

interface Frame {
  fin: boolean;
  rsv: number;
  opcode: number;
  mask?: Buffer;
  payload: Buffer;
  /** Bytes the frame took. */
  size: number;
}

/** RFC 6455 §5.2, read the long way. */
function parseFrame(bytes: Buffer): Frame {
  let at = 2;
  const masked = (bytes[1]! & 0x80) !== 0;
  let length = bytes[1]! & 0x7f;
  if (length === 126) {
    length = bytes.readUInt16BE(2);
    assert.ok(length >= 126, 'the shortest length encoding');
    at = 4;
  } else if (length === 127) {
    const long = bytes.readBigUInt64BE(2);
    assert.ok(long >= 65_536n && long < 2n ** 63n, 'the shortest length encoding, top bit clear');
    length = Number(long);
    at = 10;
  }
  let mask: Buffer | undefined;
  if (masked) {
    mask = bytes.subarray(at, at + 4);
    at += 4;
  }
  const payload = Buffer.from(bytes.subarray(at, at + length));
  assert.equal(payload.length, length, 'the whole payload is there');
  if (mask) for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i % 4]!;
  return {
    fin: (bytes[0]! & 0x80) !== 0,
    rsv: (bytes[0]! >> 4) & 0x7,
    opcode: bytes[0]! & 0x0f,
    ...(mask ? { mask: Buffer.from(mask) } : {}),
    payload,
    size: at + length,
  };
}

const frameOf = (parts: Buffer[]): Frame => {
  const bytes = Buffer.concat(parts);
  const frame = parseFrame(bytes);
  assert.equal(frame.size, bytes.length, 'exactly one frame');
  return frame;
};

const headersOf = (message: Buffer): { start: string; headers: string[] } => {
  const text = message.toString('latin1');
  assert.ok(text.endsWith('\r\n\r\n'), 'ends with an empty line');
  const lines = text.slice(0, -4).split('\r\n');
  return { start: lines[0]!, headers: lines.slice(1) };
};

describe('upgradeRequest', () => {
  it('is the RFC 6455 opening handshake, with no Authorization header', () => {
    const key = connectionKey(1);
    assert.equal(
      upgradeRequest('node-a.example:9933', '/data', key, 'harperdb-replication-v1').toString('latin1'),
      [
        'GET /data HTTP/1.1',
        'Host: node-a.example:9933',
        'Upgrade: websocket',
        'Connection: Upgrade',
        `Sec-WebSocket-Key: ${key}`,
        'Sec-WebSocket-Version: 13',
        'Sec-WebSocket-Protocol: harperdb-replication-v1',
        '',
        '',
      ].join('\r\n'),
    );
  });

  it('an empty path is /; no subprotocol, no protocol header', () => {
    const { start, headers } = headersOf(upgradeRequest('127.0.0.1:1', '', 'k', undefined));
    assert.equal(start, 'GET / HTTP/1.1');
    assert.ok(!headers.some((h) => /^sec-websocket-protocol:/i.test(h)));
    assert.ok(!headers.some((h) => /^authorization:/i.test(h)));
    assert.equal(headersOf(upgradeRequest('h', '/x?y=1', 'k', '')).start, 'GET /x?y=1 HTTP/1.1');
  });
});

describe('upgradeResponse', () => {
  it('accepts with the RFC 6455 §1.3 example key', () => {
    const { start, headers } = headersOf(upgradeResponse('dGhlIHNhbXBsZSBub25jZQ=='));
    assert.equal(start, 'HTTP/1.1 101 Switching Protocols');
    assert.deepEqual(headers, [
      'Upgrade: websocket',
      'Connection: Upgrade',
      'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=',
    ]);
  });

  it('names the subprotocol when there is one', () => {
    const { headers } = headersOf(upgradeResponse(connectionKey(3), 'harperdb-replication-v1'));
    assert.equal(headers.at(-1), 'Sec-WebSocket-Protocol: harperdb-replication-v1');
  });
});

describe('connectionKey', () => {
  it('is 16 bytes in base64: "harper-replay", a zero byte, the connection id as u16', () => {
    for (const connection of [0, 1, 2, 255, 256, 65_535]) {
      const key = connectionKey(connection);
      assert.match(key, /^[A-Za-z0-9+/]{22}==$/);
      const bytes = Buffer.from(key, 'base64');
      assert.equal(bytes.length, 16);
      assert.equal(bytes.subarray(0, 13).toString('latin1'), 'harper-replay');
      assert.equal(bytes[13], 0);
      assert.equal(bytes.readUInt16BE(14), connection);
    }
  });

  it('differs for every connection id below 65,536 and is the same for the same id', () => {
    const keys = new Set<string>();
    for (let connection = 0; connection < 65_536; connection++) keys.add(connectionKey(connection));
    assert.equal(keys.size, 65_536);
    assert.equal(connectionKey(42), connectionKey(42));
  });
});

describe('FrameBuilder', () => {
  it('frames of every length encoding, masked and not, decode to the payload', () => {
    const builder = new FrameBuilder();
    for (const length of [0, 1, 125, 126, 127, 65_535, 65_536, 70_000]) {
      const payload = Buffer.alloc(length);
      for (let i = 0; i < length; i++) payload[i] = (i * 13 + 5) & 0xff;
      for (const masked of [false, true]) {
        for (const opcode of [1, 2]) {
          const frame = frameOf(builder.frame(payload, opcode, masked));
          const what = `${length} B, ${masked ? 'masked' : 'plain'}, opcode ${opcode}`;
          assert.equal(frame.fin, true, what);
          assert.equal(frame.rsv, 0, `${what}: no compression bit`);
          assert.equal(frame.opcode, opcode, what);
          assert.equal(frame.mask !== undefined, masked, what);
          assert.ok(frame.payload.equals(payload), what);
        }
      }
    }
  });

  it('masking does not touch the caller’s buffer', () => {
    const payload = Buffer.from('replication bytes');
    const copy = Buffer.from(payload);
    const frame = frameOf(new FrameBuilder().frame(payload, 2, true));
    assert.ok(payload.equals(copy));
    assert.ok(frame.payload.equals(copy));
  });

  it('masks come from a counter: non-zero, different per frame, the same for every builder', () => {
    const a = new FrameBuilder();
    const b = new FrameBuilder();
    const masks = new Set<string>();
    const payload = Buffer.from([1, 2, 3, 4, 5]);
    for (let i = 0; i < 500; i++) {
      const fromA = Buffer.concat(a.frame(payload, 2, true));
      const fromB = Buffer.concat(b.frame(payload, 2, true));
      assert.ok(fromA.equals(fromB), `frame ${i}: same bytes from both builders`);
      const mask = parseFrame(fromA).mask!;
      assert.notEqual(mask.readUInt32BE(0), 0);
      masks.add(mask.toString('hex'));
    }
    assert.equal(masks.size, 500);
  });

  it('close frames carry the status code and reason; 1005, 1006 and no code send an empty body', () => {
    const builder = new FrameBuilder();
    const cases: Array<[number | undefined, string, string]> = [
      [1000, '', '03e8'],
      [1000, 'bye', `03e8${Buffer.from('bye').toString('hex')}`],
      [1008, 'über', `03f0${Buffer.from('über').toString('hex')}`],
      [4000, 'x', `0fa078`],
      [1005, 'ignored', ''],
      [1006, 'ignored', ''],
      [undefined, 'ignored', ''],
    ];
    for (const [code, reason, hex] of cases) {
      for (const masked of [false, true]) {
        const frame = frameOf(builder.close(code, reason, masked));
        assert.equal(frame.opcode, 0x8, `${code}`);
        assert.equal(frame.fin, true);
        assert.equal(frame.mask !== undefined, masked);
        assert.equal(frame.payload.toString('hex'), hex, `${code} ${reason}`);
      }
    }
  });

  it('property: any payload round-trips through a frame', () => {
    const builder = new FrameBuilder();
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 2000 }),
        fc.boolean(),
        fc.constantFrom(1, 2),
        (bytes, masked, opcode) => {
          const payload = Buffer.from(bytes);
          const frame = frameOf(builder.frame(payload, opcode, masked));
          assert.ok(frame.payload.equals(payload));
          assert.equal(frame.opcode, opcode);
          assert.equal(frame.mask !== undefined, masked);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('the exported bytes against a real ws server on 127.0.0.1', () => {
  it('the handshake is accepted as ours; masked frames arrive as sent; the server frames as we do', async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const received: Array<{ data: Buffer; binary: boolean }> = [];
    const closed = new Promise<[number, string]>((resolve) => {
      server.on('connection', (socket, request) => {
        assert.equal(request.headers.authorization, undefined);
        socket.on('message', (data: RawData, binary) => {
          received.push({ data: Buffer.from(data as Buffer), binary });
          if (received.length === 3) {
            socket.send(Buffer.from('from the server'), { binary: true });
            socket.send('text back');
          }
        });
        socket.on('close', (code, reason) => resolve([code, reason.toString()]));
      });
    });
    let client: Socket | undefined;
    try {
      client = connect(port, '127.0.0.1');
      await once(client, 'connect');
      const key = connectionKey(7);
      const chunks: Buffer[] = [];
      client.on('data', (chunk: Buffer) => chunks.push(chunk));
      client.write(upgradeRequest(`127.0.0.1:${port}`, '/data', key, 'harperdb-replication-v1'));
      const builder = new FrameBuilder();
      const big = Buffer.alloc(70_000, 0xab);
      for (const parts of [
        builder.frame(Buffer.from('hello'), 2, true),
        builder.frame(big, 2, true),
        builder.frame(Buffer.from('text'), 1, true),
      ]) {
        for (const part of parts) client.write(part);
      }
      const expected = upgradeResponse(key, 'harperdb-replication-v1');
      const serverFrames = new FrameBuilder();
      const expectedFrames = Buffer.concat([
        ...serverFrames.frame(Buffer.from('from the server'), 2, false),
        ...serverFrames.frame(Buffer.from('text back'), 1, false),
      ]);
      const deadline = Date.now() + 3000;
      while (
        Buffer.concat(chunks).length < expected.length + expectedFrames.length &&
        Date.now() < deadline
      ) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const all = Buffer.concat(chunks);
      const split = all.indexOf('\r\n\r\n') + 4;
      // Header order and extra headers are the server's business: compare the set of header lines.
      const theirs = headersOf(all.subarray(0, split));
      const ours = headersOf(expected);
      assert.equal(theirs.start, ours.start);
      for (const header of ours.headers) assert.ok(theirs.headers.includes(header), `server sent ${header}`);
      assert.ok(all.subarray(split).equals(expectedFrames), 'unmasked server frames are byte-identical');
      for (const part of builder.close(1000, 'done', true)) client.write(part);
      assert.deepEqual(await closed, [1000, 'done']);
      assert.deepEqual(
        received.map((m) => [m.data.length, m.binary]),
        [
          [5, true],
          [70_000, true],
          [4, false],
        ],
      );
      assert.equal(received[0]!.data.toString(), 'hello');
      assert.ok(received[1]!.data.equals(big));
      assert.equal(received[2]!.data.toString(), 'text');
    } finally {
      client?.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
