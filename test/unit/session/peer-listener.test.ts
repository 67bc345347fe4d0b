/**
 * PeerListener on 127.0.0.1:0, with the test playing the dialing node: NODE_NAME is answered only with the one-time
 * credential (without it: 1008 Unauthorized), add_node_back / remove_node_back are answered either way, other
 * operations are refused, subscriptions are handed out with the right start time, the CSR of add_node_back is
 * signed over wss only for the authenticated node, and close() drops every socket and stops listening.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { afterEach, before, beforeEach, describe, it } from 'node:test';
import forge from 'node-forge';
import { Command } from '../../../src/protocol/codes.js';
import {
  type ControlFrame,
  encodeControl,
  encodeNodeName,
  encodeSubscriptionRequest,
  type OperationResponse,
  type SubscriptionEntry,
} from '../../../src/protocol/control-frame.js';
import { dialReplication } from '../../../src/session/dial.js';
import {
  PeerListener,
  type PeerListenerOptions,
  type Subscription,
} from '../../../src/session/peer-listener.js';
import { type ListenerIdentity, runIdentity } from '../../../src/session/peer-pki.js';
import type { ReplicationSocket } from '../../../src/session/replication-socket.js';
import { guard, Inbox, nextControl, openClient } from './support.js';

const AUTH = `Basic ${Buffer.from('harper-replay:one-time-secret').toString('base64')}`;
const TOOL = 'tool-node';

interface Events {
  nodeNames: Inbox<{ socket: ReplicationSocket; remoteNodeName: string; database: string }>;
  subscriptions: Inbox<Subscription>;
  closes: Inbox<{ code: number; reason: string; remoteNodeName?: string; database?: string }>;
  rejected: Inbox<string>;
  signed: Inbox<string | undefined>;
}

function listenerWith(overrides: Partial<PeerListenerOptions> = {}): {
  listener: PeerListener;
  events: Events;
} {
  const events: Events = {
    nodeNames: new Inbox(),
    subscriptions: new Inbox(),
    closes: new Inbox(),
    rejected: new Inbox(),
    signed: new Inbox(),
  };
  const listener = new PeerListener({
    nodeName: TOOL,
    host: '127.0.0.1',
    port: 0,
    authorization: AUTH,
    highWaterMark: 1024 * 1024,
    onNodeName: (socket, remoteNodeName, database) =>
      events.nodeNames.push({ socket, remoteNodeName, database }),
    onSubscription: events.subscriptions.push,
    onClose: (_socket, code, reason, remoteNodeName, database) =>
      events.closes.push({ code, reason, remoteNodeName, database }),
    onRejected: events.rejected.push,
    onCertificateSigned: events.signed.push,
    ...overrides,
  });
  return { listener, events };
}

const operation = (request: Record<string, unknown>) => encodeControl(Command.OPERATION_REQUEST, request);

async function operationResponse(messages: Parameters<typeof nextControl>[0]): Promise<OperationResponse> {
  const frame = await nextControl(messages, 'OPERATION_RESPONSE');
  assert.equal(frame.type, 'OPERATION_RESPONSE');
  return (frame as Extract<ControlFrame, { type: 'OPERATION_RESPONSE' }>).response;
}

/** A CSR like the one Harper puts into add_node_back for its self-signed certificate. */
function certificateRequest(nodeName: string): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const key = forge.pki.privateKeyFromPem(
    privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  ) as forge.pki.rsa.PrivateKey;
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  csr.setSubject([{ name: 'commonName', value: nodeName }]);
  csr.sign(key, forge.md.sha256.create());
  return forge.pki.certificationRequestToPem(csr);
}

