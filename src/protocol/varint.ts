/**
 * Harper's audit-log varint (auditStore Decoder.readInt / writeInt): big-endian, width chosen by the first byte.
 *   < 0x80        1 byte
 *   < 0x4000      2 bytes, value | 0x8000
 *   < 0x3f000000  4 bytes, value | 0xc0000000
 *   otherwise     0xff + uint32
 */

export class CodecError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} (at byte ${offset})`);
    this.name = 'CodecError';
  }
}

export function varintSize(value: number): 1 | 2 | 4 | 5 {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x3f000000) return 4;
  return 5;
}

/** Writes `value` at `position` with its minimal width; returns the position after it. */
export function writeVarint(target: Uint8Array, position: number, value: number): number {
  return writeVarintWidth(target, position, value, varintSize(value));
}

/**
 * Writes `value` with a given width. A wider-than-minimal encoding decodes to the same value, which lets a writer
 * reserve a length prefix before it knows the exact length.
 */
export function writeVarintWidth(
  target: Uint8Array,
  position: number,
  value: number,
  width: 1 | 2 | 4 | 5,
): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`varint out of range: ${value}`);
  }
  switch (width) {
    case 1:
      if (value >= 0x80) throw new RangeError(`${value} does not fit a 1-byte varint`);
      target[position] = value;
      return position + 1;
    case 2:
      if (value >= 0x4000) throw new RangeError(`${value} does not fit a 2-byte varint`);
      target[position] = (value >> 8) | 0x80;
      target[position + 1] = value & 0xff;
      return position + 2;
    case 4:
      if (value >= 0x3f000000) throw new RangeError(`${value} does not fit a 4-byte varint`);
      target[position] = (value >>> 24) | 0xc0;
      target[position + 1] = (value >>> 16) & 0xff;
      target[position + 2] = (value >>> 8) & 0xff;
      target[position + 3] = value & 0xff;
      return position + 4;
    case 5:
      target[position] = 0xff;
      target[position + 1] = (value >>> 24) & 0xff;
      target[position + 2] = (value >>> 16) & 0xff;
      target[position + 3] = (value >>> 8) & 0xff;
      target[position + 4] = value & 0xff;
      return position + 5;
  }
}

export interface VarintRead {
  value: number;
  next: number;
}

/** Reads a varint at `position`, never past `end`. */
export function readVarint(source: Uint8Array, position: number, end: number = source.length): VarintRead {
  if (position >= end) throw new CodecError('varint runs past the end', position);
  const first = source[position]!;
  if (first < 0x80) return { value: first, next: position + 1 };
  if (first < 0xc0) {
    if (position + 2 > end) throw new CodecError('2-byte varint runs past the end', position);
    return { value: ((first & 0x3f) << 8) | source[position + 1]!, next: position + 2 };
  }
  if (first < 0xff) {
    if (position + 4 > end) throw new CodecError('4-byte varint runs past the end', position);
    const value =
      (first & 0x3f) * 0x1000000 +
      (source[position + 1]! << 16) +
      (source[position + 2]! << 8) +
      source[position + 3]!;
    return { value, next: position + 4 };
  }
  if (position + 5 > end) throw new CodecError('5-byte varint runs past the end', position);
  const value =
    source[position + 1]! * 0x1000000 +
    (source[position + 2]! << 16) +
    (source[position + 3]! << 8) +
    source[position + 4]!;
  return { value, next: position + 5 };
}
