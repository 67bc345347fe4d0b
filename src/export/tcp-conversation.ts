/**
 * A TCP conversation rebuilt as IPv4 packets for a packet capture: the handshake, data split into segments with
 * sequence and acknowledgement numbers that add up (so Wireshark reassembles the stream and flags nothing), and
 * the close. Pure: it returns packets; the caller stamps and writes them.
 */

export interface Endpoint {
  address: string;
  port: number;
}

/** A packet as parts: headers, then the payload slice (not copied). */
export type Packet = Buffer[];

/** Largest TCP payload in one IPv4 packet (65,535 − 20 − 20): loopback-sized segments. */
export const MAX_SEGMENT = 65_495;

const FIN = 0x01;
const SYN = 0x02;
const PSH = 0x08;
const ACK = 0x10;

function ipv4Bytes(address: string): Buffer {
  const parts = address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255))
    throw new Error(`not an IPv4 address: ${address}`);
  return Buffer.from(parts);
}

/** The Internet checksum (RFC 1071) over several buffers, as if concatenated. */
export function internetChecksum(parts: Buffer[], initial = 0): number {
  let sum = initial;
  let odd: number | undefined;
  for (const part of parts) {
    let i = 0;
    if (odd !== undefined && part.length) {
      sum += (odd << 8) | part[0]!;
      odd = undefined;
      i = 1;
    }
    for (; i + 1 < part.length; i += 2) sum += (part[i]! << 8) | part[i + 1]!;
    if (i < part.length) odd = part[i]!;
  }
  if (odd !== undefined) sum += odd << 8;
  // Plain arithmetic, not bit operators: the sum over a large payload exceeds 32 bits.
  while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

export class TcpConversation {
  private readonly clientIp: Buffer;
  private readonly serverIp: Buffer;
  /** Next sequence number each side sends. */
  private clientSeq: number;
  private serverSeq: number;
  private ipId = 0;

  constructor(
    readonly client: Endpoint,
    readonly server: Endpoint,
    /** Initial sequence numbers (fixed per conversation: the same capture exports to the same bytes). */
    isn = { client: 1_000, server: 5_000 },
  ) {
    this.clientIp = ipv4Bytes(client.address);
    this.serverIp = ipv4Bytes(server.address);
    this.clientSeq = isn.client;
    this.serverSeq = isn.server;
  }

  /** SYN, SYN-ACK, ACK. */
  open(): Packet[] {
    const syn = this.packet('client', SYN, Buffer.alloc(0));
    this.clientSeq++;
    const synAck = this.packet('server', SYN | ACK, Buffer.alloc(0));
    this.serverSeq++;
    return [syn, synAck, this.packet('client', ACK, Buffer.alloc(0))];
  }

  /** `data` from one side, in segments of at most MAX_SEGMENT, each acknowledging all the other side sent. */
  send(from: 'client' | 'server', data: Buffer[]): Packet[] {
    const whole = data.length === 1 ? data[0]! : Buffer.concat(data);
    const packets: Packet[] = [];
    for (let at = 0; at < whole.length; at += MAX_SEGMENT) {
      const segment = whole.subarray(at, Math.min(whole.length, at + MAX_SEGMENT));
      packets.push(this.packet(from, PSH | ACK, segment));
      if (from === 'client') this.clientSeq = (this.clientSeq + segment.length) >>> 0;
      else this.serverSeq = (this.serverSeq + segment.length) >>> 0;
    }
    return packets;
  }

  /** FIN from `first`, FIN-ACK from the other side, the last ACK. */
  close(first: 'client' | 'server'): Packet[] {
    const other = first === 'client' ? 'server' : 'client';
    const fin = this.packet(first, FIN | ACK, Buffer.alloc(0));
    this.advance(first, 1);
    const finAck = this.packet(other, FIN | ACK, Buffer.alloc(0));
    this.advance(other, 1);
    return [fin, finAck, this.packet(first, ACK, Buffer.alloc(0))];
  }

  private advance(side: 'client' | 'server', by: number): void {
    if (side === 'client') this.clientSeq = (this.clientSeq + by) >>> 0;
    else this.serverSeq = (this.serverSeq + by) >>> 0;
  }

  private packet(from: 'client' | 'server', flags: number, payload: Buffer): Packet {
    const fromClient = from === 'client';
    const source = fromClient ? this.client : this.server;
    const destination = fromClient ? this.server : this.client;
    const sourceIp = fromClient ? this.clientIp : this.serverIp;
    const destinationIp = fromClient ? this.serverIp : this.clientIp;
    const seq = fromClient ? this.clientSeq : this.serverSeq;
    // A SYN acknowledges nothing yet; everything else acknowledges all the other side has sent.
    const ack = flags & SYN && !(flags & ACK) ? 0 : fromClient ? this.serverSeq : this.clientSeq;

    const tcp = Buffer.alloc(20);
    tcp.writeUInt16BE(source.port, 0);
    tcp.writeUInt16BE(destination.port, 2);
    tcp.writeUInt32BE(seq >>> 0, 4);
    tcp.writeUInt32BE(ack >>> 0, 8);
    tcp[12] = 5 << 4; // data offset: 5 words, no options
    tcp[13] = flags;
    tcp.writeUInt16BE(65_535, 14); // window
    const pseudo = Buffer.alloc(12);
    sourceIp.copy(pseudo, 0);
    destinationIp.copy(pseudo, 4);
    pseudo[9] = 6; // TCP
    pseudo.writeUInt16BE(20 + payload.length, 10);
    tcp.writeUInt16BE(internetChecksum([pseudo, tcp, payload]), 16);

    const ip = Buffer.alloc(20);
    ip[0] = 0x45; // version 4, 5 words
    ip.writeUInt16BE(20 + 20 + payload.length, 2);
    ip.writeUInt16BE(this.ipId++ & 0xffff, 4);
    ip[6] = 0x40; // don't fragment
    ip[8] = 64; // TTL
    ip[9] = 6; // TCP
    sourceIp.copy(ip, 12);
    destinationIp.copy(ip, 16);
    ip.writeUInt16BE(internetChecksum([ip]), 10);
    return payload.length ? [ip, tcp, payload] : [ip, tcp];
  }
}
