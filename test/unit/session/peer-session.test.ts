/**
 * PeerSession without a Harper node: a scripted operations client records add_node / remove_node / certificate
 * calls (and fails them on demand), and the test plays the target dialing the listener with the credential it was
 * given. What is checked is the tool's side: the one-time credential, which subscriptions are handed out on which
 * route, next()'s timeout and abort, the bus events, and the cleanup on close() (with its retries and warnings).
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { MetricsBus } from '../../../src/events/metrics-bus.js';
import type { RunEvent } from '../../../src/events/schema.js';
import type {
  AddNodeRequest,
  CertificateEntry,
  OperationsClient,
} from '../../../src/harper/operations-client.js';
import { encodeNodeName, encodeSubscriptionRequest } from '../../../src/protocol/control-frame.js';
import { type ListenerIdentity, runIdentity } from '../../../src/session/peer-pki.js';
import { PeerSession, type PeerSessionOptions } from '../../../src/session/peer-session.js';
import { guard, Inbox, nextControl, openClient } from './support.js';

const TARGET = 'target-node';
const TOOL = 'harper-replay-tool';

/** The operations API as the session uses it: every call recorded, failures scripted per operation. */
class ScriptedOperations {
  readonly calls: Array<{ operation: string; args: unknown[] }> = [];
  readonly failures = new Map<string, Error[]>();
  certificates: CertificateEntry[] = [];

  fail(operation: string, ...errors: Error[]): this {
    this.failures.set(operation, [...(this.failures.get(operation) ?? []), ...errors]);
    return this;
  }

  private async record<T>(operation: string, args: unknown[], value: T): Promise<T> {
    this.calls.push({ operation, args });
    const error = this.failures.get(operation)?.shift();
    if (error) throw error;
    return value;
  }

  named(operation: string): unknown[][] {
    return this.calls.filter((call) => call.operation === operation).map((call) => call.args);
  }

  addNode = (request: AddNodeRequest, timeoutMs?: number) =>
    this.record('add_node', [request, timeoutMs], { message: 'ok' });
  removeNode = (hostname: string, timeoutMs?: number) =>
    this.record('remove_node', [hostname, timeoutMs], { message: 'ok' });
  addCertificate = (entry: unknown) => this.record('add_certificate', [entry], { message: 'ok' });
  listCertificates = () => this.record('list_certificates', [], this.certificates);
  removeCertificate = (name: string) => this.record('remove_certificate', [name], { message: 'ok' });

  get client(): OperationsClient {
    return this as unknown as OperationsClient;
  }
}

interface Harness {
  session: PeerSession;
  operations: ScriptedOperations;
  events: Inbox<RunEvent>;
  /** The Authorization add_node was given (what the target presents when it dials). */
  authorization: () => string;
}

const sessions: PeerSession[] = [];

function harness(
  overrides: Partial<PeerSessionOptions> = {},
  operations = new ScriptedOperations(),
): Harness {
  const bus = new MetricsBus();
  const events = new Inbox<RunEvent>();
  bus.subscribe(events.push);
  const session = new PeerSession({
    client: operations.client,
    targetNodeName: TARGET,
    databases: ['data'],
    toolNodeName: TOOL,
    listenHost: '127.0.0.1',
    listenPort: 0,
    highWaterMark: 1024 * 1024,
    bus,
    ...overrides,
  });
  sessions.push(session);
  return {
    session,
    operations,
    events,
    authorization: () => (operations.named('add_node')[0]![0] as AddNodeRequest).authorization!,
  };
}

/** The next bus event of a type that `matches` (events in between are skipped). */
async function nextEvent<T extends RunEvent['type']>(
  events: Inbox<RunEvent>,
  type: T,
  matches: (event: Extract<RunEvent, { type: T }>) => boolean = () => true,
): Promise<Extract<RunEvent, { type: T }>> {
  for (;;) {
    const event = await events.next(`a ${type} event`);
    if (event.type === type && matches(event as Extract<RunEvent, { type: T }>))
      return event as Extract<RunEvent, { type: T }>;
  }
}

type ConnectionEvent = Extract<RunEvent, { type: 'connection' }>;

