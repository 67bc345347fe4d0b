/**
 * pcapng blocks (the file format of Wireshark and tcpdump; draft-ietf-opsawg-pcapng): a Section Header, one
 * Interface Description and an Enhanced Packet per packet. Little-endian, every block padded to 32 bits and
 * framed by its total length at both ends, options as (code, length, value) with an end-of-options marker.
 */

const BLOCK_SHB = 0x0a0d0d0a;
const BLOCK_IDB = 0x00000001;
const BLOCK_EPB = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

/** Raw IPv4/IPv6 packets with no link-layer header (LINKTYPE_RAW). */
export const LINKTYPE_RAW = 101;

const OPT_END = 0;
const OPT_COMMENT = 1;
const SHB_USERAPPL = 4;
const IF_NAME = 2;
const IF_TSRESOL = 9;

const pad4 = (length: number) => (4 - (length % 4)) % 4;

/** One option: code, length, value, padding. */
function option(code: number, value: Buffer): Buffer {
  const out = Buffer.alloc(4 + value.length + pad4(value.length));
  out.writeUInt16LE(code, 0);
  out.writeUInt16LE(value.length, 2);
  value.copy(out, 4);
  return out;
}

function options(list: Array<[number, Buffer | string | undefined]>): Buffer {
  const present = list.filter((entry): entry is [number, Buffer | string] => entry[1] !== undefined);
  if (!present.length) return Buffer.alloc(0);
  return Buffer.concat([
    ...present.map(([code, value]) => option(code, typeof value === 'string' ? Buffer.from(value) : value)),
    option(OPT_END, Buffer.alloc(0)),
  ]);
}

/** type, total length, body, padding, total length again. */
function block(type: number, body: Buffer[]): Buffer[] {
  const bodyLength = body.reduce((sum, part) => sum + part.length, 0);
  const padding = pad4(bodyLength);
  const total = 12 + bodyLength + padding;
  const head = Buffer.alloc(8);
  head.writeUInt32LE(type, 0);
  head.writeUInt32LE(total, 4);
  const tail = Buffer.alloc(padding + 4);
  tail.writeUInt32LE(total, padding);
  return [head, ...body, tail];
}

export function sectionHeaderBlock(info: { application?: string; comment?: string } = {}): Buffer {
  const fixed = Buffer.alloc(16);
  fixed.writeUInt32LE(BYTE_ORDER_MAGIC, 0);
  fixed.writeUInt16LE(1, 4); // major version
  fixed.writeUInt16LE(0, 6); // minor version
  fixed.writeBigInt64LE(-1n, 8); // section length: not given
  return Buffer.concat(
    block(BLOCK_SHB, [
      fixed,
      options([
        [OPT_COMMENT, info.comment],
        [SHB_USERAPPL, info.application],
      ]),
    ]),
  );
}

/** Timestamps in microseconds (the default if_tsresol, stated anyway). */
export function interfaceDescriptionBlock(linkType: number, name?: string): Buffer {
  const fixed = Buffer.alloc(8);
  fixed.writeUInt16LE(linkType, 0);
  fixed.writeUInt32LE(0, 4); // snaplen: no limit
  return Buffer.concat(
    block(BLOCK_IDB, [
      fixed,
      options([
        [IF_NAME, name],
        [IF_TSRESOL, Buffer.from([6])],
      ]),
    ]),
  );
}

/**
 * One packet on interface 0 at `timestampUs` (epoch microseconds). Returned as parts so that a large packet's
 * payload is written without being copied.
 */
export function enhancedPacketBlock(timestampUs: number, packet: Buffer[], comment?: string): Buffer[] {
  const length = packet.reduce((sum, part) => sum + part.length, 0);
  const fixed = Buffer.alloc(20);
  const ts = BigInt(Math.round(timestampUs));
  fixed.writeUInt32LE(0, 0); // interface id
  fixed.writeUInt32LE(Number(ts >> 32n), 4);
  fixed.writeUInt32LE(Number(ts & 0xffffffffn), 8);
  fixed.writeUInt32LE(length, 12); // captured length
  fixed.writeUInt32LE(length, 16); // original length
  const padding = Buffer.alloc(pad4(length));
  return block(BLOCK_EPB, [fixed, ...packet, padding, options([[OPT_COMMENT, comment]])]);
}
