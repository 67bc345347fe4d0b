import assert from 'node:assert/strict';
import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseTcpTable, queuesOf, readTcpTables, type TcpEntry } from '../../../src/harper/tcp-table.js';

const HEADER4 =
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
const HEADER6 =
  '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';

const hex = (value: number, width: number) => value.toString(16).toUpperCase().padStart(width, '0');

/** An IPv4 address as the kernel prints it: the 32-bit word in host (little-endian) byte order. */
const v4Hex = (address: string) =>
  address
    .split('.')
    .reverse()
    .map((b) => hex(Number(b), 2))
    .join('');

/** ::ffff:a.b.c.d as tcp6 prints it: four host-order 32-bit words. */
const mappedHex = (address: string) => `0000000000000000FFFF0000${v4Hex(address)}`;

interface Row {
  local: string;
  remote: string;
  localPort: number;
  remotePort: number;
  state: number;
  tx: number;
  rx: number;
}

/** One line as the kernel's tcp4_seq_show / tcp6_seq_show prints it. */
const line = (sl: number, row: Row): string =>
  `${String(sl).padStart(4)}: ${row.local}:${hex(row.localPort, 4)} ${row.remote}:${hex(row.remotePort, 4)} ` +
  `${hex(row.state, 2)} ${hex(row.tx, 8)}:${hex(row.rx, 8)} 00:00000000 00000000  1000        0 ${40_000 + sl} 1 ` +
  '0000000000000000 20 4 30 10 -1';

