/**
 * Push sessions against scripted replication servers on 127.0.0.1: each dial names the tool for one database and
 * gets the server's NODE_NAME back; PushSessions routes each stream to its member's URL and database.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocketServer } from 'ws';
import { MetricsBus } from '../../../src/events/metrics-bus.js';
import type { RunEvent } from '../../../src/events/schema.js';
import { SUBPROTOCOL } from '../../../src/protocol/codes.js';
import { decodeControlFrame, encodeNodeName } from '../../../src/protocol/control-frame.js';
import { AbortedError } from '../../../src/session/channel.js';
import { PushSession, PushSessions } from '../../../src/session/push-session.js';

/** A replication port that answers NODE_NAME with its own name and records who dialed it for which database. */
class ScriptedNode {
  readonly server: WebSocketServer;
  readonly dials: Array<{ nodeName: string; database: string; authorization?: string }> = [];

  constructor(readonly name: string) {
    this.server = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => SUBPROTOCOL });
    this.server.on('connection', (ws, request) => {
      ws.on('message', (data: Buffer) => {
        const frame = decodeControlFrame(data);
        if (frame.type !== 'NODE_NAME') return;
        this.dials.push({
          nodeName: frame.nodeName,
          database: frame.database,
          ...(request.headers.authorization ? { authorization: request.headers.authorization } : {}),
        });
        ws.send(encodeNodeName(this.name, frame.database));
      });
    });
  }

  listening(): Promise<void> {
    return new Promise((resolve) => this.server.once('listening', resolve));
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    for (const client of this.server.clients) client.terminate();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const a = new ScriptedNode('node-a');
const b = new ScriptedNode('node-b');

before(async () => {
  await Promise.all([a.listening(), b.listening()]);
});
after(async () => {
  await Promise.all([a.close(), b.close()]);
});

function recording() {
  const bus = new MetricsBus();
  const events: RunEvent[] = [];
  bus.subscribe((event) => events.push(event));
  return { bus, events };
}

describe('PushSession', () => {
  it('dials, names the tool for its database, and resumes after the ack it is given', async () => {
    const { bus, events } = recording();
    const session = new PushSession({
      url: a.url,
      authorization: 'Basic dGVzdDp0ZXN0',
      toolNodeName: 'harper-replay-t1',
      database: 'data',
      highWaterMark: 1 << 20,
      bus,
    });
    const channel = await session.next(2000, new AbortController().signal, 1234.5);
    assert.equal(channel.startTime, 1234.5);
    assert.deepEqual(channel.subscribedNames, ['harper-replay-t1']);
    assert.deepEqual(a.dials.at(-1), {
      nodeName: 'harper-replay-t1',
      database: 'data',
      authorization: 'Basic dGVzdDp0ZXN0',
    });
    const named = events.find((e) => e.type === 'connection' && e.event === 'named');
    assert.ok(named?.type === 'connection');
    assert.equal(named.remoteNodeName, 'node-a');
    assert.equal(named.socketId, channel.socket.id);
    await session.close();
    await channel.socket.closed;
    assert.ok(
      events.some((e) => e.type === 'connection' && e.event === 'closed' && e.socketId === channel.socket.id),
    );
  });

  it('an aborted run dials nothing', async () => {
    const { bus } = recording();
    const session = new PushSession({
      url: a.url,
      toolNodeName: 't',
      database: 'data',
      highWaterMark: 1,
      bus,
    });
    const abort = new AbortController();
    abort.abort();
    const before = a.dials.length;
    await assert.rejects(session.next(1000, abort.signal), AbortedError);
    assert.equal(a.dials.length, before);
  });
});

describe('PushSessions', () => {
  it('routes each member × database to its own session, and the default route to the target', async () => {
    const { bus } = recording();
    const sessions = new PushSessions(
      new Map([
        ['node-a', a.url],
        ['node-b', b.url],
      ]),
      ['d1', 'd2'],
      { member: 'node-a', database: 'd1' },
      { toolNodeName: 'harper-replay-t2', highWaterMark: 1 << 20, bus },
    );
    const signal = new AbortController().signal;
    const fromB = await sessions.next(2000, signal, 0, { member: 'node-b', database: 'd2' });
    assert.deepEqual(b.dials.at(-1), { nodeName: 'harper-replay-t2', database: 'd2' });
    const byDefault = await sessions.next(2000, signal, 7);
    assert.deepEqual(a.dials.at(-1), { nodeName: 'harper-replay-t2', database: 'd1' });
    assert.equal(byDefault.startTime, 7);
    assert.throws(
      () => sessions.next(2000, signal, 0, { member: 'node-c', database: 'd1' }),
      /push: no session for node-c\/d1/,
    );
    await sessions.close();
    await Promise.all([fromB.socket.closed, byDefault.socket.closed]);
  });
});
