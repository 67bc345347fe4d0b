/**
 * ReplicationSocket around a client WebSocket, with a scripted peer on 127.0.0.1 sending frames built by the
 * project's codec: dispatch by control frame type, what goes to onUnhandled (and with which problem), next() with
 * its timeout and close, the close and terminate paths, and the TCP ports.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pack } from 'msgpackr';
import WebSocket from 'ws';
import { Command, SUBPROTOCOL } from '../../../src/protocol/codes.js';
import {
  type ControlFrame,
  decodeControlFrame,
  encodeCommittedUpdate,
  encodeControl,
  encodeNodeName,
  encodeSubscriptionRequest,
} from '../../../src/protocol/control-frame.js';
import { ConnectionClosedError, type DrainWait } from '../../../src/session/flow-control.js';
import { ReplicationSocket, type ReplicationSocketOptions } from '../../../src/session/replication-socket.js';
import { type Accepted, assertBytes, guard, Inbox, type ScriptedServer, scriptedServer } from './support.js';

interface Unhandled {
  data: Buffer;
  problem?: string;
}

/** A ReplicationSocket on a fresh client connection, and the scripted peer's end. */
async function open(
  server: ScriptedServer,
  options: Partial<ReplicationSocketOptions> = {},
): Promise<{ socket: ReplicationSocket; peer: Accepted; unhandled: Inbox<Unhandled> }> {
  const ws = new WebSocket(server.url, SUBPROTOCOL, { perMessageDeflate: false });
  await guard(new Promise((resolve) => ws.once('open', resolve)), 'client open');
  const unhandled = new Inbox<Unhandled>();
  const socket = new ReplicationSocket(ws, {
    highWaterMark: 1024 * 1024,
    onUnhandled: (data, problem) => unhandled.push(problem === undefined ? { data } : { data, problem }),
    ...options,
  });
  const peer = await server.connections.next('server connection');
  return { socket, peer, unhandled };
}

