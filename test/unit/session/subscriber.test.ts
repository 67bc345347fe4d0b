/**
 * Subscriber against a scripted source on 127.0.0.1: NODE_NAME first, then the SUBSCRIPTION_REQUEST built from the
 * options once the source has named itself; every message in both directions reported in order; transaction frames
 * with a non-zero tail acked with COMMITTED_UPDATE (unless ack is off); pings; pause/resume; close.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type ControlFrame,
  decodeControlFrame,
  encodeNodeName,
  isControlFrame,
  type SubscriptionEntry,
} from '../../../src/protocol/control-frame.js';
import { TxnFrameWriter } from '../../../src/protocol/txn-frame.js';
import { DialError } from '../../../src/session/dial.js';
import {
  type SubscribeOptions,
  Subscriber,
  type SubscriberEvent,
  type TxnSeen,
} from '../../../src/session/subscriber.js';
import { SyntheticWorkload } from '../../../src/workload/synthetic.js';
import {
  type Accepted,
  assertBytes,
  closedPort,
  guard,
  Inbox,
  type Message,
  nextControl,
  type ScriptedServer,
  scriptedServer,
} from './support.js';

const BASE_SEQUENCE = 5000;
const workload = new SyntheticWorkload({
  frames: 5,
  recordsPerFrame: 4,
  recordSize: 64,
  blobSize: 0,
  seed: 3,
  tableName: 'dog',
  originName: 'source-node',
  baseVersion: 1_700_000_000_000,
  baseSequence: BASE_SEQUENCE,
});
const txn = (index: number) => workload.build(index).data;

interface Run {
  subscriber: Subscriber;
  events: Inbox<SubscriberEvent>;
  txns: Inbox<TxnSeen>;
  peer: Accepted;
}

function options(url: string, overrides: Partial<SubscribeOptions> = {}): SubscribeOptions {
  return {
    url,
    authorization: 'Basic dXNlcjpwYXNz',
    toolNodeName: 'harper-replay-capture',
    database: 'kennel',
    since: 0,
    ack: true,
    handshakeTimeoutMs: 2000,
    ...overrides,
  };
}

/** Starts a subscriber and plays the source's side of the handshake; returns the subscription it sent. */
async function subscribed(
  server: ScriptedServer,
  overrides: Partial<SubscribeOptions> = {},
): Promise<Run & { request: Extract<ControlFrame, { type: 'SUBSCRIPTION_REQUEST' }> }> {
  const events = new Inbox<SubscriberEvent>();
  const txns = new Inbox<TxnSeen>();
  const subscriber = new Subscriber(options(server.url, overrides), events.push, txns.push);
  const started = subscriber.start();
  const peer = await server.connections.next('connection');
  const named = await nextControl(peer.messages, 'NODE_NAME');
  assert.deepEqual(named, {
    type: 'NODE_NAME',
    nodeName: 'harper-replay-capture',
    database: 'kennel',
    tables: [],
  });
  peer.ws.send(encodeNodeName('source-node', 'kennel', [{ table: 'dog', attributes: [{ name: 'id' }] }]));
  await guard(started, 'start');
  const request = await nextControl(peer.messages, 'SUBSCRIPTION_REQUEST');
  assert.equal(request.type, 'SUBSCRIPTION_REQUEST');
  return {
    subscriber,
    events,
    txns,
    peer,
    request: request as Extract<ControlFrame, { type: 'SUBSCRIPTION_REQUEST' }>,
  };
}

/** Closes the subscriber and returns what the source received up to the close. */
async function closeAndCollect(run: Run): Promise<Message[]> {
  await guard(run.subscriber.close(), 'subscriber closes');
  await guard(run.peer.closed, 'source sees the close');
  return run.peer.messages.drain();
}

const controlsOf = (messages: Message[]) =>
  messages.filter((m) => m.isBinary && isControlFrame(m.data)).map((m) => decodeControlFrame(m.data));

