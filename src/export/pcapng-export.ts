/**
 * A capture as a pcapng file for Wireshark: each recorded connection becomes a TCP conversation (handshake, HTTP
 * upgrade, one WebSocket frame per message, close), each message stamped with its capture time and commented with
 * its frame type. The receiver is the client (its frames masked), the source the server. What the capture did not
 * record — TCP segmentation, retransmissions, permessage-deflate, credentials — is not invented: messages are sent
 * uncompressed in segments of at most 65,495 bytes.
 */
import { type CaptureHeader, type CaptureRecord, Direction, RecordKind } from '../capture/format.js';
import { frameTypeName } from '../protocol/control-frame.js';
import {
  enhancedPacketBlock,
  interfaceDescriptionBlock,
  LINKTYPE_RAW,
  sectionHeaderBlock,
} from './pcapng.js';
import { type Endpoint, type Packet, TcpConversation } from './tcp-conversation.js';
import { connectionKey, FrameBuilder, upgradeRequest, upgradeResponse } from './websocket-frames.js';

const FALLBACK_SERVER = '10.0.0.1';
const FALLBACK_CLIENT = '10.0.0.2';
const DEFAULT_PORT = 9925;

interface ConnectionState {
  tcp: TcpConversation;
  frames: FrameBuilder;
  closed: boolean;
}

/** `127.0.0.1`, `::ffff:127.0.0.1` and `localhost` as IPv4; anything else (a host name, IPv6) undefined. */
export function ipv4Of(host: string | undefined): string | undefined {
  if (!host) return undefined;
  const bare = host.replace(/^\[|\]$/g, '').replace(/^::ffff:/i, '');
  if (bare === 'localhost') return '127.0.0.1';
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(bare) ? bare : undefined;
}

function serverOf(url: string | undefined): { endpoint: Endpoint; host: string; path: string } {
  try {
    const parsed = new URL(url ?? '');
    return {
      endpoint: {
        address: ipv4Of(parsed.hostname) ?? FALLBACK_SERVER,
        port: Number(parsed.port) || DEFAULT_PORT,
      },
      host: parsed.host,
      path: parsed.pathname,
    };
  } catch {
    return { endpoint: { address: FALLBACK_SERVER, port: DEFAULT_PORT }, host: 'harper', path: '/' };
  }
}

export class PcapngExport {
  private readonly connections = new Map<number, ConnectionState>();
  /** Opens not yet written: the open record can come after the connection's first messages (by time). */
  private readonly pendingOpens = new Map<number, { at: number; info: Record<string, unknown> }>();
  private readonly origin: number;
  packets = 0;
  /** Messages recorded after their connection's close (a race at the end of a proxied connection): left out. */
  afterClose = 0;

  constructor(private readonly header: CaptureHeader) {
    this.origin = header.startedAtMs * 1000;
  }

  /** The section and interface blocks the file starts with. */
  preamble(): Buffer[] {
    const { header } = this;
    const described = [
      `harper-replay ${header.mode} capture of ${header.source.url}`,
      header.source.nodeName ? `node ${header.source.nodeName}` : undefined,
      header.database ? `database ${header.database}` : undefined,
      `started ${header.startedAt}`,
    ].filter(Boolean);
    return [
      sectionHeaderBlock({
        application: `harper-replay ${header.toolVersion}`,
        comment: described.join(', '),
      }),
      interfaceDescriptionBlock(LINKTYPE_RAW, 'harper-replay capture'),
    ];
  }

