/**
 * connectPush against a scripted server on 127.0.0.1: the tool names itself first (NODE_NAME for its database,
 * with its credentials on the upgrade), the answer's name is returned with an open socket, and a refusal after the
 * upgrade (1008 Unauthorized, another close, silence) becomes the DialError that says what happened.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodeCommittedUpdate, encodeNodeName } from '../../../src/protocol/control-frame.js';
import { DialError } from '../../../src/session/dial.js';
import { connectPush, type PushConnectOptions } from '../../../src/session/push-client.js';
import { closedPort, guard, nextControl, type ScriptedServer, scriptedServer } from './support.js';

const options = (url: string, overrides: Partial<PushConnectOptions> = {}): PushConnectOptions => ({
  url,
  authorization: 'Basic dXNlcjpwYXNz',
  nodeName: 'harper-replay-push',
  database: 'data',
  highWaterMark: 1024 * 1024,
  handshakeTimeoutMs: 2000,
  ...overrides,
});

async function pushError(promise: Promise<unknown>): Promise<DialError> {
  const error = await guard(
    promise.then(
      () => assert.fail('connected'),
      (e: unknown) => e,
    ),
    'connectPush settles',
  );
  assert.ok(error instanceof DialError, `expected a DialError, got ${String(error)}`);
  return error;
}

describe('connectPush', () => {
  let server: ScriptedServer;
  before(async () => {
    server = await scriptedServer();
  });
  after(() => server.close());

  it('names itself for the database, returns the target’s name and an open socket', async () => {
    const connecting = connectPush(options(server.url));
    const peer = await server.connections.next('connection');
    assert.equal(peer.request.headers.authorization, 'Basic dXNlcjpwYXNz');
    assert.deepEqual(await nextControl(peer.messages, 'NODE_NAME'), {
      type: 'NODE_NAME',
      nodeName: 'harper-replay-push',
      database: 'data',
      tables: [],
    });
    peer.ws.send(encodeNodeName('target-node', 'data', [{ table: 'dog' }]));
    const { socket, remoteNodeName } = await guard(connecting, 'connected');
    try {
      assert.equal(remoteNodeName, 'target-node');
      assert.equal(socket.isOpen, true);
      // The socket is usable for data: what the tool sends arrives, what the target sends is dispatched.
      await socket.send(Buffer.from([1, 2, 3]));
      assert.deepEqual([...(await peer.messages.next('data')).data], [1, 2, 3]);
      const ack = socket.next('COMMITTED_UPDATE', 2000);
      peer.ws.send(encodeCommittedUpdate(11));
      assert.deepEqual(await ack, { type: 'COMMITTED_UPDATE', sequenceId: 11 });
    } finally {
      socket.terminate();
    }
  });

  it('1008 Unauthorized on NODE_NAME: unauthorized, naming the credential that was refused', async () => {
    const connecting = connectPush(options(server.url));
    const peer = await server.connections.next('connection');
    await nextControl(peer.messages, 'NODE_NAME');
    peer.ws.close(1008, 'Unauthorized');
    const error = await pushError(connecting);
    assert.equal(error.kind, 'unauthorized');
    assert.match(
      error.message,
      /^authentication refused by ws:\/\/127\.0\.0\.1:\d+ \(1008 Unauthorized\): check --user\/--password/,
    );
  });

  it('1008 Unauthorized with a token: points at the token', async () => {
    const connecting = connectPush(options(server.url, { authorization: 'Bearer abc.def' }));
    const peer = await server.connections.next('connection');
    await nextControl(peer.messages, 'NODE_NAME');
    peer.ws.close(1008, 'Unauthorized');
    assert.match((await pushError(connecting)).message, /the --token \(HARPER_TOKEN\) was not accepted/);
  });

  it('another close during the handshake: rejected, with its code and reason', async () => {
    const connecting = connectPush(options(server.url));
    const peer = await server.connections.next('connection');
    await nextControl(peer.messages, 'NODE_NAME');
    peer.ws.close(1011, 'database data does not exist');
    const error = await pushError(connecting);
    assert.equal(error.kind, 'rejected');
    assert.match(
      error.message,
      /^ws:\/\/127\.0\.0\.1:\d+ closed the connection during the handshake \(1011 database data does not exist\)$/,
    );
  });

  it('no NODE_NAME answer in time: timeout, and the socket is dropped', async () => {
    const connecting = connectPush(options(server.url, { handshakeTimeoutMs: 100 }));
    const peer = await server.connections.next('connection');
    await nextControl(peer.messages, 'NODE_NAME');
    // Anything but NODE_NAME does not count as the answer.
    peer.ws.send(encodeCommittedUpdate(1));
    const error = await pushError(connecting);
    assert.equal(error.kind, 'timeout');
    assert.match(error.message, /^ws:\/\/127\.0\.0\.1:\d+: no NODE_NAME frame within 100 ms$/);
    assert.equal((await guard(peer.closed, 'the target sees the socket go')).code, 1006);
  });

  it('a dial failure comes through as it is', async () => {
    const error = await pushError(connectPush(options(`ws://127.0.0.1:${await closedPort()}`)));
    assert.equal(error.kind, 'refused');
  });
});
