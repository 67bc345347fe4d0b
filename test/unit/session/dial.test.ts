/**
 * dialReplication against scripted servers on 127.0.0.1: what the upgrade carries (subprotocol, Authorization, no
 * compression), and which DialError each way of failing becomes — refused port, a non-upgrade answer (401
 * included), silence, a reset, a refused subprotocol, TLS trouble — plus the node identity over wss.
 * handshakeClosed's wording for a client certificate (the Basic/Bearer cases are in test/unit/net/tls.test.ts).
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { upgradeResponse } from '../../../src/export/websocket-frames.js';
import { type Listener, listenWebSocket } from '../../../src/net/listen.js';
import { SUBPROTOCOL } from '../../../src/protocol/codes.js';
import {
  DialError,
  type DialFailure,
  dialReplication,
  handshakeClosed,
  maskFor,
  zeroMask,
} from '../../../src/session/dial.js';
import { type ListenerIdentity, runIdentity } from '../../../src/session/peer-pki.js';
import { closedPort, guard, type ScriptedServer, scriptedServer, tcpServer } from './support.js';

/** The DialError a dial rejects with (fails if it resolves or rejects with anything else). */
async function dialError(url: string, options: Parameters<typeof dialReplication>[1]): Promise<DialError> {
  const error = await guard(
    dialReplication(url, options).then(
      ({ ws }) => {
        ws.terminate();
        assert.fail(`dial of ${url} succeeded`);
      },
      (e: unknown) => e,
    ),
    `dial ${url}`,
  );
  assert.ok(error instanceof DialError, `expected a DialError, got ${String(error)}`);
  assert.equal(error.name, 'DialError');
  return error;
}

function expectKind(error: DialError, kind: DialFailure, message: RegExp): void {
  assert.equal(error.kind, kind, error.message);
  assert.match(error.message, message);
}

describe('dialReplication over ws', () => {
  let server: ScriptedServer;
  before(async () => {
    server = await scriptedServer();
  });
  after(() => server.close());

  it('upgrades with the replication subprotocol and the Authorization header, without compression', async () => {
    const { ws, peer } = await dialReplication(server.url, {
      authorization: 'Basic dG9vbDpzZWNyZXQ=',
      timeoutMs: 2000,
    });
    try {
      const accepted = await server.connections.next('connection');
      assert.equal(accepted.request.headers['sec-websocket-protocol'], SUBPROTOCOL);
      assert.equal(accepted.request.headers.authorization, 'Basic dG9vbDpzZWNyZXQ=');
      assert.equal(accepted.request.headers['sec-websocket-extensions'], undefined, 'no permessage-deflate');
      assert.equal(ws.protocol, SUBPROTOCOL);
      assert.equal(ws.readyState, ws.OPEN);
      assert.equal(peer, undefined, 'no certificate identity on ws://');
      assert.ok(ws.listenerCount('error') >= 1, 'later errors have a listener (they surface as a close)');
      ws.emit('error', new Error('after the upgrade'));
    } finally {
      ws.terminate();
    }
  });

  it('sends no Authorization header when none is given', async () => {
    const { ws } = await dialReplication(server.url, { timeoutMs: 2000 });
    try {
      const accepted = await server.connections.next('connection');
      assert.equal(accepted.request.headers.authorization, undefined);
    } finally {
      ws.terminate();
    }
  });

  it('a server that does not take the subprotocol: rejected', async () => {
    const other = await scriptedServer({ ws: { handleProtocols: () => false } });
    try {
      expectKind(
        await dialError(other.url, { timeoutMs: 2000 }),
        'rejected',
        /^cannot open replication socket ws:\/\/127\.0\.0\.1:\d+: Server sent no subprotocol$/,
      );
    } finally {
      await other.close();
    }
  });
});

describe('dialReplication: the frames it sends', () => {
  it('are masked with an all-zero key: the payload goes on the wire as it is, and a ws server reads it', async () => {
    const received: Buffer[] = [];
    let handshake = '';
    const raw = await tcpServer((socket) => {
      socket.on('data', (chunk: Buffer) => {
        if (!handshake) {
          handshake = chunk.toString('latin1');
          const key = /sec-websocket-key: (.*)\r\n/i.exec(handshake)![1]!;
          socket.write(upgradeResponse(key, SUBPROTOCOL));
        } else received.push(chunk);
      });
    });
    const payload = Buffer.from('a frame the tool sends');
    const { ws } = await dialReplication(`ws://127.0.0.1:${raw.port}`, { timeoutMs: 2000 });
    try {
      ws.send(payload);
      const frameLength = 2 + 4 + payload.length;
      await guard(
        (async () => {
          while (Buffer.concat(received).length < frameLength) await new Promise((r) => setTimeout(r, 5));
        })(),
        'the frame',
      );
      const bytes = Buffer.concat(received);
      assert.equal(bytes[0], 0x82, 'one final binary frame');
      assert.equal(bytes[1], 0x80 | payload.length, 'the mask bit is set (RFC 6455 framing holds)');
      assert.deepEqual([...bytes.subarray(2, 6)], [0, 0, 0, 0], 'the masking key is zero');
      assert.deepEqual(bytes.subarray(6, frameLength), payload, 'so the payload is sent unchanged');
    } finally {
      ws.terminate();
      await raw.close();
    }

    const server = await scriptedServer();
    const dialed = await dialReplication(server.url, { timeoutMs: 2000 });
    try {
      const accepted = await server.connections.next('connection');
      dialed.ws.send(payload);
      assert.deepEqual(await accepted.messages.next('message'), { data: payload, isBinary: true });
    } finally {
      dialed.ws.terminate();
      await server.close();
    }
  });
});