/** The target's side: dial with the credential, name itself for `database`, subscribe; the bus events of that. */
async function subscribe(
  h: Harness,
  options: { member?: string; database?: string; startTime?: number; names?: string[] } = {},
) {
  const member = options.member ?? TARGET;
  const database = options.database ?? 'data';
  const client = await openClient(h.session.url!, { authorization: h.authorization() });
  client.ws.send(encodeNodeName(member, database));
  await nextControl(client.messages, 'NODE_NAME answer');
  const names = options.names ?? [TOOL];
  client.ws.send(
    encodeSubscriptionRequest(names.map((name) => ({ name, startTime: options.startTime ?? 0 }))),
  );
  const ours = (event: ConnectionEvent) => event.remoteNodeName === member && event.database === database;
  const named = await nextEvent(
    h.events,
    'connection',
    (e) => ours(e) && (e.event === 'named' || e.event === 'ignored'),
  );
  const subscribed = await nextEvent(h.events, 'connection', (e) => ours(e) && e.event === 'subscribed');
  assert.equal(subscribed.socketId, named.socketId, 'one socket');
  return { client, named, subscribed };
}

const never = () => new AbortController().signal;

after(async () => {
  await Promise.all(sessions.map((session) => session.close(0)));
});

describe('PeerSession.start', () => {
  it('listens, then add_node’s itself with a fresh one-time Basic credential it retains', async () => {
    const a = harness();
    const b = harness();
    await a.session.start();
    await b.session.start();
    assert.match(a.session.url ?? '', /^ws:\/\/127\.0\.0\.1:\d+$/);
    const [[request, timeoutMs]] = a.operations.named('add_node') as [[AddNodeRequest, number]];
    assert.equal(request.url, a.session.url);
    assert.equal(request.retain_authorization, true);
    assert.equal(timeoutMs, 60_000);
    const [scheme, encoded] = (request.authorization ?? '').split(' ');
    assert.equal(scheme, 'Basic');
    assert.match(Buffer.from(encoded!, 'base64').toString(), /^harper-replay:[A-Za-z0-9_-]{32}$/);
    assert.notEqual(a.authorization(), b.authorization(), 'a new secret per session');
    assert.equal(a.session.registered, true);
    assert.equal(a.operations.named('add_certificate').length, 0, 'no certificates on ws');
  });

  it('an add_node failure is thrown as it is, without retries, and nothing is registered', async () => {
    const h = harness({}, new ScriptedOperations().fail('add_node', new Error('node name already exists')));
    await assert.rejects(h.session.start(), { message: 'node name already exists' });
    assert.equal(h.operations.named('add_node').length, 1);
    assert.equal(h.session.registered, false);
    await h.session.close(0);
    assert.equal(h.operations.named('remove_node').length, 0, 'nothing to remove');
  });
});