describe('PeerListener over ws', () => {
  // A fresh listener per test: its events are that test's only.
  let listener: PeerListener;
  let events: Events;
  let url: string;
  beforeEach(async () => {
    ({ listener, events } = listenerWith());
    url = await listener.listen();
  });
  afterEach(() => listener.close());

  it('listens on the host it was given, at an ephemeral port', () => {
    assert.match(url, /^ws:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(url, 'ws://127.0.0.1:0');
  });

  it('refuses a client that does not offer the replication subprotocol', async () => {
    await assert.rejects(
      openClient(url, { authorization: AUTH, protocol: 'something-else' }),
      /Server sent no subprotocol/,
    );
  });

  it('with the credential: answers NODE_NAME with its name for that database (and no tables: the tool declares them in its stream)', async () => {
    const client = await openClient(url, { authorization: AUTH });
    try {
      client.ws.send(encodeNodeName('target-node', 'data', []));
      assert.deepEqual(await nextControl(client.messages, 'NODE_NAME answer'), {
        type: 'NODE_NAME',
        nodeName: TOOL,
        database: 'data',
        tables: [],
      });
      const named = await events.nodeNames.next('onNodeName');
      assert.equal(named.remoteNodeName, 'target-node');
      assert.equal(named.database, 'data');
      assert.equal(named.socket.isOpen, true);
    } finally {
      client.ws.terminate();
    }
  });

  it('hands out each subscription with the start time of the entry naming the tool (else the first)', async () => {
    const client = await openClient(url, { authorization: AUTH });
    try {
      client.ws.send(encodeNodeName('target-node', 'kennel'));
      await nextControl(client.messages, 'NODE_NAME answer');
      const named = await events.nodeNames.next('onNodeName');
      const cases: Array<{ what: string; entries: SubscriptionEntry[]; startTime: number }> = [
        {
          what: 'the tool’s entry, not the first',
          entries: [
            { name: 'other-node', startTime: 5 },
            { name: TOOL, startTime: 1700000000123.5 },
          ],
          startTime: 1700000000123.5,
        },
        {
          what: 'no entry for the tool: the first',
          entries: [
            { name: 'x', startTime: 7 },
            { name: 'y', startTime: 9 },
          ],
          startTime: 7,
        },
        { what: 'a full copy', entries: [{ name: TOOL, startTime: 0 }], startTime: 0 },
        {
          what: 'a start time that is not a number: 0',
          entries: [{ name: TOOL, startTime: 'soon' as unknown as number }],
          startTime: 0,
        },
      ];
      for (const { entries } of cases) client.ws.send(encodeSubscriptionRequest(entries));
      for (const { what, entries, startTime } of cases) {
        const subscription = await events.subscriptions.next(what);
        assert.equal(subscription.startTime, startTime, what);
        assert.deepEqual(subscription.entries, entries, what);
        assert.equal(subscription.remoteNodeName, 'target-node');
        assert.equal(subscription.database, 'kennel');
        assert.equal(subscription.socket, named.socket, 'on the socket that named itself');
      }
    } finally {
      client.ws.terminate();
    }
  });

  it('ignores a subscription before the node named itself', async () => {
    const client = await openClient(url, { authorization: AUTH });
    try {
      client.ws.send(encodeSubscriptionRequest([{ name: TOOL, startTime: 1 }]));
      client.ws.send(encodeNodeName('target-node', 'data'));
      client.ws.send(encodeSubscriptionRequest([{ name: TOOL, startTime: 2 }]));
      await nextControl(client.messages, 'NODE_NAME answer');
      await events.nodeNames.next('onNodeName');
      // Frames of one socket are handled in order: the one after NODE_NAME is the only one handed out.
      assert.equal((await events.subscriptions.next('subscription after NODE_NAME')).startTime, 2);
      assert.equal(events.subscriptions.size, 0);
    } finally {
      client.ws.terminate();
    }
  });

  const wrong: Array<{ what: string; authorization?: string }> = [
    { what: 'no Authorization header' },
    {
      what: 'another credential of the same length',
      authorization: AUTH.slice(0, -2) + (AUTH.endsWith('xx') ? 'yy' : 'xx'),
    },
    { what: 'a shorter credential', authorization: 'Basic eDp5' },
    { what: 'the credential with something appended', authorization: `${AUTH}x` },
  ];
  for (const { what, authorization } of wrong) {
    it(`without the credential (${what}): NODE_NAME is refused with 1008 Unauthorized`, async () => {
      const client = await openClient(url, authorization ? { authorization } : {});
      try {
        client.ws.send(encodeNodeName('intruder', 'data'));
        assert.deepEqual(await guard(client.closed, 'close'), { code: 1008, reason: 'Unauthorized' });
        assert.match(
          await events.rejected.next('onRejected'),
          /^127\.0\.0\.1 announced itself as intruder without the one-time credential: closed \(1008\)$/,
        );
        assert.equal(client.messages.size, 0, 'no NODE_NAME answer');
        assert.equal(events.nodeNames.size, 0, 'not reported as named');
        const closed = await events.closes.next('onClose');
        assert.equal(closed.remoteNodeName, undefined);
      } finally {
        client.ws.terminate();
      }
    });
  }

  for (const authenticated of [false, true]) {
    for (const op of ['add_node_back', 'remove_node_back']) {
      it(`${op} ${authenticated ? 'with' : 'without'} the credential: answered with the tool’s name`, async () => {
        const client = await openClient(url, authenticated ? { authorization: AUTH } : {});
        try {
          client.ws.send(operation({ operation: op, requestId: 17, hostname: 'target-node' }));
          assert.deepEqual(await operationResponse(client.messages), { requestId: 17, nodeName: TOOL });
          assert.equal(client.ws.readyState, client.ws.OPEN, 'the socket stays open');
        } finally {
          client.ws.terminate();
        }
      });
    }
  }

  it('refuses other operations with an error naming them', async () => {
    const client = await openClient(url, { authorization: AUTH });
    try {
      client.ws.send(operation({ operation: 'drop_table', requestId: 3 }));
      assert.deepEqual(await operationResponse(client.messages), {
        requestId: 3,
        error: 'harper-replay does not run drop_table',
      });
    } finally {
      client.ws.terminate();
    }
  });

  it('a CSR without the credential is not signed', async () => {
    const client = await openClient(url);
    try {
      client.ws.send(operation({ operation: 'add_node_back', requestId: 1, csr: 'anything' }));
      assert.deepEqual(await operationResponse(client.messages), {
        requestId: 1,
        nodeName: TOOL,
        error: 'harper-replay signs certificate requests only for the node it was added to',
      });
    } finally {
      client.ws.terminate();
    }
  });

  it('a CSR on a listener without a CA: an error saying why', async () => {
    const client = await openClient(url, { authorization: AUTH });
    try {
      client.ws.send(operation({ operation: 'add_node_back', requestId: 2, csr: 'anything' }));
      const response = await operationResponse(client.messages);
      assert.equal(response.nodeName, TOOL);
      assert.match(
        response.error ?? '',
        /^harper-replay cannot sign this node's certificate request: its listener certificate came without a CA key/,
      );
      assert.equal(events.signed.size, 0);
    } finally {
      client.ws.terminate();
    }
  });

  it('reports a close with the code, the reason and who it was', async () => {
    const client = await openClient(url, { authorization: AUTH });
    client.ws.send(encodeNodeName('target-node', 'data'));
    await nextControl(client.messages, 'NODE_NAME answer');
    await events.nodeNames.next('onNodeName');
    client.ws.close(4000, 'done here');
    assert.deepEqual(await events.closes.next('onClose'), {
      code: 4000,
      reason: 'done here',
      remoteNodeName: 'target-node',
      database: 'data',
    });
  });
});

describe('PeerListener.close', () => {
  it('drops every socket and stops listening', async () => {
    const { listener, events } = listenerWith();
    const url = await listener.listen();
    const client = await openClient(url, { authorization: AUTH });
    client.ws.send(encodeNodeName('target-node', 'data'));
    await nextControl(client.messages, 'NODE_NAME answer');
    await guard(listener.close(), 'listener closes');
    assert.equal((await guard(client.closed, 'client sees the drop')).code, 1006);
    assert.equal((await events.closes.next('onClose')).code, 1006);
    await assert.rejects(dialReplication(url, { timeoutMs: 1000 }), { name: 'DialError', kind: 'refused' });
  });

  it('before listen() is a no-op', async () => {
    await listenerWith().listener.close();
  });
});

describe('PeerListener over wss', () => {
  let identity: ListenerIdentity;
  let csr: string;
  before(() => {
    identity = runIdentity(TOOL, ['127.0.0.1']);
    csr = certificateRequest('target-node');
  });

  it('serves its certificate with the run CA, and signs the authenticated node’s CSR with that CA', async () => {
    const { listener, events } = listenerWith({ tls: identity });
    const url = await listener.listen();
    try {
      assert.match(url, /^wss:\/\/127\.0\.0\.1:\d+$/);
      // The chain includes the CA: an untrusting client sees it "in the chain" rather than a missing issuer.
      await assert.rejects(dialReplication(url, { timeoutMs: 2000 }), {
        kind: 'tls',
        message: /SELF_SIGNED_CERT_IN_CHAIN/,
      });
      const client = await openClient(url, { authorization: AUTH, ca: [identity.ca!.cert] });
      try {
        client.ws.send(operation({ operation: 'add_node_back', requestId: 9, hostname: 'target-node', csr }));
        const response = await operationResponse(client.messages);
        assert.equal(response.requestId, 9);
        assert.equal(response.nodeName, TOOL);
        assert.equal(response.error, undefined);
        assert.equal(response.signingCA, identity.ca!.cert);
        assert.equal(response.usingCA, identity.ca!.cert);
        const signed = new X509Certificate(response.certificate as string);
        const ca = new X509Certificate(identity.ca!.cert);
        assert.ok(signed.checkIssued(ca) && signed.verify(ca.publicKey), 'issued by the run CA');
        assert.equal(signed.subject, 'CN=target-node');
        assert.equal(await events.signed.next('onCertificateSigned'), 'target-node');
      } finally {
        client.ws.terminate();
      }
    } finally {
      await listener.close();
    }
  });

  it('a CSR that does not parse: an error, nothing signed', async () => {
    const { listener, events } = listenerWith({ tls: identity });
    const url = await listener.listen();
    try {
      const client = await openClient(url, { authorization: AUTH, ca: [identity.ca!.cert] });
      try {
        client.ws.send(operation({ operation: 'add_node_back', requestId: 4, csr: 'garbage' }));
        const response = await operationResponse(client.messages);
        assert.match(response.error ?? '', /^harper-replay could not sign the certificate request: /);
        assert.equal(response.certificate, undefined);
        assert.equal(events.signed.size, 0);
      } finally {
        client.ws.terminate();
      }
    } finally {
      await listener.close();
    }
  });

  it('a user certificate without its CA key: served alone, CSRs refused', async () => {
    const { listener } = listenerWith({ tls: { cert: identity.cert, key: identity.key } });
    const url = await listener.listen();
    try {
      await assert.rejects(dialReplication(url, { timeoutMs: 2000 }), {
        kind: 'tls',
        message: /UNABLE_TO_VERIFY_LEAF_SIGNATURE/,
      });
      const client = await openClient(url, { authorization: AUTH, ca: [identity.ca!.cert] });
      try {
        client.ws.send(operation({ operation: 'add_node_back', requestId: 5, csr }));
        assert.match(
          (await operationResponse(client.messages)).error ?? '',
          /cannot sign this node's certificate request/,
        );
      } finally {
        client.ws.terminate();
      }
    } finally {
      await listener.close();
    }
  });
});