describe('Subscriber', () => {
  let server: ScriptedServer;
  const runs: Subscriber[] = [];
  before(async () => {
    server = await scriptedServer();
  });
  after(async () => {
    await Promise.all(runs.map((subscriber) => subscriber.close()));
    await server.close();
  });
  const track = <T extends { subscriber: Subscriber }>(run: T): T => {
    runs.push(run.subscriber);
    return run;
  };

  const subscriptions: Array<{
    what: string;
    overrides: Partial<SubscribeOptions>;
    entries: SubscriptionEntry[];
  }> = [
    {
      what: 'everything, full copy',
      overrides: {},
      entries: [{ name: 'source-node', replicateByDefault: true, tables: [], startTime: 0 }],
    },
    {
      what: 'only some tables, since a time',
      overrides: { tables: ['dog', 'cat'], since: 1_700_000_000_500 },
      entries: [
        {
          name: 'source-node',
          replicateByDefault: false,
          tables: ['dog', 'cat'],
          startTime: 1_700_000_000_500,
        },
      ],
    },
    {
      what: 'all but some tables',
      overrides: { excludeTables: ['audit'] },
      entries: [{ name: 'source-node', replicateByDefault: true, tables: ['audit'], startTime: 0 }],
    },
    {
      what: 'tables win over excludeTables',
      overrides: { tables: ['dog'], excludeTables: ['audit'] },
      entries: [{ name: 'source-node', replicateByDefault: false, tables: ['dog'], startTime: 0 }],
    },
    {
      what: 'relayed origins get the same entry after the source’s',
      overrides: { origins: ['peer-b', 'peer-c'], since: 42 },
      entries: ['source-node', 'peer-b', 'peer-c'].map((name) => ({
        name,
        replicateByDefault: true,
        tables: [],
        startTime: 42,
      })),
    },
  ];
  for (const { what, overrides, entries } of subscriptions) {
    it(`subscribes after the source names itself: ${what}`, async () => {
      const run = track(await subscribed(server, overrides));
      assert.deepEqual(run.request.subscriptions, entries);
      assert.equal(run.subscriber.sourceNodeName, 'source-node');
      assert.deepEqual(run.subscriber.sourceTables, [{ table: 'dog', attributes: [{ name: 'id' }] }]);
      assert.equal(run.subscriber.peer, undefined, 'no TLS identity on ws://');
      assert.equal(run.peer.request.headers.authorization, 'Basic dXNlcjpwYXNz');
    });
  }

  it('reports every message both ways in order, and acks each tail with COMMITTED_UPDATE', async () => {
    const run = track(await subscribed(server));
    for (let i = 0; i < 3; i++) run.peer.ws.send(txn(i));
    for (let i = 0; i < 3; i++) {
      const ack = await nextControl(run.peer.messages, `ack ${i}`);
      assert.deepEqual(ack, { type: 'COMMITTED_UPDATE', sequenceId: BASE_SEQUENCE + i + 1 });
      assert.deepEqual(await run.txns.next(`txn ${i}`), {
        records: 4,
        bytes: txn(i).length,
        sequenceId: BASE_SEQUENCE + i + 1,
      });
    }
    await closeAndCollect(run);
    const events = run.events.drain();
    assert.deepEqual(events[0], { type: 'open' });
    const messages = events.filter(
      (e): e is Extract<SubscriberEvent, { type: 'message' }> => e.type === 'message',
    );
    const described = messages.map((m) => {
      const type = isControlFrame(m.data) ? decodeControlFrame(m.data).type : 'TRANSACTION';
      return `${m.direction} ${type}`;
    });
    assert.deepEqual(described, [
      'to-source NODE_NAME',
      'from-source NODE_NAME',
      'to-source SUBSCRIPTION_REQUEST',
      ...[0, 1, 2].flatMap(() => ['from-source TRANSACTION', 'to-source COMMITTED_UPDATE']),
    ]);
    for (const [i, m] of messages.slice(3).entries()) {
      if (i % 2 === 0) assertBytes(m.data, txn(i / 2), 'the frame as received');
      assert.equal(m.opcode, 2);
    }
    for (let i = 1; i < messages.length; i++)
      assert.ok(messages[i]!.at >= messages[i - 1]!.at, 'timestamps in order');
    assert.deepEqual(events.at(-1), { type: 'close', code: 1000, reason: 'capture finished' });
  });

  it('with ack off, transactions are reported but never acked', async () => {
    const run = track(await subscribed(server, { ack: false }));
    run.peer.ws.send(txn(0));
    run.peer.ws.send(txn(1));
    assert.equal((await run.txns.next('txn 0')).sequenceId, BASE_SEQUENCE + 1);
    assert.equal((await run.txns.next('txn 1')).sequenceId, BASE_SEQUENCE + 2);
    // An ack would be sent right after onTxn, so before the close frame.
    const received = await closeAndCollect(run);
    assert.deepEqual(
      controlsOf(received).map((f) => f.type),
      [],
    );
  });

  it('frames without a tail, with tail 0 (end of a full copy), or undecodable are not acked', async () => {
    const run = track(await subscribed(server));
    const untailed = new TxnFrameWriter().begin(1_700_000_000_000).finish();
    const zero = new TxnFrameWriter().begin(1_700_000_000_000).finish(0);
    const short = Buffer.from([1, 2, 3]);
    for (const frame of [untailed, zero, short]) run.peer.ws.send(frame);
    assert.deepEqual(await run.txns.next('untailed'), {
      records: 0,
      bytes: untailed.length,
      sequenceId: undefined,
    });
    assert.deepEqual(await run.txns.next('tail 0'), { records: 0, bytes: zero.length, sequenceId: 0 });
    assert.deepEqual(await run.txns.next('undecodable'), { records: 0, bytes: 3 });
    assert.deepEqual(controlsOf(await closeAndCollect(run)), []);
  });

  it('a text message is recorded with opcode 1 and is no transaction', async () => {
    const run = track(await subscribed(server));
    run.peer.ws.send('hello', { binary: false });
    run.peer.ws.send(txn(0));
    await run.txns.next('the transaction after the text');
    const messages = run.events.drain().filter((e) => e.type === 'message' && e.direction === 'from-source');
    const text = messages[1] as Extract<SubscriberEvent, { type: 'message' }>;
    assert.equal(text.opcode, 1);
    assert.equal(text.data.toString(), 'hello');
    assert.equal(run.txns.size, 0, 'only the binary frame counted');
  });

  it('pings the source every pingIntervalMs', async () => {
    const run = track(await subscribed(server, { pingIntervalMs: 20 }));
    const pings = new Inbox<number>();
    run.peer.ws.on('ping', () => pings.push(Date.now()));
    const first = await pings.next('first ping');
    const second = await pings.next('second ping');
    assert.ok(second - first >= 10, `pings ${second - first} ms apart`);
  });

  it('pause() stops reading the source until resume()', async () => {
    const run = track(await subscribed(server));
    run.subscriber.pause();
    run.peer.ws.send(txn(0));
    // Held for 100 ms: a subscriber that kept reading would report the frame within a millisecond or two.
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(run.txns.size, 0, 'nothing read while paused');
    run.subscriber.resume();
    assert.equal((await run.txns.next('txn after resume')).sequenceId, BASE_SEQUENCE + 1);
  });

  it('a close by the source resolves closed and is the last event', async () => {
    const run = track(await subscribed(server));
    run.peer.ws.close(1001, 'shutting down');
    assert.deepEqual(await guard(run.subscriber.closed, 'closed'), { code: 1001, reason: 'shutting down' });
    assert.deepEqual(run.events.drain().at(-1), { type: 'close', code: 1001, reason: 'shutting down' });
  });

  it('close() ends with 1000 "capture finished"', async () => {
    const run = track(await subscribed(server));
    assert.deepEqual(await guard(run.subscriber.close(), 'close'), {
      code: 1000,
      reason: 'capture finished',
    });
    assert.deepEqual(await run.peer.closed, { code: 1000, reason: 'capture finished' });
    assert.deepEqual(await run.subscriber.closed, { code: 1000, reason: 'capture finished' });
  });

  it('1008 Unauthorized on NODE_NAME: start rejects with unauthorized; the close is recorded', async () => {
    const events = new Inbox<SubscriberEvent>();
    const subscriber = new Subscriber(options(server.url), events.push);
    runs.push(subscriber);
    const started = subscriber.start();
    const peer = await server.connections.next('connection');
    await nextControl(peer.messages, 'NODE_NAME');
    peer.ws.close(1008, 'Unauthorized');
    const error = await guard(
      started.then(
        () => assert.fail('started'),
        (e: unknown) => e,
      ),
      'start rejects',
    );
    assert.ok(error instanceof DialError);
    assert.equal(error.kind, 'unauthorized');
    assert.match(error.message, /check --user\/--password/);
    assert.deepEqual(events.drain().at(-1), { type: 'close', code: 1008, reason: 'Unauthorized' });
    assert.equal(subscriber.sourceNodeName, undefined);
  });

  it('no NODE_NAME answer in time: start rejects with timeout', async () => {
    const subscriber = new Subscriber(options(server.url, { handshakeTimeoutMs: 100 }), () => {});
    runs.push(subscriber);
    const started = subscriber.start();
    const peer = await server.connections.next('connection');
    await nextControl(peer.messages, 'NODE_NAME');
    await assert.rejects(guard(started, 'start rejects'), {
      name: 'DialError',
      kind: 'timeout',
      message: 'no NODE_NAME answer within 100 ms',
    });
    await guard(subscriber.close(), 'close');
    await guard(peer.closed, 'source sees the close');
    assert.equal(peer.messages.size, 0, 'no subscription was sent');
  });

  it('a dial failure rejects start; close() then resolves at once', async () => {
    const subscriber = new Subscriber(options(`ws://127.0.0.1:${await closedPort()}`), () => {});
    await assert.rejects(subscriber.start(), { name: 'DialError', kind: 'refused' });
    assert.deepEqual(await subscriber.close(), { code: 1006, reason: 'not connected' });
  });
});
