/**
 * Peer mode, the tool's end: a replication server the target dials after `add_node` (Harper's own flow).
 * It answers add_node_back / remove_node_back, answers NODE_NAME on every per-database socket, never subscribes
 * to the target's data, and hands each SUBSCRIPTION_REQUEST to the caller, who decides what to stream. On wss it
 * signs the CSR a target with a self-signed certificate sends in add_node_back (see peer-pki.ts).
 */
import { timingSafeEqual } from 'node:crypto';
import { type Listener, listenWebSocket } from '../net/listen.js';
import { PEER_MODE_MAX_FRAME, SUBPROTOCOL } from '../protocol/codes.js';
import {
  encodeNodeName,
  encodeOperationResponse,
  type SubscriptionEntry,
} from '../protocol/control-frame.js';
import type { DrainWait } from './flow-control.js';
import { type ListenerIdentity, signCertificateRequest } from './peer-pki.js';
import { ReplicationSocket } from './replication-socket.js';

export interface Subscription {
  socket: ReplicationSocket;
  /** The NODE_NAME the dialing node announced. */
  remoteNodeName: string;
  database: string;
  entries: SubscriptionEntry[];
  /** Where the subscriber wants the stream to start (exclusive): its cursor for us, or 0. */
  startTime: number;
}

export interface PeerListenerEvents {
  /** A node opened a socket for `database` and announced itself. */
  onNodeName?: (socket: ReplicationSocket, remoteNodeName: string, database: string) => void;
  onSubscription: (subscription: Subscription) => void;
  onClose?: (
    socket: ReplicationSocket,
    code: number,
    reason: string,
    remoteNodeName?: string,
    database?: string,
  ) => void;
  onDrainWait?: (socket: ReplicationSocket, wait: DrainWait) => void;
  onRejected?: (reason: string) => void;
  /** wss: the target's CSR was signed (it now holds a certificate issued by the tool's CA). */
  onCertificateSigned?: (remoteNodeName: string | undefined) => void;
}

export interface PeerListenerOptions extends PeerListenerEvents {
  /** The name the tool announces (and add_node stores in the target's hdb_nodes). */
  nodeName: string;
  host: string;
  port: number;
  /** The Authorization header a node must present to get data (the one-time credential given to add_node). */
  authorization: string;
  highWaterMark: number;
  /** Listen on wss with this certificate (and sign the target's CSR with its CA, if any). */
  tls?: ListenerIdentity;
}

export class PeerListener {
  private listener?: Listener;
  private readonly sockets = new Set<ReplicationSocket>();

  constructor(private readonly options: PeerListenerOptions) {}

  /** Starts listening; resolves with the URL to hand to add_node. */
  async listen(): Promise<string> {
    const expected = Buffer.from(this.options.authorization);
    const { tls } = this.options;
    const listener = await listenWebSocket({
      host: this.options.host,
      port: this.options.port,
      // The run's CA goes with the certificate, so a node that trusts it can build the chain.
      tls: tls && { cert: tls.ca ? `${tls.cert.trim()}\n${tls.ca.cert}` : tls.cert, key: tls.key },
      ws: {
        maxPayload: PEER_MODE_MAX_FRAME,
        handleProtocols: (protocols: Set<string>) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
      },
    });
    this.listener = listener;
    listener.server.on('connection', (ws, request) => {
      // Harper dials the one-shot add_node_back / remove_node_back sockets without the retained credential, so an
      // upgrade without it is accepted but may only run those two operations; data needs the credential.
      const presented = Buffer.from(request.headers.authorization ?? '');
      const authenticated = presented.length === expected.length && timingSafeEqual(presented, expected);
      const socket: ReplicationSocket = new ReplicationSocket(ws, {
        highWaterMark: this.options.highWaterMark,
        onDrainWait: (wait: DrainWait) => this.options.onDrainWait?.(socket, wait),
      });
      this.accept(socket, authenticated, request.socket.remoteAddress ?? '?');
    });
    return listener.url;
  }

  private accept(socket: ReplicationSocket, authenticated: boolean, remoteAddress: string): void {
    this.sockets.add(socket);
    let remoteNodeName: string | undefined;
    let database: string | undefined;
    socket.on('OPERATION_REQUEST', ({ request }) => {
      const known = request.operation === 'add_node_back' || request.operation === 'remove_node_back';
      const response = known
        ? {
            requestId: request.requestId,
            nodeName: this.options.nodeName,
            ...this.signed(request, authenticated),
          }
        : { requestId: request.requestId, error: `harper-replay does not run ${request.operation}` };
      socket.send(encodeOperationResponse(response)).catch(() => {});
    });
    socket.on('NODE_NAME', (frame) => {
      if (!authenticated) {
        this.options.onRejected?.(
          `${remoteAddress} announced itself as ${frame.nodeName} without the one-time credential: closed (1008)`,
        );
        socket.close(1008, 'Unauthorized');
        return;
      }
      remoteNodeName = frame.nodeName;
      database = frame.database;
      this.options.onNodeName?.(socket, frame.nodeName, frame.database);
      socket.send(encodeNodeName(this.options.nodeName, frame.database)).catch(() => {});
    });
    socket.on('SUBSCRIPTION_REQUEST', (frame) => {
      if (!remoteNodeName || !database) return; // Harper always names itself first; ignore anything else.
      const ours =
        frame.subscriptions.find((entry) => entry.name === this.options.nodeName) ?? frame.subscriptions[0];
      this.options.onSubscription({
        socket,
        remoteNodeName,
        database,
        entries: frame.subscriptions,
        startTime: typeof ours?.startTime === 'number' ? ours.startTime : 0,
      });
    });
    socket.closed.then(({ code, reason }) => {
      this.sockets.delete(socket);
      this.options.onClose?.(socket, code, reason, remoteNodeName, database);
    });
  }

  /**
   * What add_node_back over wss needs when the target's own certificate is self-signed: its CSR signed by the
   * tool's CA (Harper refuses the link without it). Only on an authenticated socket.
   */
  private signed(request: Record<string, unknown>, authenticated: boolean): Record<string, unknown> {
    const csr = request.csr;
    if (request.operation !== 'add_node_back' || typeof csr !== 'string') return {};
    if (!authenticated)
      return { error: 'harper-replay signs certificate requests only for the node it was added to' };
    const ca = this.options.tls?.ca;
    if (!ca) {
      return {
        error:
          "harper-replay cannot sign this node's certificate request: its listener certificate came without a CA key (let the tool make its own with --listen-tls, or give the node a CA-signed certificate)",
      };
    }
    try {
      const certificate = signCertificateRequest(ca, csr);
      this.options.onCertificateSigned?.(request.hostname as string | undefined);
      return { certificate, signingCA: ca.cert, usingCA: ca.cert };
    } catch (error) {
      return { error: `harper-replay could not sign the certificate request: ${(error as Error).message}` };
    }
  }

  /** Closes every socket and the server. */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.terminate();
    await this.listener?.close();
  }
}