  /** The blocks of one capture record (none for a footer, or a second close of the same connection). */
  add(record: CaptureRecord): Buffer[] {
    const at = this.origin + record.timeUs;
    switch (record.kind) {
      case RecordKind.OPEN:
        if (!this.connections.has(record.connection))
          this.pendingOpens.set(record.connection, { at, info: parseInfo(record.payload) });
        return [];
      case RecordKind.MESSAGE: {
        const blocks = this.ensureOpen(record.connection, at);
        const state = this.connections.get(record.connection)!;
        if (state.closed) {
          this.afterClose++;
          return blocks;
        }
        const fromSource = record.direction === Direction.FROM_SOURCE;
        const frame = state.frames.frame(record.payload, record.opcode || 2, !fromSource);
        const segments = state.tcp.send(fromSource ? 'server' : 'client', frame);
        const comment = `connection ${record.connection}: ${fromSource ? 'source → receiver' : 'receiver → source'} ${frameTypeName(record.payload)}, ${record.payload.length} bytes`;
        return [...blocks, ...this.stamp(at, segments, comment)];
      }
      case RecordKind.CLOSE: {
        if (!this.connections.has(record.connection) && !this.pendingOpens.has(record.connection)) return [];
        const opened = this.ensureOpen(record.connection, at);
        const state = this.connections.get(record.connection)!;
        if (state.closed) return [];
        state.closed = true;
        const info = parseInfo(record.payload);
        // Proxy captures say which side closed; a subscriber capture's close is the receiver's (the tool's) own.
        const first = info.side === 'source' ? 'server' : 'client';
        const code = typeof info.code === 'number' ? info.code : undefined;
        const reason = typeof info.reason === 'string' ? info.reason : '';
        const other = first === 'client' ? 'server' : 'client';
        return [
          ...opened,
          ...this.stamp(
            at,
            [
              ...state.tcp.send(first, state.frames.close(code, reason, first === 'client')),
              ...state.tcp.send(other, state.frames.close(code, reason, other === 'client')),
              ...state.tcp.close(first),
            ],
            `connection ${record.connection}: closed${code === undefined ? '' : ` (${code}${reason ? ` ${reason}` : ''})`}`,
          ),
        ];
      }
      default:
        return [];
    }
  }

  /** Connections opened but never used: their handshakes, at their own times. */
  finish(): Buffer[] {
    return [...this.pendingOpens.keys()].flatMap((connection) => this.ensureOpen(connection, Infinity));
  }

  /** The handshake of a connection before its first message or close, at the earlier of the two times. */
  private ensureOpen(connection: number, at: number): Buffer[] {
    if (this.connections.has(connection)) return [];
    const pending = this.pendingOpens.get(connection);
    this.pendingOpens.delete(connection);
    return this.open(connection, Math.min(at, pending?.at ?? at), pending?.info ?? {});
  }

  private open(connection: number, at: number, info: Record<string, unknown>): Buffer[] {
    const {
      endpoint: server,
      host,
      path,
    } = serverOf(typeof info.url === 'string' ? info.url : this.header.source.url);
    const remote = typeof info.remoteAddress === 'string' ? info.remoteAddress : undefined;
    // A receiver whose address was not recorded sits beside a loopback source, or on a made-up address.
    const fallback = server.address.startsWith('127.') ? server.address : FALLBACK_CLIENT;
    const client = { address: ipv4Of(remote) ?? fallback, port: 50_000 + (connection % 15_000) };
    const tcp = new TcpConversation(client, server);
    const state: ConnectionState = { tcp, frames: new FrameBuilder(), closed: false };
    this.connections.set(connection, state);
    const key = connectionKey(connection);
    const subprotocol = typeof info.subprotocol === 'string' ? info.subprotocol : 'harperdb-replication-v1';
    const role = typeof info.role === 'string' ? info.role : 'connection';
    return this.stamp(
      at,
      [
        ...tcp.open(),
        ...tcp.send('client', [upgradeRequest(host, path, key, subprotocol)]),
        ...tcp.send('server', [upgradeResponse(key, subprotocol)]),
      ],
      `connection ${connection}: ${role}${typeof info.database === 'string' ? `, database ${info.database}` : ''}`,
    );
  }

  /** Enhanced packet blocks at one time; the comment goes on the first. */
  private stamp(at: number, packets: Packet[], comment: string): Buffer[] {
    this.packets += packets.length;
    return packets.flatMap((packet, i) => enhancedPacketBlock(at, packet, i === 0 ? comment : undefined));
  }
}

function parseInfo(payload: Buffer): Record<string, unknown> {
  try {
    const value = JSON.parse(payload.toString('utf8'));
    return typeof value === 'object' && value !== null ? value : {};
  } catch {
    return {};
  }
}
