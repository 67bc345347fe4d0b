/**
 * Capture, subscriber mode: the tool connects to a source node like a receiving peer (Basic auth, NODE_NAME,
 * SUBSCRIPTION_REQUEST), records every message in both directions, acks committed transactions like a real
 * receiver (unless told not to), and keeps the connection alive. Stopping is the caller's decision.
 */
import WebSocket from 'ws';
import type { PeerIdentity, TlsSettings } from '../net/tls.js';
import {
  type ControlFrame,
  decodeControlFrame,
  encodeCommittedUpdate,
  encodeNodeName,
  encodeSubscriptionRequest,
  isControlFrame,
  type SubscriptionEntry,
  type TableDescription,
} from '../protocol/control-frame.js';
import { summarizeTxnFrame } from '../protocol/txn-frame.js';
import { DialError, dialReplication, handshakeClosed } from './dial.js';

export interface SubscribeOptions {
  url: string;
  /** "Basic …" or "Bearer …" header value. */
  authorization?: string;
  tls?: TlsSettings;
  toolNodeName: string;
  database: string;
  /** Sender-local start time: 0 = full copy, else only writes after it. */
  since: number;
  tables?: string[];
  excludeTables?: string[];
  /** Other origins whose writes the source relays (its cluster peers). */
  origins?: string[];
  ack: boolean;
  handshakeTimeoutMs?: number;
  pingIntervalMs?: number;
}

export type SubscriberEvent =
  | { type: 'open' }
  | { type: 'message'; direction: 'from-source' | 'to-source'; data: Buffer; opcode: number; at: number }
  | { type: 'close'; code: number; reason: string };

export interface TxnSeen {
  records: number;
  bytes: number;
  sequenceId?: number;
}

export class Subscriber {
  private ws?: WebSocket;
  private pinger?: NodeJS.Timeout;
  sourceNodeName?: string;
  /** The source's TLS certificate (wss): subject and fingerprint. */
  peer?: PeerIdentity;
  sourceTables: TableDescription[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private resolveClosed!: (value: { code: number; reason: string }) => void;

  constructor(
    private readonly options: SubscribeOptions,
    /** Every message and connection event, in order (the capture writer's input). */
    private readonly onEvent: (event: SubscriberEvent) => void,
    /** Each transaction frame from the source (progress and stop conditions). */
    private readonly onTxn: (txn: TxnSeen) => void = () => {},
  ) {
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
  }

  /** Connects, names itself, waits for the source's name, subscribes. */
  async start(): Promise<void> {
    const { options } = this;
    const timeout = options.handshakeTimeoutMs ?? 15_000;
    const { ws, peer } = await dialReplication(options.url, {
      authorization: options.authorization,
      tls: options.tls,
      timeoutMs: timeout,
    });
    this.ws = ws;
    this.peer = peer;
    this.onEvent({ type: 'open' });
    ws.on('close', (code: number, reason: Buffer) => {
      clearInterval(this.pinger);
      this.onEvent({ type: 'close', code, reason: reason.toString() });
      this.resolveClosed({ code, reason: reason.toString() });
    });
    const named = new Promise<Extract<ControlFrame, { type: 'NODE_NAME' }>>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new DialError(`no NODE_NAME answer within ${timeout} ms`, 'timeout')),
        timeout,
      );
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        this.onEvent({
          type: 'message',
          direction: 'from-source',
          data,
          opcode: isBinary ? 2 : 1,
          at: Date.now(),
        });
        if (!isBinary) return;
        if (isControlFrame(data)) {
          let frame: ControlFrame;
          try {
            frame = decodeControlFrame(data);
          } catch {
            return;
          }
          if (frame.type === 'NODE_NAME') {
            clearTimeout(timer);
            resolve(frame);
          }
          return;
        }
        this.onTransaction(data);
      });
      this.closed.then(({ code, reason }) => {
        clearTimeout(timer);
        reject(handshakeClosed(options.url, code, reason, options));
      });
    });
    this.send(encodeNodeName(options.toolNodeName, options.database, []));
    const answer = await named;
    this.sourceNodeName = answer.nodeName;
    this.sourceTables = answer.tables;
    const entry = (name: string): SubscriptionEntry => ({
      name,
      replicateByDefault: !options.tables?.length,
      tables: options.tables?.length ? options.tables : (options.excludeTables ?? []),
      startTime: options.since,
    });
    this.send(encodeSubscriptionRequest([entry(answer.nodeName), ...(options.origins ?? []).map(entry)]));
    // Harper's accepting side terminates a connection without pings or traffic after 60 s.
    this.pinger = setInterval(() => ws.ping(), options.pingIntervalMs ?? 15_000);
    this.pinger.unref();
  }

  private onTransaction(data: Buffer): void {
    let txn: TxnSeen;
    try {
      const summary = summarizeTxnFrame(data);
      txn = { records: summary.entryCount, bytes: data.length, sequenceId: summary.sequenceId };
    } catch {
      txn = { records: 0, bytes: data.length };
    }
    this.onTxn(txn);
    // Ack like a real receiver; a full copy ends with tail 0, which Harper itself never acks.
    if (this.options.ack && txn.sequenceId) this.send(encodeCommittedUpdate(txn.sequenceId));
  }

  private send(message: Buffer): void {
    this.onEvent({ type: 'message', direction: 'to-source', data: message, opcode: 2, at: Date.now() });
    this.ws?.send(message);
  }

  /** Stops reading from the source (backpressure from a slow disk), and resumes. */
  pause(): void {
    this.ws?.pause();
  }
  resume(): void {
    this.ws?.resume();
  }

  close(): Promise<{ code: number; reason: string }> {
    clearInterval(this.pinger);
    // Never connected (the dial failed): nothing will ever close.
    if (!this.ws) return Promise.resolve({ code: 1006, reason: 'not connected' });
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.close(1000, 'capture finished');
    else this.ws?.terminate();
    return Promise.race([
      this.closed,
      new Promise<{ code: number; reason: string }>((resolve) =>
        setTimeout(() => resolve({ code: 1006, reason: 'timeout' }), 2000).unref(),
      ),
    ]);
  }
}