describe('parseTcpTable', () => {
  it('parses /proc/net/tcp lines: addresses, ports, state and both queues', () => {
    const text = [
      HEADER4,
      line(0, {
        local: '0100007F',
        localPort: 9925,
        remote: '00000000',
        remotePort: 0,
        state: 0x0a,
        tx: 0,
        rx: 0,
      }),
      line(1, {
        local: '0100007F',
        localPort: 41_234,
        remote: '0100007F',
        remotePort: 9933,
        state: 0x01,
        tx: 0x1a2b,
        rx: 0,
      }),
      line(2, {
        local: '0200A8C0',
        localPort: 22,
        remote: 'FE01000A',
        remotePort: 65_535,
        state: 6,
        tx: 0,
        rx: 0xffffffff,
      }),
      '',
    ].join('\n');
    assert.deepEqual(parseTcpTable(text), [
      {
        localAddress: '127.0.0.1',
        localPort: 9925,
        remoteAddress: '0.0.0.0',
        remotePort: 0,
        state: 10,
        txQueue: 0,
        rxQueue: 0,
      },
      {
        localAddress: '127.0.0.1',
        localPort: 41_234,
        remoteAddress: '127.0.0.1',
        remotePort: 9933,
        state: 1,
        txQueue: 0x1a2b,
        rxQueue: 0,
      },
      {
        localAddress: '192.168.0.2',
        localPort: 22,
        remoteAddress: '10.0.1.254',
        remotePort: 65_535,
        state: 6,
        txQueue: 0,
        rxQueue: 0xffffffff,
      },
    ]);
  });

  it('parses /proc/net/tcp6: IPv4-mapped addresses as dotted quads, others as their four words', () => {
    const text = [
      HEADER6,
      line(0, {
        local: mappedHex('127.0.0.1'),
        localPort: 9933,
        remote: mappedHex('10.20.30.40'),
        remotePort: 50_000,
        state: 1,
        tx: 5,
        rx: 7,
      }),
      line(1, {
        local: '00000000000000000000000001000000',
        localPort: 9925,
        remote: '00000000000000000000000000000000',
        remotePort: 0,
        state: 0x0a,
        tx: 0,
        rx: 0,
      }),
    ].join('\n');
    const [mapped, loopback6, ...rest] = parseTcpTable(text);
    assert.equal(rest.length, 0);
    assert.deepEqual(mapped, {
      localAddress: '127.0.0.1',
      localPort: 9933,
      remoteAddress: '10.20.30.40',
      remotePort: 50_000,
      state: 1,
      txQueue: 5,
      rxQueue: 7,
    });
    // ::1 is not IPv4-mapped: it is not taken for an IPv4 address.
    assert.equal(loopback6!.localAddress, '00000000:00000000:00000000:01000000');
    assert.equal(loopback6!.remoteAddress, '00000000:00000000:00000000:00000000');
    assert.equal(loopback6!.localPort, 9925);
  });

  it('skips the header, blank and short lines; empty text has no entries', () => {
    assert.deepEqual(parseTcpTable(''), []);
    assert.deepEqual(parseTcpTable(HEADER4), []);
    assert.deepEqual(parseTcpTable(`${HEADER4}\n\n   \n  0: 0100007F:0050\n`), []);
    // The first line is the header even when it looks like an entry.
    const row = line(0, {
      local: '0100007F',
      localPort: 80,
      remote: '00000000',
      remotePort: 0,
      state: 10,
      tx: 0,
      rx: 0,
    });
    assert.deepEqual(parseTcpTable(`${row}\n${row}`).length, 1);
  });

  it('property: every rendered entry parses back, in order, for tcp and tcp6 tables', () => {
    const octet = fc.integer({ min: 0, max: 255 });
    const ipv4 = fc.tuple(octet, octet, octet, octet).map((o) => o.join('.'));
    const entry = fc.record({
      localAddress: ipv4,
      localPort: fc.integer({ min: 0, max: 65_535 }),
      remoteAddress: ipv4,
      remotePort: fc.integer({ min: 0, max: 65_535 }),
      state: fc.integer({ min: 1, max: 12 }),
      txQueue: fc.integer({ min: 0, max: 0xffffffff }),
      rxQueue: fc.integer({ min: 0, max: 0xffffffff }),
    });
    fc.assert(
      fc.property(
        fc.array(entry, { maxLength: 30 }),
        fc.boolean(),
        fc.boolean(),
        (entries, six, trailingNewline) => {
          const encode = six ? mappedHex : v4Hex;
          const lines = entries.map((e, i) =>
            line(i, {
              local: encode(e.localAddress),
              localPort: e.localPort,
              remote: encode(e.remoteAddress),
              remotePort: e.remotePort,
              state: e.state,
              tx: e.txQueue,
              rx: e.rxQueue,
            }),
          );
          const text = [six ? HEADER6 : HEADER4, ...lines].join('\n') + (trailingNewline ? '\n' : '');
          assert.deepEqual(
            parseTcpTable(text),
            entries.map((e) => ({ ...e })),
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('queuesOf', () => {
  const entries: TcpEntry[] = [
    {
      localAddress: '127.0.0.1',
      localPort: 9933,
      remoteAddress: '0.0.0.0',
      remotePort: 0,
      state: 10,
      txQueue: 0,
      rxQueue: 0,
    },
    {
      localAddress: '127.0.0.1',
      localPort: 50_001,
      remoteAddress: '127.0.0.1',
      remotePort: 9933,
      state: 1,
      txQueue: 111,
      rxQueue: 1,
    },
    {
      localAddress: '127.0.0.1',
      localPort: 9933,
      remoteAddress: '127.0.0.1',
      remotePort: 50_001,
      state: 1,
      txQueue: 2,
      rxQueue: 222,
    },
    {
      localAddress: '127.0.0.1',
      localPort: 50_002,
      remoteAddress: '127.0.0.1',
      remotePort: 9933,
      state: 1,
      txQueue: 333,
      rxQueue: 3,
    },
  ];

  it('takes the tool’s send queue from its end and the target’s receive queue from the other', () => {
    assert.deepEqual(queuesOf(entries, 50_001, 9933), { toolTxQueue: 111, targetRxQueue: 222 });
  });

  it('is undefined when either end is missing', () => {
    assert.equal(queuesOf(entries, 50_002, 9933), undefined, 'the target’s end of 50002 is not listed');
    assert.equal(queuesOf(entries, 50_003, 9933), undefined);
    assert.equal(queuesOf([], 50_001, 9933), undefined);
  });
});

describe('readTcpTables', () => {
  it('finds both ends of a live loopback connection, and the bytes the reader has not read', async () => {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const serverPort = (server.address() as AddressInfo).port;
    let client: Socket | undefined;
    let accepted: Socket | undefined;
    try {
      const connection = once(server, 'connection');
      client = connect(serverPort, '127.0.0.1');
      await once(client, 'connect');
      [accepted] = (await connection) as [Socket];
      accepted.pause();
      const clientPort = client.localPort!;

      const entries = await readTcpTables();
      const tool = entries.find((e) => e.localPort === clientPort && e.remotePort === serverPort);
      assert.ok(tool, `the client end ${clientPort} → ${serverPort} is listed`);
      assert.equal(tool.localAddress, '127.0.0.1');
      assert.equal(tool.remoteAddress, '127.0.0.1');
      assert.equal(tool.state, 1, 'ESTABLISHED');
      const listening = entries.find((e) => e.localPort === serverPort && e.state === 0x0a);
      assert.ok(listening, 'the listening socket is listed in state LISTEN');

      // The server does not read: past its user-space buffer, the bytes wait in its kernel's receive queue.
      const total = 8 * 1024 * 1024;
      client.write(Buffer.alloc(total, 1));
      let queues = queuesOf(entries, clientPort, serverPort);
      const deadline = Date.now() + 2000;
      while (Date.now() < deadline) {
        queues = queuesOf(await readTcpTables(), clientPort, serverPort);
        if (queues && queues.targetRxQueue > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.ok(queues, 'both ends listed');
      assert.ok(queues.targetRxQueue > 0, `target receive queue ${queues.targetRxQueue}`);
      assert.ok(queues.targetRxQueue + queues.toolTxQueue <= total, JSON.stringify(queues));
    } finally {
      client?.destroy();
      accepted?.destroy();
      server.close();
    }
  });
});