describe('PeerSession subscriptions', () => {
  let h: Harness;
  before(async () => {
    h = harness({ databases: ['data', 'kennel'] });
    await h.session.start();
  });
  afterEach(() => h.events.drain());

  it('the target’s subscription is handed out as a data channel, with the bus told', async () => {
    const { client, named, subscribed } = await subscribe(h, {
      startTime: 1234.5,
      names: [TOOL, 'relay-node'],
    });
    const channel = await guard(h.session.next(1000, never()), 'next');
    assert.equal(channel.startTime, 1234.5);
    assert.deepEqual(channel.subscribedNames, [TOOL, 'relay-node']);
    assert.equal(channel.socket.isOpen, true);
    await channel.socket.send(Buffer.from('data for the target'));
    assert.equal((await client.messages.next('data')).data.toString(), 'data for the target');
    const expected = {
      type: 'connection',
      socketId: channel.socket.id,
      remoteNodeName: TARGET,
      database: 'data',
    };
    const { t: _named, ...namedRest } = named;
    const { t: _subscribed, ...subscribedRest } = subscribed;
    assert.deepEqual(namedRest, { ...expected, event: 'named' });
    assert.deepEqual(subscribedRest, { ...expected, event: 'subscribed', startTime: 1234.5 });
    client.ws.terminate();
  });

  it('next() waits for a subscription that comes later; each route has its own queue, first come first served', async () => {
    const waiting = h.session.next(2000, never(), undefined, { member: TARGET, database: 'kennel' });
    const first = await subscribe(h, { database: 'kennel', startTime: 1 });
    const second = await subscribe(h, { database: 'kennel', startTime: 2 });
    assert.equal((await guard(waiting, 'next')).startTime, 1);
    assert.equal(
      (await h.session.next(100, never(), undefined, { member: TARGET, database: 'kennel' })).startTime,
      2,
    );
    await assert.rejects(
      h.session.next(50, never()),
      { name: 'ChannelTimeoutError' },
      'nothing queued for data',
    );
    first.client.ws.terminate();
    second.client.ws.terminate();
  });

  it('a database that is not loaded is not handed out', async () => {
    const { client } = await subscribe(h, { database: 'system' });
    await assert.rejects(h.session.next(50, never(), undefined, { member: TARGET, database: 'system' }), {
      name: 'ChannelTimeoutError',
    });
    client.ws.terminate();
  });

  it('another member is answered and reported, never loaded', async () => {
    const { client, named } = await subscribe(h, { member: 'node-b' });
    assert.equal(named.event, 'ignored');
    assert.ok(h.session.otherMembers.has('node-b'));
    for (const route of [undefined, { member: 'node-b', database: 'data' }]) {
      await assert.rejects(h.session.next(50, never(), undefined, route), { name: 'ChannelTimeoutError' });
    }
    client.ws.terminate();
  });

  it('a subscription whose socket closed before next() is skipped', async () => {
    const gone = await subscribe(h, { startTime: 10 });
    gone.client.ws.close(4000, 'restarting');
    const closed = await nextEvent(
      h.events,
      'connection',
      (e) => e.event === 'closed' && e.socketId === gone.named.socketId,
    );
    assert.deepEqual([closed.code, closed.reason, closed.remoteNodeName], [4000, 'restarting', TARGET]);
    const live = await subscribe(h, { startTime: 11 });
    assert.equal((await guard(h.session.next(1000, never()), 'next')).startTime, 11);
    live.client.ws.terminate();
  });

  it('times out with ChannelTimeoutError naming the member, database and URL', async () => {
    const started = Date.now();
    await assert.rejects(h.session.next(80, never()), (error: Error) => {
      assert.equal(error.name, 'ChannelTimeoutError');
      assert.equal(error.message, `${TARGET} did not subscribe to data on ${h.session.url} within 80 ms`);
      return true;
    });
    assert.ok(Date.now() - started >= 75, 'waited for the timeout');
  });

  it('an aborted signal ends next() with AbortedError, before or while waiting', async () => {
    const aborted = new AbortController();
    aborted.abort();
    await assert.rejects(h.session.next(5000, aborted.signal), {
      name: 'AbortedError',
      message: 'interrupted',
    });
    const later = new AbortController();
    const waiting = h.session.next(5000, later.signal);
    setImmediate(() => later.abort());
    const started = Date.now();
    await assert.rejects(guard(waiting, 'next aborts'), { name: 'AbortedError' });
    assert.ok(Date.now() - started < 1000, 'at once, not at the timeout');
  });

  it('a dial without the credential is refused with 1008 and reported as a warning', async () => {
    const client = await openClient(h.session.url!);
    client.ws.send(encodeNodeName('intruder', 'data'));
    assert.deepEqual(await guard(client.closed, 'refused'), { code: 1008, reason: 'Unauthorized' });
    assert.match(
      (await nextEvent(h.events, 'warning')).message,
      /announced itself as intruder without the one-time credential/,
    );
  });
});

describe('PeerSession with fanOut', () => {
  it('hands out every member’s subscriptions on their own routes', async () => {
    const h = harness({ fanOut: true });
    await h.session.start();
    const b = await subscribe(h, { member: 'node-b', startTime: 5 });
    assert.equal(b.named.event, 'named');
    assert.equal(h.session.otherMembers.size, 0);
    const channel = await h.session.next(1000, never(), undefined, { member: 'node-b', database: 'data' });
    assert.equal(channel.startTime, 5);
    await assert.rejects(
      h.session.next(50, never()),
      { name: 'ChannelTimeoutError' },
      'not on the target’s route',
    );
    b.client.ws.terminate();
    await h.session.close(0);
  });
});

