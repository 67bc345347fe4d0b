import assert from 'node:assert/strict';
import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { TLSSocket } from 'node:tls';
import WebSocket from 'ws';
import { type Listener, listenWebSocket } from '../../../src/net/listen.js';
import {
  issueListenerCertificate,
  type ListenerIdentity,
  runIdentity,
} from '../../../src/session/peer-pki.js';

const SUBPROTOCOL = 'harperdb-replication-v1';

function portOf(url: string): number {
  const match = /^wss?:\/\/127\.0\.0\.1:(\d+)$/.exec(url);
  assert.ok(match, `url ${url}`);
  return Number(match[1]);
}

/** Opens a client; resolves once it is open (rejects on error or an early close). */
function open(
  url: string,
  options: WebSocket.ClientOptions = {},
  protocols: string[] = [SUBPROTOCOL],
): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const client = new WebSocket(url, protocols, options);
    client.once('open', () => resolve(client));
    client.once('error', reject);
    client.once('close', (code) => reject(new Error(`closed with ${code} before open`)));
  });
}

/** Echoes every message back; terminates every client at close so the listener can close. */
function echo(listener: Listener): () => void {
  listener.server.on('connection', (socket) => {
    socket.on('message', (data, binary) => socket.send(data, { binary }));
  });
  return () => {
    for (const client of listener.server.clients) client.terminate();
  };
}

async function roundTrip(client: WebSocket, payload: Buffer): Promise<Buffer> {
  const answer = once(client, 'message');
  client.send(payload);
  const [data] = (await answer) as [Buffer];
  return data;
}

