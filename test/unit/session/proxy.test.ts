/**
 * ReplicationProxy between a test client (the receiving node) and a scripted upstream (the source), all on
 * 127.0.0.1: the upgrade is mirrored (subprotocol, Authorization), messages pass unchanged both ways with their
 * opcode and are reported, closes cross over (unsendable codes become 1001), a refused upstream is reported, one
 * side not reading stops the proxy reading the other, and close() drops every pair.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { WebSocket, WebSocketServer } from 'ws';
import { SUBPROTOCOL } from '../../../src/protocol/codes.js';
import { encodeCommittedUpdate, encodeNodeName } from '../../../src/protocol/control-frame.js';
import { type ProxyDirection, type ProxyOptions, ReplicationProxy } from '../../../src/session/proxy.js';
import {
  assertBytes,
  closedPort,
  guard,
  Inbox,
  openClient,
  type ScriptedServer,
  scriptedServer,
} from './support.js';

interface Reported {
  direction: ProxyDirection;
  data: Buffer;
  opcode: number;
}

interface Events {
  opens: Inbox<{ id: number; remoteAddress?: string; subprotocol?: string }>;
  messages: Inbox<Reported>;
  closes: Inbox<{ side: 'receiver' | 'source'; code: number; reason: string }>;
  errors: Inbox<string>;
}

function proxyTo(
  upstream: string,
  overrides: Partial<ProxyOptions> = {},
): { proxy: ReplicationProxy; events: Events } {
  const events: Events = {
    opens: new Inbox(),
    messages: new Inbox(),
    closes: new Inbox(),
    errors: new Inbox(),
  };
  const proxy = new ReplicationProxy({
    listenHost: '127.0.0.1',
    listenPort: 0,
    upstream,
    onOpen: (id, info) => events.opens.push({ id, ...info }),
    onMessage: (_id, direction, data, opcode) => events.messages.push({ direction, data, opcode }),
    onClose: (_id, side, code, reason) => events.closes.push({ side, code, reason }),
    onError: (_id, message) => events.errors.push(message),
    ...overrides,
  });
  return { proxy, events };
}

describe('ReplicationProxy', () => {
  let upstream: ScriptedServer;
  let proxy: ReplicationProxy;
  let events: Events;
  let url: string;
  beforeEach(async () => {
    upstream = await scriptedServer();
    ({ proxy, events } = proxyTo(upstream.url));
    url = await proxy.listen();
  });
  afterEach(async () => {
    await guard(proxy.close(), 'proxy closes');
    await upstream.close();
  });

  it('mirrors the upgrade upstream: subprotocol and Authorization', async () => {
    assert.match(url, /^ws:\/\/127\.0\.0\.1:\d+$/);
    const client = await openClient(url, { authorization: 'Basic bm9kZTpwdw==' });
    const source = await upstream.connections.next('upstream connection');
    assert.equal(source.request.headers['sec-websocket-protocol'], SUBPROTOCOL);
    assert.equal(source.request.headers.authorization, 'Basic bm9kZTpwdw==');
    assert.equal(client.ws.protocol, SUBPROTOCOL);
    const open = await events.opens.next('onOpen');
    assert.deepEqual(open, { id: 1, remoteAddress: '127.0.0.1', subprotocol: SUBPROTOCOL });
    assert.equal(proxy.connections, 1);
    client.ws.terminate();
  });

  it('sends no Authorization upstream when the receiver gave none', async () => {
    const client = await openClient(url);
    const source = await upstream.connections.next('upstream connection');
    assert.equal(source.request.headers.authorization, undefined);
    client.ws.terminate();
  });

  it('passes messages unchanged both ways, keeping binary and text, and reports each', async () => {
    const client = await openClient(url);
    // Sent before the upstream is open: the proxy holds them (the kernel buffers), it does not drop them.
    const toSource = [
      encodeNodeName('receiver', 'data'),
      Buffer.from('text from the receiver'),
      encodeCommittedUpdate(9),
    ];
    const binary = [true, false, true];
    for (const [i, data] of toSource.entries()) client.ws.send(data, { binary: binary[i]! });
    const source = await upstream.connections.next('upstream connection');
    for (const [i, data] of toSource.entries()) {
      const got = await source.messages.next(`to-source ${i}`);
      assertBytes(got.data, data);
      assert.equal(got.isBinary, binary[i]);
    }
    const fromSource = [
      encodeNodeName('source', 'data'),
      Buffer.alloc(300_000, 0x11),
      Buffer.from('text from the source'),
    ];
    for (const [i, data] of fromSource.entries()) source.ws.send(data, { binary: binary[i]! });
    for (const [i, data] of fromSource.entries()) {
      const got = await client.messages.next(`from-source ${i}`);
      assertBytes(got.data, data);
      assert.equal(got.isBinary, binary[i]);
    }
    const reported = events.messages.drain();
    const expected = [
      ...toSource.map((data, i) => ({ direction: 'to-source', data, opcode: binary[i] ? 2 : 1 })),
      ...fromSource.map((data, i) => ({ direction: 'from-source', data, opcode: binary[i] ? 2 : 1 })),
    ];
    assert.equal(reported.length, expected.length);
    for (const [i, report] of reported.entries()) {
      assert.equal(report.direction, expected[i]!.direction, `report ${i}`);
      assert.equal(report.opcode, expected[i]!.opcode, `report ${i}`);
      assertBytes(report.data, expected[i]!.data, `report ${i}`);
    }
    client.ws.terminate();
  });

  it('a close by the receiver reaches the source with its code and reason', async () => {
    const client = await openClient(url);
    const source = await upstream.connections.next('upstream connection');
    client.ws.close(4000, 'receiver done');
    assert.deepEqual(await guard(source.closed, 'source sees the close'), {
      code: 4000,
      reason: 'receiver done',
    });
    assert.deepEqual(await events.closes.next('receiver close'), {
      side: 'receiver',
      code: 4000,
      reason: 'receiver done',
    });
    assert.deepEqual(await events.closes.next('source close'), {
      side: 'source',
      code: 4000,
      reason: 'receiver done',
    });
  });

  const fromSource: Array<{
    what: string;
    close: (ws: WebSocket) => void;
    code: number;
    reason: string;
  }> = [
    {
      what: 'a close with code and reason',
      close: (ws) => ws.close(4001, 'source done'),
      code: 4001,
      reason: 'source done',
    },
    { what: 'a close without a code (1005)', close: (ws) => ws.close(), code: 1001, reason: '' },
    { what: 'a dropped connection (1006)', close: (ws) => ws.terminate(), code: 1001, reason: '' },
    {
      what: 'a long reason, cut to 120 characters',
      close: (ws) => ws.close(4002, 'r'.repeat(123)),
      code: 4002,
      reason: 'r'.repeat(120),
    },
  ];
  for (const { what, close, code, reason } of fromSource) {
    it(`${what} by the source reaches the receiver as ${code}`, async () => {
      const client = await openClient(url);
      const source = await upstream.connections.next('upstream connection');
      await events.opens.next('onOpen');
      // Both ends open: a message round trip proves the upstream socket is up.
      source.ws.send('ready');
      await client.messages.next('ready');
      close(source.ws);
      assert.deepEqual(await guard(client.closed, 'receiver sees the close'), { code, reason });
    });
  }

  it('close() drops every pair and stops listening', async () => {
    const client = await openClient(url);
    const source = await upstream.connections.next('upstream connection');
    source.ws.send('ready');
    await client.messages.next('ready');
    await guard(proxy.close(), 'proxy closes');
    assert.equal((await guard(client.closed, 'receiver dropped')).code, 1006);
    assert.equal((await guard(source.closed, 'source dropped')).code, 1006);
    await assert.rejects(openClient(url), /ECONNREFUSED/);
  });

  it('when the receiver does not read, the proxy stops reading the source; everything arrives after', async () => {
    await proxy.close();
    ({ proxy, events } = proxyTo(upstream.url, { highWaterMark: 64 * 1024 }));
    url = await proxy.listen();
    const client = await openClient(url);
    const source = await upstream.connections.next('upstream connection');
    source.ws.send('ready');
    await client.messages.next('ready');
    events.messages.drain();
    client.ws.pause();
    const count = 48;
    const MiB = 1024 * 1024;
    for (let i = 0; i < count; i++) source.ws.send(Buffer.alloc(MiB, i));
    // Held for 200 ms: a proxy that kept reading would have read all 48 MiB over loopback long before.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const readMeanwhile = events.messages.size;
    assert.ok(readMeanwhile < count / 2, `the proxy read ${readMeanwhile} of ${count} messages meanwhile`);
    assert.ok(source.ws.bufferedAmount > 0, 'the source is held back');
    client.ws.resume();
    for (let i = 0; i < count; i++) {
      const { data } = await client.messages.next(`message ${i}`, 5000);
      assert.equal(data.length, MiB);
      assert.ok(data[0] === i % 256 && data[MiB - 1] === i % 256, `message ${i} intact and in order`);
    }
    client.ws.terminate();
  });

  it('pauseAll() stops reading both sides until resumeAll()', async () => {
    const client = await openClient(url);
    const source = await upstream.connections.next('upstream connection');
    source.ws.send('ready');
    await client.messages.next('ready');
    events.messages.drain();
    proxy.pauseAll();
    source.ws.send('from source');
    client.ws.send('from receiver');
    // Held for 100 ms: a proxy that kept reading would report both within a millisecond or two.
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(events.messages.size, 0, 'nothing read while paused');
    proxy.resumeAll();
    assert.equal((await client.messages.next('from source')).data.toString(), 'from source');
    assert.equal((await source.messages.next('from receiver')).data.toString(), 'from receiver');
    client.ws.terminate();
  });
});

describe('ReplicationProxy with an upstream that refuses', () => {
  /**
   * The proxy keeps the receiver's socket paused when the upstream never opens, so that socket cannot finish its
   * closing handshake and the pair is no longer tracked: close() alone would wait ws's 30 s close timeout (see the
   * report). The test drops the receiver sockets of the proxy's own server itself.
   */
  async function dropReceivers(proxy: ReplicationProxy): Promise<void> {
    const server = (proxy as unknown as { listener?: { server: WebSocketServer } }).listener?.server;
    for (const ws of server?.clients ?? []) ws.terminate();
    await guard(proxy.close(), 'proxy closes');
  }

  it('an HTTP answer instead of the upgrade is reported with its status', async () => {
    const http: Server = createServer((_request, response) => {
      response.writeHead(403);
      response.end();
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const { proxy, events } = proxyTo(`ws://127.0.0.1:${(http.address() as { port: number }).port}`);
    const url = await proxy.listen();
    try {
      const client = await openClient(url);
      assert.equal(await events.errors.next('onError'), 'upstream refused the upgrade (HTTP 403)');
      client.ws.terminate();
    } finally {
      await dropReceivers(proxy);
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    }
  });

  it('a refused connection is reported as the dial failure it is', async () => {
    const { proxy, events } = proxyTo(`ws://127.0.0.1:${await closedPort()}`);
    const url = await proxy.listen();
    try {
      const client = await openClient(url);
      assert.match(
        await events.errors.next('onError'),
        /^source side: cannot open replication socket ws:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED/,
      );
      assert.deepEqual(await events.closes.next('source close'), { side: 'source', code: 1006, reason: '' });
      client.ws.terminate();
    } finally {
      await dropReceivers(proxy);
    }
  });
});