describe('ReplicationSocket', () => {
  let server: ScriptedServer;
  const sockets: ReplicationSocket[] = [];
  const opened = async (options: Partial<ReplicationSocketOptions> = {}) => {
    const result = await open(server, options);
    sockets.push(result.socket);
    return result;
  };
  before(async () => {
    server = await scriptedServer();
  });
  after(async () => {
    for (const socket of sockets) socket.terminate();
    await Promise.all(sockets.map((socket) => socket.closed));
    await server.close();
  });

  it('dispatches control frames by type to every handler of that type, in registration order', async () => {
    const { socket, peer, unhandled } = await opened();
    const seen = new Inbox<[string, ControlFrame]>();
    const returned = socket
      .on('NODE_NAME', (frame) => seen.push(['first', frame]))
      .on('NODE_NAME', (frame) => seen.push(['second', frame]))
      .on('COMMITTED_UPDATE', (frame) => seen.push(['ack', frame]));
    assert.equal(returned, socket, 'on() chains');
    peer.ws.send(encodeNodeName('node-a', 'data', [{ table: 'dog' }]));
    peer.ws.send(encodeCommittedUpdate(42.5));
    const expected: ControlFrame = {
      type: 'NODE_NAME',
      nodeName: 'node-a',
      database: 'data',
      tables: [{ table: 'dog' }],
    };
    assert.deepEqual(await seen.next('first handler'), ['first', expected]);
    assert.deepEqual(await seen.next('second handler'), ['second', expected]);
    assert.deepEqual(await seen.next('ack handler'), ['ack', { type: 'COMMITTED_UPDATE', sequenceId: 42.5 }]);
    assert.equal(unhandled.size, 0, 'handled frames are not reported as unhandled');
  });

  it('reports text, transaction, unhandled and undecodable frames to onUnhandled, in order', async () => {
    const { socket, peer, unhandled } = await opened();
    const handled = new Inbox<ControlFrame>();
    socket.on('NODE_NAME', handled.push);
    const transaction = Buffer.concat([Buffer.alloc(8), Buffer.from([2, 0xaa, 0xbb])]);
    const cases: Array<{ what: string; data: Buffer; binary?: boolean; problem?: RegExp }> = [
      { what: 'a text message', data: Buffer.from('hello'), binary: false },
      // Its first byte (0xc3) would make a binary message a control frame: text is never decoded.
      { what: 'a text message starting with é', data: Buffer.from('é!'), binary: false },
      { what: 'a transaction frame', data: transaction },
      {
        what: 'a control frame nobody handles',
        data: encodeSubscriptionRequest([{ name: 'x', startTime: 0 }]),
      },
      { what: 'an unknown command', data: encodeControl(200, 'future') },
      { what: 'truncated MessagePack', data: Buffer.from([0x93, 0x8c]), problem: /not valid MessagePack/ },
      {
        what: 'a map, not an array',
        data: pack({ a: 1 }),
        problem: /not an array starting with a command code/,
      },
      {
        what: 'an array of a string',
        data: pack(['x']),
        problem: /not an array starting with a command code/,
      },
      {
        what: 'a NODE_NAME with a numeric name',
        data: encodeControl(Command.NODE_NAME, 7, 'data'),
        problem: /malformed NODE_NAME frame: node name/,
      },
    ];
    for (const { data, binary } of cases) {
      peer.ws.send(data, { binary: binary ?? true });
      peer.ws.send(encodeNodeName('between', 'data'));
    }
    for (const { what, data, problem } of cases) {
      const got = await unhandled.next(what);
      assertBytes(got.data, data, what);
      if (problem) assert.match(got.problem ?? '', problem, what);
      else assert.equal(got.problem, undefined, what);
      assert.equal((await handled.next(`NODE_NAME after ${what}`)).type, 'NODE_NAME');
    }
    assert.equal(unhandled.size, 0);
  });

  it('an UNKNOWN handler receives unknown commands with their elements', async () => {
    const { socket, peer, unhandled } = await opened();
    const seen = new Inbox<ControlFrame>();
    socket.on('UNKNOWN', seen.push);
    peer.ws.send(encodeControl(200, 'future', 3));
    assert.deepEqual(await seen.next('unknown frame'), {
      type: 'UNKNOWN',
      code: 200,
      elements: ['future', 3],
    });
    assert.equal(unhandled.size, 0);
  });

  it('next() resolves with the next frame of its type, skipping others', async () => {
    const { socket, peer } = await opened();
    const answer = socket.next('COMMITTED_UPDATE', 2000);
    peer.ws.send(encodeNodeName('node-a', 'data'));
    peer.ws.send(encodeCommittedUpdate(7));
    peer.ws.send(encodeCommittedUpdate(8));
    assert.deepEqual(await answer, { type: 'COMMITTED_UPDATE', sequenceId: 7 });
  });

  it('next() is one-shot: a later frame of its type is unhandled again (its handler was removed)', async () => {
    const { socket, peer, unhandled } = await opened();
    const answer = socket.next('NODE_NAME', 2000);
    peer.ws.send(encodeNodeName('node-a', 'data'));
    assert.equal((await answer).type, 'NODE_NAME');
    peer.ws.send(encodeNodeName('node-b', 'data'));
    const second = await unhandled.next('the second NODE_NAME');
    assert.equal(decodeControlFrame(second.data).type, 'NODE_NAME');
  });

  it('next() rejects after its timeout when no such frame comes', async () => {
    const { socket, peer } = await opened();
    const answer = socket.next('COMMITTED_UPDATE', 50);
    peer.ws.send(encodeNodeName('node-a', 'data'));
    await assert.rejects(guard(answer, 'next times out'), {
      message: 'no COMMITTED_UPDATE frame within 50 ms',
    });
    assert.equal(socket.isOpen, true, 'a timeout leaves the socket open');
  });

  it('next() rejects with the close (code and reason) when the peer closes first', async () => {
    const { socket, peer } = await opened();
    const answer = socket.next('NODE_NAME', 2000);
    peer.ws.close(4003, 'gone');
    const error = await guard(
      answer.then(
        () => assert.fail('resolved'),
        (e: unknown) => e,
      ),
      'next rejects',
    );
    assert.ok(error instanceof ConnectionClosedError);
    assert.equal(error.code, 4003);
    assert.equal(error.reason, 'gone');
  });

  it('closed resolves with the peer’s code and reason; isOpen follows the socket', async () => {
    const { socket, peer } = await opened();
    assert.equal(socket.isOpen, true);
    peer.ws.close(4000, 'bye now');
    const closed = await guard(socket.closed, 'closed');
    assert.ok(closed instanceof ConnectionClosedError);
    assert.deepEqual([closed.code, closed.reason], [4000, 'bye now']);
    assert.equal(socket.isOpen, false);
  });

  it('close(code, reason) reaches the peer; closing again is a no-op', async () => {
    const { socket, peer } = await opened();
    socket.close(4100, 'tool done');
    assert.deepEqual(await guard(peer.closed, 'peer sees the close'), { code: 4100, reason: 'tool done' });
    const closed = await guard(socket.closed, 'closed');
    assert.deepEqual([closed.code, closed.reason], [4100, 'tool done']);
    socket.close(1000, 'again');
    socket.close();
  });

  it('close() without arguments is a normal closure (1000)', async () => {
    const { socket, peer } = await opened();
    socket.close();
    assert.deepEqual(await guard(peer.closed, 'peer sees the close'), { code: 1000, reason: '' });
  });

  it('terminate() drops the connection: closed resolves with 1006', async () => {
    const { socket, peer } = await opened();
    socket.terminate();
    const closed = await guard(socket.closed, 'closed');
    assert.equal(closed.code, 1006);
    assert.equal((await guard(peer.closed, 'peer sees the drop')).code, 1006);
  });

  it('send() delivers the bytes as one binary message', async () => {
    const { socket, peer } = await opened();
    const frame = encodeNodeName('tool', 'data', [{ table: 't' }]);
    await socket.send(frame);
    const { data, isBinary } = await peer.messages.next('sent frame');
    assert.equal(isBinary, true);
    assertBytes(data, frame);
  });

  it('passes the drain waits of its sender to onDrainWait', async () => {
    const waits: DrainWait[] = [];
    const { socket, peer } = await opened({ highWaterMark: 1024, onDrainWait: (wait) => waits.push(wait) });
    peer.ws.pause();
    const sent = socket.send(Buffer.alloc(16 * 1024 * 1024));
    await new Promise((resolve) => setImmediate(resolve));
    peer.ws.resume();
    await guard(sent, 'send after drain');
    assert.equal(waits.length, 1);
    assert.ok(waits[0]!.queuedBytes > 1024);
  });

  it('ports are the two ends of its TCP connection; ids are unique and increasing', async () => {
    const a = await opened();
    const b = await opened();
    assert.equal(a.socket.ports.remotePort, server.port);
    assert.equal(a.socket.ports.localPort, a.peer.request.socket.remotePort);
    assert.equal(b.socket.ports.localPort, b.peer.request.socket.remotePort);
    assert.ok(b.socket.id > a.socket.id, `${b.socket.id} > ${a.socket.id}`);
  });
});
