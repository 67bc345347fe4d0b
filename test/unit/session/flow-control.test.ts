/**
 * FlowControlledSender against a scripted peer on 127.0.0.1: below the high-water mark a send resolves at once;
 * above it the sender waits for the socket's drain (the peer reading) and reports the wait; a close while waiting
 * or before sending rejects with ConnectionClosedError carrying the close code and reason.
 */
import assert from 'node:assert/strict';
import { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import WebSocket from 'ws';
import {
  ConnectionClosedError,
  type DrainWait,
  FlowControlledSender,
  socketOf,
} from '../../../src/session/flow-control.js';
import { type Accepted, guard, type ScriptedServer, scriptedServer } from './support.js';

const MiB = 1024 * 1024;
/** Far more than loopback's kernel buffers hold: with the peer not reading, most of it stays queued in the tool. */
const BIG = 16 * MiB;

/** A client socket to the scripted server and the server's end of it (paused before the client can send). */
async function connect(
  server: ScriptedServer,
  paused: boolean,
): Promise<{ ws: WebSocket; peer: Accepted; closed: Promise<void> }> {
  const ws = new WebSocket(server.url, { perMessageDeflate: false });
  ws.on('error', () => {});
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  await guard(new Promise((resolve) => ws.once('open', resolve)), 'client open');
  const peer = await server.connections.next('server connection');
  if (paused) peer.ws.pause();
  return { ws, peer, closed };
}

/** Lets the event loop run a few turns: a send that did not wait would have settled by then. */
const turns = async (n = 3) => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

function track<T>(promise: Promise<T>): { settled: () => boolean } {
  let settled = false;
  promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  return { settled: () => settled };
}

describe('ConnectionClosedError', () => {
  const cases: Array<{ code: number; reason: string; message: string }> = [
    { code: 1000, reason: 'done', message: 'connection closed (1000 done)' },
    { code: 4001, reason: 'test over', message: 'connection closed (4001 test over)' },
    { code: 1006, reason: '', message: 'connection closed (1006)' },
  ];
  for (const { code, reason, message } of cases) {
    it(`${code} ${JSON.stringify(reason)} → ${message}`, () => {
      const error = new ConnectionClosedError(code, reason);
      assert.ok(error instanceof Error);
      assert.equal(error.name, 'ConnectionClosedError');
      assert.equal(error.code, code);
      assert.equal(error.reason, reason);
      assert.equal(error.message, message);
    });
  }
});

describe('FlowControlledSender', () => {
  let server: ScriptedServer;
  before(async () => {
    server = await scriptedServer();
  });
  after(() => server.close());

  it('socketOf is the TCP socket of the connection', async () => {
    const { ws, peer, closed } = await connect(server, false);
    try {
      const socket = socketOf(ws);
      assert.ok(socket instanceof Socket);
      assert.equal(socket.remotePort, server.port);
      assert.equal(socket.localPort, peer.request.socket.remotePort);
    } finally {
      ws.terminate();
      await closed;
    }
  });

  it('below the high-water mark every send resolves at once, even when the peer does not read', async () => {
    const { ws, peer, closed } = await connect(server, true);
    const waits: DrainWait[] = [];
    try {
      const sender = new FlowControlledSender(ws, MiB, (wait) => waits.push(wait));
      for (let i = 0; i < 10; i++) await guard(sender.send(Buffer.alloc(1000, i)), `send ${i}`);
      assert.equal(waits.length, 0);
      peer.ws.resume();
      for (let i = 0; i < 10; i++) {
        const { data } = await peer.messages.next(`message ${i}`);
        assert.deepEqual(data, Buffer.alloc(1000, i), `message ${i} arrives intact and in order`);
      }
    } finally {
      ws.terminate();
      await closed;
    }
  });

  it('onWritten runs once the socket wrote the message: at once when the kernel took it, else after the peer reads', async () => {
    const { ws, peer, closed } = await connect(server, true);
    try {
      const sender = new FlowControlledSender(ws, 1024);
      let smallWritten = 0;
      await guard(
        sender.send(Buffer.alloc(1000, 1), () => smallWritten++),
        'small send',
      );
      assert.equal(ws.bufferedAmount, 0, 'the kernel took the small message');
      assert.equal(smallWritten, 1, 'reported before send resolved');
      let bigWritten = 0;
      const sent = sender.send(Buffer.alloc(BIG, 2), () => bigWritten++);
      await turns();
      assert.ok(ws.bufferedAmount > 0);
      assert.equal(bigWritten, 0, 'not written while the peer does not read');
      peer.ws.resume();
      await guard(sent, 'big send');
      await guard(
        (async () => {
          while (bigWritten === 0) await turns(1);
        })(),
        'onWritten after the drain',
      );
      await peer.messages.next('small');
      const { data } = await peer.messages.next('big');
      assert.equal(data.length, BIG);
      await turns();
      assert.deepEqual([smallWritten, bigWritten], [1, 1], 'each reported once');
    } finally {
      ws.terminate();
      await closed;
    }
  });

  it('onWritten does not run while a message is queued, and at most once after the connection dropped', async () => {
    const { ws, closed } = await connect(server, true);
    const sender = new FlowControlledSender(ws, 1024);
    let written = 0;
    const sent = sender.send(Buffer.alloc(BIG), () => written++);
    await turns();
    assert.equal(written, 0, 'queued: the socket still holds the message');
    ws.terminate();
    await assert.rejects(guard(sent, 'send rejects'), { name: 'ConnectionClosedError' });
    await closed;
    await turns();
    assert.ok(written <= 1, `reported ${written} times`);
  });

  it('above the mark it waits until the peer reads (drain), reports the wait, then resolves', async () => {
    const { ws, peer, closed } = await connect(server, true);
    const waits: DrainWait[] = [];
    try {
      const sender = new FlowControlledSender(ws, 1024, (wait) => waits.push(wait));
      const message = Buffer.alloc(BIG, 7);
      const startedAt = Date.now();
      const sent = sender.send(message);
      const sendReturned = Date.now();
      const state = track(sent);
      assert.ok(sender.queuedBytes > 1024, `queued ${sender.queuedBytes} B, over the mark`);
      assert.equal(sender.queuedBytes, ws.bufferedAmount);
      await turns();
      assert.equal(state.settled(), false, 'still waiting while the peer does not read');
      assert.equal(waits.length, 0, 'a wait is reported when it ends');
      // The peer stays away for 50 ms (the condition under test, not a synchronisation).
      const holdMs = 50;
      await new Promise((resolve) => setTimeout(resolve, holdMs));
      assert.equal(state.settled(), false);
      peer.ws.resume();
      await guard(sent, 'send resolves after the drain');
      assert.equal(waits.length, 1);
      const [wait] = waits;
      assert.ok(
        wait!.queuedBytes > 1024 && wait!.queuedBytes <= BIG + 14,
        `queuedBytes ${wait!.queuedBytes}`,
      );
      assert.ok(wait!.startedAt >= startedAt && wait!.startedAt <= sendReturned, 'started in send()');
      assert.ok(
        wait!.durationMs >= holdMs - 5,
        `the wait (${wait!.durationMs} ms) lasted while the peer was away`,
      );
      const { data } = await peer.messages.next('the big message');
      assert.equal(data.length, BIG);
      assert.equal(sender.queuedBytes, 0);
    } finally {
      ws.terminate();
      await closed;
    }
  });

  it('a close by the peer while waiting rejects with its code and reason; later sends reject at once', async () => {
    const { ws, peer, closed } = await connect(server, true);
    const waits: DrainWait[] = [];
    try {
      const sender = new FlowControlledSender(ws, 1024, (wait) => waits.push(wait));
      const sent = sender.send(Buffer.alloc(BIG));
      const state = track(sent);
      await turns();
      assert.equal(state.settled(), false);
      peer.ws.close(4001, 'test over');
      // The peer cannot finish the closing handshake while it does not read: it drops the connection.
      setImmediate(() => peer.ws.terminate());
      const error = await guard(
        sent.then(
          () => assert.fail('send resolved after the close'),
          (e: unknown) => e,
        ),
        'send rejects',
      );
      assert.ok(error instanceof ConnectionClosedError, `got ${String(error)}`);
      assert.equal(error.code, 4001);
      assert.equal(error.reason, 'test over');
      assert.equal(waits.length, 1, 'the aborted wait is reported too');
      await assert.rejects(sender.send(Buffer.from('late')), (late: unknown) => late === error);
    } finally {
      ws.terminate();
      await closed;
    }
  });

  it('a connection dropped while waiting rejects with 1006 and no reason', async () => {
    const { ws, closed } = await connect(server, true);
    const sender = new FlowControlledSender(ws, 1024);
    const sent = sender.send(Buffer.alloc(BIG));
    await turns();
    ws.terminate();
    await assert.rejects(guard(sent, 'send rejects'), {
      name: 'ConnectionClosedError',
      code: 1006,
      reason: '',
    });
    await closed;
  });

  it('a send after a normal close rejects without writing', async () => {
    const { ws, peer, closed } = await connect(server, false);
    const sender = new FlowControlledSender(ws, MiB);
    ws.close(1000, 'bye');
    await closed;
    assert.deepEqual(await peer.closed, { code: 1000, reason: 'bye' });
    await assert.rejects(sender.send(Buffer.from('x')), {
      name: 'ConnectionClosedError',
      code: 1000,
      reason: 'bye',
    });
    assert.equal(peer.messages.size, 0);
  });

  it('property: when a send resolves the tool holds at most the mark, and every message arrives in order', async () => {
    const { ws, peer, closed } = await connect(server, false);
    ws.setMaxListeners(100); // one sender (and its close listener) per run
    let counter = 0;
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: MiB }),
          fc.array(fc.integer({ min: 1, max: 2 * MiB }), { minLength: 1, maxLength: 6 }),
          async (highWaterMark, sizes) => {
            const waits: DrainWait[] = [];
            const sender = new FlowControlledSender(ws, highWaterMark, (wait) => waits.push(wait));
            const first = counter;
            for (const size of sizes) {
              const fill = counter++ % 256;
              await guard(sender.send(Buffer.alloc(size, fill)), 'send');
              assert.ok(
                ws.bufferedAmount <= highWaterMark,
                `${ws.bufferedAmount} B queued > ${highWaterMark}`,
              );
            }
            for (const wait of waits) assert.ok(wait.queuedBytes > highWaterMark);
            for (let i = 0; i < sizes.length; i++) {
              const { data } = await peer.messages.next(`message ${first + i}`);
              assert.equal(data.length, sizes[i]);
              assert.equal(data[0], (first + i) % 256);
            }
          },
        ),
        { numRuns: 15 },
      );
    } finally {
      ws.terminate();
      await closed;
    }
  });
});
