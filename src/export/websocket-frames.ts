/**
 * The WebSocket bytes of a replication connection, rebuilt for a packet capture: the HTTP upgrade (without any
 * Authorization header: captures hold no credentials, and neither do exports), then each message as one frame,
 * masked from the client as RFC 6455 requires. Framing is ws's own (Sender.frame), with masks from a counter so
 * that the same capture always exports to the same bytes.
 */
import { createHash } from 'node:crypto';
import * as ws from 'ws';

const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export function upgradeRequest(host: string, path: string, key: string, subprotocol?: string): Buffer {
  return Buffer.from(
    [
      `GET ${path || '/'} HTTP/1.1`,
      `Host: ${host}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${key}`,
      'Sec-WebSocket-Version: 13',
      ...(subprotocol ? [`Sec-WebSocket-Protocol: ${subprotocol}`] : []),
      '',
      '',
    ].join('\r\n'),
  );
}

export function upgradeResponse(key: string, subprotocol?: string): Buffer {
  const accept = createHash('sha1')
    .update(key + WEBSOCKET_GUID)
    .digest('base64');
  return Buffer.from(
    [
      'HTTP/1.1 101 Switching Protocols',
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Accept: ${accept}`,
      ...(subprotocol ? [`Sec-WebSocket-Protocol: ${subprotocol}`] : []),
      '',
      '',
    ].join('\r\n'),
  );
}

/** A Sec-WebSocket-Key derived from the connection id (16 bytes, base64). */
export function connectionKey(connection: number): string {
  const bytes = Buffer.alloc(16);
  bytes.write('harper-replay', 0, 'latin1');
  bytes.writeUInt16BE(connection & 0xffff, 14);
  return bytes.toString('base64');
}

type FrameOptions = {
  fin: boolean;
  opcode: number;
  mask: boolean;
  readOnly: boolean;
  rsv1: boolean;
  generateMask?: (mask: Buffer) => void;
};
// ws exports Sender (and its static frame) but @types/ws does not declare them.
const { frame } = (ws as unknown as { Sender: { frame(data: Buffer, options: FrameOptions): Buffer[] } })
  .Sender;

export class FrameBuilder {
  private counter = 0;

  /** One unfragmented frame; `masked` for client-to-server frames (the payload is then copied, masked). */
  frame(payload: Buffer, opcode: number, masked: boolean): Buffer[] {
    const index = ++this.counter;
    return frame(payload, {
      fin: true,
      opcode,
      mask: masked,
      readOnly: true,
      rsv1: false,
      generateMask: (mask) => mask.writeUInt32BE((index * 0x9e3779b1) >>> 0 || 1, 0),
    });
  }

  /** A close frame with its status code (and reason) when one is known. */
  close(code: number | undefined, reason: string, masked: boolean): Buffer[] {
    let body = Buffer.alloc(0);
    // 1005 and 1006 mean "no code was sent": they are never put on the wire.
    if (code !== undefined && code !== 1005 && code !== 1006) {
      body = Buffer.alloc(2 + Buffer.byteLength(reason));
      body.writeUInt16BE(code, 0);
      body.write(reason, 2);
    }
    return this.frame(body, 0x8, masked);
  }
}