describe('maskFor: the zero key only where no proxy can see the bytes', () => {
  it('wss:// anywhere and ws:// to a loopback host: the zero key', () => {
    for (const url of [
      'wss://node-a.example:9933',
      'wss://10.0.0.5:9933/',
      'ws://127.0.0.1:9925',
      'ws://127.8.9.10:1/',
      'ws://localhost:9925',
      'ws://[::1]:9925',
    ])
      assert.equal(maskFor(url), zeroMask, url);
  });

  it('plain ws:// to any other host (or not a URL): ws keeps its random key', () => {
    for (const url of [
      'ws://10.0.0.5:9925',
      'ws://node-a.example:9925',
      'ws://127.0.0.1.example:1',
      'not a url',
    ])
      assert.equal(maskFor(url), undefined, url);
  });
});

describe('dialReplication failures', () => {
  it('a port nobody listens on: refused (ECONNREFUSED)', async () => {
    const url = `ws://127.0.0.1:${await closedPort()}`;
    const error = await dialError(url, { timeoutMs: 2000 });
    expectKind(
      error,
      'refused',
      /^cannot open replication socket ws:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED/,
    );
    assert.ok(error.message.includes(url));
  });

  describe('an HTTP answer instead of the upgrade: rejected, naming the status', () => {
    let http: Server;
    let url: string;
    before(async () => {
      http = createServer((request, response) => {
        response.writeHead(Number(request.url?.slice(1)) || 500, { 'content-type': 'text/plain' });
        response.end('not a replication port');
      });
      await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
      url = `ws://127.0.0.1:${(http.address() as { port: number }).port}`;
    });
    after(async () => {
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    });
    it('the refused request is ended at once, not left open until the handshake timeout', async () => {
      const closed = new Promise<number>((resolve) =>
        http.once('connection', (socket) => socket.once('close', () => resolve(Date.now()))),
      );
      const started = Date.now();
      await dialError(`${url}/401`, { authorization: 'Basic eDp5', timeoutMs: 10_000 });
      const after = (await closed) - started;
      assert.ok(after < 2000, `the server saw the socket close after ${after} ms (handshake timeout 10 s)`);
    });

    for (const status of [200, 401, 403, 404, 503]) {
      it(`HTTP ${status}`, async () => {
        // A short handshake timeout: ws keeps the refused request's socket until it fires.
        const error = await dialError(`${url}/${status}`, { authorization: 'Basic eDp5', timeoutMs: 200 });
        expectKind(
          error,
          'rejected',
          new RegExp(`^${url}/${status} refused the WebSocket upgrade \\(HTTP ${status}\\)$`),
        );
      });
    }
  });

  it('a port that accepts and never answers: timeout after timeoutMs', async () => {
    const silent = await tcpServer(() => {});
    try {
      const url = `ws://127.0.0.1:${silent.port}`;
      const started = Date.now();
      const error = await dialError(url, { timeoutMs: 150 });
      expectKind(
        error,
        'timeout',
        /no answer to the WebSocket upgrade \(is this the node's replication port\?\)$/,
      );
      assert.ok(Date.now() - started >= 140, 'waited for the handshake timeout');
    } finally {
      await silent.close();
    }
  });

  it('a port that resets the connection: rejected, suggesting wss:// for a TLS port', async () => {
    const reset = await tcpServer((socket) => socket.once('data', () => socket.resetAndDestroy()));
    try {
      const error = await dialError(`ws://127.0.0.1:${reset.port}`, { timeoutMs: 2000 });
      expectKind(error, 'rejected', /reset the connection during the handshake .*use wss:\/\//);
    } finally {
      await reset.close();
    }
  });
});

describe('dialReplication over wss', () => {
  let identity: ListenerIdentity;
  let listener: Listener;
  let plain: ScriptedServer;
  before(async () => {
    identity = runIdentity('dial-test-node', ['127.0.0.1']);
    listener = await listenWebSocket({
      host: '127.0.0.1',
      port: 0,
      tls: { cert: identity.cert, key: identity.key },
      ws: { handleProtocols: (protocols: Set<string>) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false) },
    });
    plain = await scriptedServer();
  });
  after(async () => {
    for (const client of listener.server.clients) client.terminate();
    await listener.close();
    await plain.close();
  });

  it('with the CA: open, and the node certificate’s public identity is returned', async () => {
    const { ws, peer } = await dialReplication(listener.url, {
      tls: { ca: [identity.ca!.cert] },
      timeoutMs: 2000,
    });
    try {
      assert.equal(ws.protocol, SUBPROTOCOL);
      const leaf = new X509Certificate(identity.cert);
      assert.ok(peer, 'identity of the node');
      assert.equal(peer.subject, 'CN=dial-test-node');
      assert.equal(peer.issuer, 'CN=dial-test-node-ca');
      assert.equal(peer.fingerprint256, leaf.fingerprint256);
      assert.equal(peer.validTo, leaf.validTo);
      assert.equal(peer.authorized, true);
    } finally {
      ws.terminate();
    }
  });

  it('without the CA: tls, unknown CA', async () => {
    expectKind(
      await dialError(listener.url, { timeoutMs: 2000 }),
      'tls',
      /^TLS: wss:\/\/127\.0\.0\.1:\d+ presented a certificate signed by an unknown CA \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/,
    );
  });

  it('--insecure: open, the identity says it was not verified', async () => {
    const { ws, peer } = await dialReplication(listener.url, { tls: { insecure: true }, timeoutMs: 2000 });
    try {
      assert.equal(peer?.subject, 'CN=dial-test-node');
      assert.equal(peer?.authorized, false);
    } finally {
      ws.terminate();
    }
  });

  it('a name the certificate does not list: tls, pointing at --servername', async () => {
    const error = await dialError(listener.url, {
      tls: { ca: [identity.ca!.cert], servername: 'elsewhere.example' },
      timeoutMs: 2000,
    });
    expectKind(error, 'tls', /ERR_TLS_CERT_ALTNAME_INVALID.*--servername NAME/);
  });

  it('wss:// to a plain ws port: tls, the port does not speak TLS', async () => {
    const url = plain.url.replace('ws:', 'wss:');
    expectKind(
      await dialError(url, { timeoutMs: 2000 }),
      'tls',
      /does not speak TLS on that port .*use ws:\/\//,
    );
  });
});

describe('handshakeClosed with a client certificate', () => {
  const URL = 'wss://node.example:9933';
  const cert = runIdentity('client-node', []).cert;
  const cases: Array<{ what: string; authorization?: string; cert?: string; message: RegExp }> = [
    {
      what: 'only a certificate: names it and suggests other credentials',
      cert,
      message:
        /: the client certificate \(CN=client-node\) was not accepted \(Harper takes one signed by a CA it trusts whose CN\/SAN names an hdb_nodes entry\); or give --user\/--password or --token$/,
    },
    {
      what: 'Basic and a certificate: both named',
      authorization: 'Basic eDp5',
      cert,
      message:
        /: check --user\/--password \(HARPER_USER\/HARPER_PASSWORD\); the client certificate \(CN=client-node\) was not accepted/,
    },
    {
      what: 'Bearer and a certificate: both named',
      authorization: 'Bearer abc',
      cert,
      message:
        /the --token \(HARPER_TOKEN\) was not accepted \(expired, or not an operation_token\?\); the client certificate \(CN=client-node\)/,
    },
    {
      what: 'a certificate that does not parse: called "client certificate"',
      cert: 'not a pem',
      message: /the client certificate \(client certificate\) was not accepted/,
    },
  ];
  for (const { what, authorization, cert: pem, message } of cases) {
    it(what, () => {
      const error = handshakeClosed(URL, 1008, 'Unauthorized', {
        ...(authorization ? { authorization } : {}),
        ...(pem ? { tls: { cert: pem } } : {}),
      });
      assert.equal(error.kind, 'unauthorized');
      assert.match(
        error.message,
        /^authentication refused by wss:\/\/node\.example:9933 \(1008 Unauthorized\): /,
      );
      assert.match(error.message, message);
    });
  }

  it('either spelling of the reason is "unauthorized"; another 1008 reason is not', () => {
    assert.equal(handshakeClosed(URL, 1008, 'unauthorised').kind, 'unauthorized');
    assert.equal(handshakeClosed(URL, 1008, 'UNAUTHORIZED').kind, 'unauthorized');
    const policy = handshakeClosed(URL, 1008, 'Policy violation');
    assert.equal(policy.kind, 'rejected');
    assert.equal(policy.message, `${URL} closed the connection during the handshake (1008 Policy violation)`);
    assert.equal(
      handshakeClosed(URL, 1006, '').message,
      `${URL} closed the connection during the handshake (1006)`,
      'no stray space without a reason',
    );
    assert.equal(
      handshakeClosed(URL, 1000, 'Unauthorized').kind,
      'rejected',
      'only 1008 means refused credentials',
    );
  });
});