/** Whether a TCP connection to the port is refused. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

async function occupiedPort(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port };
}

describe('listenWebSocket on ws', () => {
  it('listens on an ephemeral 127.0.0.1 port, names it in a ws:// URL, and speaks WebSocket', async () => {
    const listener = await listenWebSocket({ host: '127.0.0.1', port: 0, ws: {} });
    const stop = echo(listener);
    try {
      const port = portOf(listener.url);
      assert.ok(port > 0 && port < 65_536);
      assert.match(listener.url, /^ws:\/\//);
      assert.equal((listener.server.address() as AddressInfo).port, port);
      const client = await open(listener.url);
      assert.equal(client.protocol, SUBPROTOCOL, 'ws picks the first offered protocol by default');
      const payload = Buffer.from([0x92, 0xcc, 0x90, 0xcb, 1, 2, 3]);
      assert.ok((await roundTrip(client, payload)).equals(payload));
      client.terminate();
    } finally {
      stop();
      await listener.close();
    }
  });

  it('passes the ws options through (here: protocol choice and the payload bound)', async () => {
    const listener = await listenWebSocket({
      host: '127.0.0.1',
      port: 0,
      ws: {
        handleProtocols: (offered) => ([...offered].includes(SUBPROTOCOL) ? SUBPROTOCOL : false),
        maxPayload: 16,
      },
    });
    const stop = echo(listener);
    const serverErrors: string[] = [];
    listener.server.on('connection', (socket) =>
      socket.on('error', (error) => serverErrors.push(error.message)),
    );
    try {
      // By default ws would pick the first offered protocol; handleProtocols picks the second.
      const client = await open(listener.url, {}, ['something-else', SUBPROTOCOL]);
      assert.equal(client.protocol, SUBPROTOCOL);
      assert.equal((await roundTrip(client, Buffer.alloc(16, 1))).length, 16, '16 B is within the bound');
      const closed = once(client, 'close');
      client.send(Buffer.alloc(17));
      const [code] = (await closed) as [number];
      assert.equal(code, 1009, 'message too big for maxPayload');
      assert.deepEqual(serverErrors, ['Max payload size exceeded']);
    } finally {
      stop();
      await listener.close();
    }
  });

  it('close() resolves once the clients are gone, and frees the port', async () => {
    const listener = await listenWebSocket({ host: '127.0.0.1', port: 0, ws: {} });
    const stop = echo(listener);
    const port = portOf(listener.url);
    const client = await open(listener.url);
    const clientClosed = once(client, 'close');
    stop();
    await clientClosed;
    await listener.close();
    assert.equal(await refused(port), true, 'nothing listens on the port any more');
  });

  it('close() also ends clients still connected (it used to wait for them forever)', async () => {
    const listener = await listenWebSocket({ host: '127.0.0.1', port: 0, ws: {} });
    const port = portOf(listener.url);
    const client = await open(listener.url);
    const clientClosed = once(client, 'close');
    await listener.close();
    await clientClosed;
    assert.equal(await refused(port), true);
  });

  it('rejects when the port is taken', async () => {
    const { server, port } = await occupiedPort();
    try {
      await assert.rejects(listenWebSocket({ host: '127.0.0.1', port, ws: {} }), { code: 'EADDRINUSE' });
    } finally {
      server.close();
    }
  });
});

describe('listenWebSocket on wss', () => {
  let identity: ListenerIdentity;
  let listener: Listener;
  let stop: () => void;
  const peers: Array<string | undefined> = [];

  before(async () => {
    identity = runIdentity('tool-node', ['127.0.0.1']);
    listener = await listenWebSocket({
      host: '127.0.0.1',
      port: 0,
      tls: { cert: identity.cert, key: identity.key },
      ws: {},
    });
    stop = echo(listener);
    listener.server.on('connection', (_socket, request) => {
      const socket = request.socket as TLSSocket;
      const cn = socket.getPeerCertificate()?.subject?.CN;
      peers.push(Array.isArray(cn) ? cn.join(',') : cn);
    });
  });

  after(async () => {
    stop();
    await listener.close();
  });

  it('names a wss:// URL whose certificate a client that trusts the CA verifies', async () => {
    assert.match(listener.url, /^wss:\/\/127\.0\.0\.1:\d+$/);
    const client = await open(listener.url, { ca: identity.ca!.cert });
    try {
      const socket = (client as unknown as { _socket: TLSSocket })._socket;
      assert.equal(socket.getPeerCertificate().subject.CN, 'tool-node');
      const payload = Buffer.from('over tls');
      assert.ok((await roundTrip(client, payload)).equals(payload));
    } finally {
      client.terminate();
    }
  });

  it('a client that does not trust the CA is refused by its own verification', async () => {
    await assert.rejects(open(listener.url), (error: NodeJS.ErrnoException) => {
      assert.match(error.code ?? '', /SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/);
      return true;
    });
  });

  it('asks for a client certificate but does not require one, nor a trusted one', async () => {
    peers.length = 0;
    const anonymous = await open(listener.url, { ca: identity.ca!.cert });
    anonymous.terminate();
    // A certificate from a CA the listener has never seen: still let in (the credential decides, not TLS).
    const stranger = runIdentity('stranger-node', ['127.0.0.1']);
    const withCert = await open(listener.url, {
      ca: identity.ca!.cert,
      cert: stranger.cert,
      key: stranger.key,
    });
    withCert.terminate();
    // And one from the listener's own CA.
    const own = issueListenerCertificate(identity.ca!, 'peer-node', []);
    const withOwn = await open(listener.url, { ca: identity.ca!.cert, cert: own.cert, key: own.key });
    withOwn.terminate();
    assert.deepEqual(peers, [undefined, 'stranger-node', 'peer-node']);
  });

  it('rejects when the port is taken (an uncaught EADDRINUSE before)', async () => {
    const { server, port } = await occupiedPort();
    try {
      await assert.rejects(
        listenWebSocket({ host: '127.0.0.1', port, tls: { cert: identity.cert, key: identity.key }, ws: {} }),
        { code: 'EADDRINUSE' },
      );
    } finally {
      server.close();
    }
  });
});
