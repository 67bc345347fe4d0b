/**
 * One replication WebSocket, either end: decodes incoming control frames and dispatches them by type, sends with
 * flow control, and reports how it closed. Peer and push sessions build their handshakes on top of it.
 */
import type WebSocket from 'ws';
import {
  type ControlFrame,
  type ControlFrameType,
  decodeControlFrame,
  isControlFrame,
} from '../protocol/control-frame.js';
import { ConnectionClosedError, type DrainWait, FlowControlledSender, socketOf } from './flow-control.js';

type FrameOf<T extends ControlFrameType> = Extract<ControlFrame, { type: T }>;
type Handler<T extends ControlFrameType> = (frame: FrameOf<T>) => void;

let nextSocketId = 1;

export interface ReplicationSocketOptions {
  highWaterMark: number;
  onDrainWait?: (wait: DrainWait) => void;
  /** Frames nobody handles, transaction frames and undecodable frames end up here. */
  onUnhandled?: (message: Buffer, problem?: string) => void;
}

export class ReplicationSocket {
  readonly id = nextSocketId++;
  readonly sender: FlowControlledSender;
  /** Resolves once the socket is closed, with the close code and reason. */
  readonly closed: Promise<ConnectionClosedError>;
  private readonly handlers = new Map<ControlFrameType, Array<(frame: ControlFrame) => void>>();

  constructor(
    readonly ws: WebSocket,
    private readonly options: ReplicationSocketOptions,
  ) {
    this.sender = new FlowControlledSender(ws, options.highWaterMark, options.onDrainWait);
    this.closed = new Promise((resolve) => {
      ws.once('close', (code: number, reason: Buffer) =>
        resolve(new ConnectionClosedError(code, reason.toString())),
      );
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => this.dispatch(data, isBinary));
    // Errors surface as a close (code 1006); keep the process alive.
    ws.on('error', () => {});
  }

  /** The tool's end of the TCP connection (for kernel queue sampling). */
  get ports(): { localPort?: number; remotePort?: number } {
    const socket = socketOf(this.ws);
    return { localPort: socket?.localPort, remotePort: socket?.remotePort };
  }

  get isOpen(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  on<T extends ControlFrameType>(type: T, handler: Handler<T>): this {
    const list = this.handlers.get(type) ?? [];
    list.push(handler as (frame: ControlFrame) => void);
    this.handlers.set(type, list);
    return this;
  }

  /** Resolves with the next frame of a type; rejects when the socket closes first or after `timeoutMs`. */
  next<T extends ControlFrameType>(type: T, timeoutMs: number): Promise<FrameOf<T>> {
    return new Promise((resolve, reject) => {
      let done = false;
      // One-shot: removed once settled, so later frames of the type reach their handlers or onUnhandled.
      const handler: Handler<T> = (frame) => {
        if (done) return;
        finish();
        resolve(frame);
      };
      const finish = () => {
        done = true;
        clearTimeout(timer);
        this.off(type, handler);
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`no ${type} frame within ${timeoutMs} ms`));
      }, timeoutMs);
      this.on(type, handler);
      this.closed.then((closed) => {
        if (done) return;
        finish();
        reject(closed);
      });
    });
  }

  /** Removes a handler added with `on`. */
  off<T extends ControlFrameType>(type: T, handler: Handler<T>): this {
    const list = this.handlers.get(type);
    const index = list?.indexOf(handler as (frame: ControlFrame) => void) ?? -1;
    if (list && index >= 0) list.splice(index, 1);
    return this;
  }

  /** See FlowControlledSender.send: `onWritten` runs once the socket wrote the message. */
  send(message: Buffer, onWritten?: () => void): Promise<void> {
    return this.sender.send(message, onWritten);
  }

  close(code = 1000, reason = ''): void {
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING)
      this.ws.close(code, reason);
  }

  terminate(): void {
    this.ws.terminate();
  }

  private dispatch(data: Buffer, isBinary: boolean): void {
    if (!isBinary || !isControlFrame(data)) {
      this.options.onUnhandled?.(data);
      return;
    }
    let frame: ControlFrame;
    try {
      frame = decodeControlFrame(data);
    } catch (error) {
      this.options.onUnhandled?.(data, (error as Error).message);
      return;
    }
    const list = this.handlers.get(frame.type);
    if (!list?.length) {
      this.options.onUnhandled?.(data);
      return;
    }
    for (const handler of list) handler(frame);
  }
}
