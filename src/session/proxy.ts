/**
 * A transparent replication proxy between two real nodes. The dialing node (the receiver: it subscribes) connects
 * here; each connection is mirrored to the upstream node (the source) with the same subprotocol and Authorization
 * header. Messages are forwarded unchanged both ways and reported to the caller. Backpressure is end to end: when
 * one side stops reading, the proxy stops reading the other, so memory stays bounded and the receiver's real
 * pauses keep their timing.
 */
import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { type ListenCertificate, type Listener, listenWebSocket } from '../net/listen.js';
import { type TlsSettings, tlsClientOptions } from '../net/tls.js';
import { PUSH_MODE_MAX_FRAME } from '../protocol/codes.js';
import { dialFailure } from './dial.js';
import { socketOf } from './flow-control.js';

export type ProxyDirection = 'from-source' | 'to-source';

export interface ProxyEvents {
  onOpen?: (id: number, info: { remoteAddress?: string; subprotocol?: string }) => void;
  onMessage?: (id: number, direction: ProxyDirection, data: Buffer, opcode: number, at: number) => void;
  onClose?: (id: number, side: 'receiver' | 'source', code: number, reason: string) => void;
  onError?: (id: number, message: string) => void;
}

export interface ProxyOptions extends ProxyEvents {
  listenHost: string;
  listenPort: number;
  upstream: string;
  /** TLS settings for a wss:// upstream. */
  upstreamTls?: TlsSettings;
  /** Listen on wss with this certificate (the receiving node must trust it for the name it dials). */
  listenTls?: ListenCertificate;
  /** Bytes queued toward one side before the proxy stops reading the other. */
  highWaterMark?: number;
}

/** Close codes that may not be sent in a close frame; mapped to "going away". */
const sendableCode = (code: number) =>
  code === 1005 || code === 1006 || code === 1015 || code < 1000 ? 1001 : code;

export class ReplicationProxy {
  private listener?: Listener;
  private nextId = 1;
  private readonly pairs = new Set<{ downstream: WebSocket; upstream: WebSocket }>();
  private paused = false;

  constructor(private readonly options: ProxyOptions) {}

  async listen(): Promise<string> {
    const listener = await listenWebSocket({
      host: this.options.listenHost,
      port: this.options.listenPort,
      tls: this.options.listenTls,
      ws: {
        maxPayload: PUSH_MODE_MAX_FRAME,
        perMessageDeflate: false,
        // Accept whatever subprotocol the node offers: the upstream decides.
        handleProtocols: (protocols: Set<string>) => (protocols.size ? [...protocols][0]! : false),
      },
    });
    this.listener = listener;
    listener.server.on('connection', (downstream, request) => this.accept(downstream, request));
    return listener.url;
  }

  /** Stops reading every socket (the capture writer is behind) and resumes. */
  pauseAll(): void {
    this.paused = true;
    for (const pair of this.pairs) {
      pair.downstream.pause();
      pair.upstream.pause();
    }
  }

  resumeAll(): void {
    this.paused = false;
    for (const pair of this.pairs) {
      pair.downstream.resume();
      pair.upstream.resume();
    }
  }

  private accept(downstream: WebSocket, request: IncomingMessage): void {
    const id = this.nextId++;
    const { options } = this;
    const highWaterMark = options.highWaterMark ?? 4 * 1024 * 1024;
    const headers: Record<string, string> = {};
    if (request.headers.authorization) headers.authorization = request.headers.authorization;
    const upstream = new WebSocket(options.upstream, downstream.protocol ? [downstream.protocol] : [], {
      headers,
      maxPayload: PUSH_MODE_MAX_FRAME,
      perMessageDeflate: false,
      ...(options.upstream.startsWith('wss:') ? tlsClientOptions(options.upstreamTls) : {}),
    });
    const pair = { downstream, upstream };
    this.pairs.add(pair);
    options.onOpen?.(id, { remoteAddress: request.socket.remoteAddress, subprotocol: downstream.protocol });
    downstream.on('error', (error) => options.onError?.(id, `receiver side: ${error.message}`));
    upstream.on('error', (error) =>
      options.onError?.(
        id,
        `source side: ${dialFailure(options.upstream, error, { tls: options.upstreamTls }).message}`,
      ),
    );

    // Until the upstream is open, hold the receiver (the kernel buffers what it already sent).
    downstream.pause();
    upstream.once('open', () => {
      if (!this.paused) downstream.resume();
    });

    const forward = (from: WebSocket, to: WebSocket, direction: ProxyDirection) => {
      from.on('message', (data: Buffer, isBinary: boolean) => {
        options.onMessage?.(id, direction, data, isBinary ? 2 : 1, Date.now());
        if (to.readyState !== WebSocket.OPEN) return;
        to.send(data, { binary: isBinary });
        if (to.bufferedAmount > highWaterMark) {
          from.pause();
          socketOf(to).once('drain', () => {
            if (!this.paused) from.resume();
          });
        }
      });
    };
    forward(upstream, downstream, 'from-source');
    forward(downstream, upstream, 'to-source');

    const closeOther = (side: 'receiver' | 'source', other: WebSocket) => (code: number, reason: Buffer) => {
      options.onClose?.(id, side, code, reason.toString());
      this.pairs.delete(pair);
      if (other.readyState === WebSocket.OPEN)
        other.close(sendableCode(code), reason.toString().slice(0, 120));
      else if (other.readyState === WebSocket.CONNECTING) other.terminate();
    };
    downstream.on('close', closeOther('receiver', upstream));
    upstream.on('close', closeOther('source', downstream));
    upstream.on('unexpected-response', (_req, response) => {
      options.onError?.(id, `upstream refused the upgrade (HTTP ${response.statusCode})`);
      downstream.close(1011, 'upstream refused');
    });
  }

  get connections(): number {
    return this.nextId - 1;
  }

  async close(): Promise<void> {
    for (const pair of this.pairs) {
      pair.downstream.terminate();
      pair.upstream.terminate();
    }
    await this.listener?.close();
  }
}