describe('PeerSession.close', () => {
  it('remove_node’s the tool, then drops the sockets and stops listening', async () => {
    const h = harness();
    await h.session.start();
    const { client } = await subscribe(h);
    await h.session.close();
    assert.deepEqual(h.operations.named('remove_node'), [[TOOL, 5000]]);
    assert.equal(h.session.registered, false);
    assert.equal((await guard(client.closed, 'target dropped')).code, 1006);
    await assert.rejects(openClient(h.session.url!), /ECONNREFUSED/);
  });

  it('retries a failing remove_node until it succeeds', async () => {
    const h = harness({}, new ScriptedOperations().fail('remove_node', new Error('worker restarting')));
    await h.session.start();
    await h.session.close(5000);
    assert.equal(h.operations.named('remove_node').length, 2);
    assert.equal(h.session.registered, false);
    assert.equal(h.events.drain().filter((e) => e.type === 'warning').length, 0);
  });

  it('gives up after retryForMs with a warning that says how to remove it by hand', async () => {
    const h = harness({}, new ScriptedOperations().fail('remove_node', new Error('boom')));
    await h.session.start();
    await h.session.close(0);
    assert.equal(h.operations.named('remove_node').length, 1, 'retryForMs 0: one try');
    assert.equal(h.session.registered, true, 'still registered on the target');
    assert.equal(
      (await nextEvent(h.events, 'warning')).message,
      `remove_node ${TOOL} failed: boom; remove it by hand: {"operation":"remove_node","hostname":"${TOOL}"}`,
    );
    await assert.rejects(openClient(h.session.url!), /ECONNREFUSED/, 'the listener is closed anyway');
  });
});

describe('PeerSession over wss', () => {
  let identity: ListenerIdentity;
  before(() => {
    identity = runIdentity(TOOL, ['127.0.0.1']);
  });

  it('trusts its CA on the target first, retries add_node while the target does not trust it yet', async () => {
    const operations = new ScriptedOperations().fail(
      'add_node',
      new Error('self-signed certificate in certificate chain'),
    );
    const h = harness({ tls: identity }, operations);
    await h.session.start();
    assert.match(h.session.url ?? '', /^wss:\/\/127\.0\.0\.1:\d+$/);
    assert.deepEqual(
      operations.calls.map((call) => call.operation),
      ['add_certificate', 'add_node', 'add_node'],
    );
    assert.deepEqual(operations.named('add_certificate'), [
      [{ name: `${TOOL}-ca`, certificate: identity.ca!.cert, is_authority: true }],
    ]);
    assert.equal(h.session.registered, true);
    const client = await openClient(h.session.url!, {
      authorization: h.authorization(),
      ca: [identity.ca!.cert],
    });
    client.ws.send(encodeNodeName(TARGET, 'data'));
    assert.equal((await nextControl(client.messages, 'NODE_NAME answer')).type, 'NODE_NAME');
    client.ws.terminate();
    await h.session.close(0);
  });

  it('an add_node error that is not about trust is not retried', async () => {
    const operations = new ScriptedOperations().fail('add_node', new Error('invalid url'));
    const h = harness({ tls: identity }, operations);
    await assert.rejects(h.session.start(), { message: 'invalid url' });
    assert.equal(operations.named('add_node').length, 1);
    await h.session.close(0);
  });

  it('on close removes its CA and what it issued, and nothing else', async () => {
    const operations = new ScriptedOperations();
    operations.certificates = [
      { name: `${TOOL}-ca`, certificate: 'ca' },
      { name: 'target-node-signed', certificate: 'leaf', details: { issuer: `CN=${TOOL}-ca, O=whatever` } },
      { name: 'target-node', certificate: 'own', details: { issuer: 'CN=target-node-ca' } },
      { name: 'lookalike', certificate: 'x', details: { issuer: `CN=${TOOL}-ca-2` } },
      { name: 'no-details', certificate: 'y' },
    ];
    const h = harness({ tls: identity }, operations);
    await h.session.start();
    await h.session.close(0);
    assert.deepEqual(operations.named('remove_certificate'), [[`${TOOL}-ca`], ['target-node-signed']]);
    const order = operations.calls.map((call) => call.operation);
    assert.ok(order.indexOf('remove_node') < order.indexOf('list_certificates'), 'after remove_node');
  });

  it('a failing certificate cleanup is a warning naming what to remove', async () => {
    const operations = new ScriptedOperations().fail('list_certificates', new Error('timeout'));
    const h = harness({ tls: identity }, operations);
    await h.session.start();
    await h.session.close(0);
    assert.match(
      (await nextEvent(h.events, 'warning')).message,
      new RegExp(
        `could not remove this run's certificates from the target \\(timeout\\): remove_certificate the entries named ${TOOL}-ca or issued by it`,
      ),
    );
  });
});
