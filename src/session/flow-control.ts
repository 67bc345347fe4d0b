/**
 * Sending with WebSocket backpressure: never more than `highWaterMark` bytes queued in the tool. When the queue is
 * over the mark the sender waits for the TCP socket's 'drain' (what Harper's own sender does), and reports each wait.
 */
import type { Socket } from 'node:net';
import type WebSocket from 'ws';

export interface DrainWait {
  /** Epoch ms when the sender started waiting. */
  startedAt: number;
  durationMs: number;
  /** Bytes queued in the tool when the wait started. */
  queuedBytes: number;
}

export class ConnectionClosedError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
  ) {
    super(`connection closed (${code}${reason ? ` ${reason}` : ''})`);
    this.name = 'ConnectionClosedError';
  }
}

/** ws keeps its net.Socket private; the drain event and the byte counters live there. */
export function socketOf(ws: WebSocket): Socket {
  return (ws as unknown as { _socket: Socket })._socket;
}

export class FlowControlledSender {
  private closed?: ConnectionClosedError;
  private readonly closeWaiters = new Set<(error: ConnectionClosedError) => void>();

  constructor(
    private readonly ws: WebSocket,
    private readonly highWaterMark: number,
    private readonly onDrainWait: (wait: DrainWait) => void = () => {},
  ) {
    ws.once('close', (code: number, reason: Buffer) => {
      this.closed = new ConnectionClosedError(code, reason.toString());
      for (const waiter of this.closeWaiters) waiter(this.closed);
    });
  }

  /** Bytes handed to the socket and not yet written to the kernel. */
  get queuedBytes(): number {
    return this.ws.bufferedAmount;
  }

  /**
   * Queues one message; resolves when the tool may queue the next one. Rejects once the connection is closed.
   * `onWritten` runs at most once, when the socket no longer holds the message (written to the kernel, or let go
   * with a dropped connection): its buffer may then be reused.
   */
  async send(message: Buffer, onWritten?: () => void): Promise<void> {
    if (this.closed) throw this.closed;
    const written = onWritten && once(onWritten);
    this.ws.send(message, written && ((error) => error || written()));
    // Nothing queued: the kernel took the whole message in the write call. ws reports that only on a later tick,
    // which a sender that never waits (the kernel keeps taking frames) would starve, holding every frame till then.
    if (written && this.ws.bufferedAmount === 0) written();
    if (this.ws.bufferedAmount > this.highWaterMark) await this.waitForDrain();
  }

  private waitForDrain(): Promise<void> {
    const socket = socketOf(this.ws);
    const startedAt = Date.now();
    const queuedBytes = this.ws.bufferedAmount;
    return new Promise<void>((resolve, reject) => {
      const finish = (error?: ConnectionClosedError) => {
        socket?.removeListener('drain', onDrain);
        this.closeWaiters.delete(onClose);
        this.onDrainWait({ startedAt, durationMs: Date.now() - startedAt, queuedBytes });
        if (error) reject(error);
        else resolve();
      };
      const onDrain = () => finish();
      const onClose = (error: ConnectionClosedError) => finish(error);
      if (this.closed) return finish(this.closed);
      socket.on('drain', onDrain);
      this.closeWaiters.add(onClose);
    });
  }
}

function once(action: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    action();
  };
}
