/**
 * Writes record values byte-for-byte as msgpackr 1.11 does for a Packr with shared `structures`
 * (`0x40 + slot`, then each value in the structure's key order), straight into a frame buffer.
 * This is the hot path of synthesis: no objects, no intermediate buffers. Tests compare every writer with msgpackr.
 */

/** A record that uses shared structure `slot` (0–63): msgpackr writes `0x40 | slot` followed by the values. */
export function writeRecordStart(target: Uint8Array, position: number, slot: number): number {
  if (slot < 0 || slot > 0x3f) throw new RangeError(`structure slot ${slot} out of range 0–63`);
  target[position] = 0x40 | slot;
  return position + 1;
}

/**
 * An integer value inside a record. With records enabled msgpackr keeps 0x40–0x7f free for slot references, so
 * 64–127 are written as uint8; integers outside 32 bits become float64.
 */
export function writeInteger(target: Uint8Array, position: number, value: number, view: DataView): number {
  if (value >= 0) {
    if (value < 0x40) {
      target[position] = value;
      return position + 1;
    }
    if (value < 0x100) {
      target[position] = 0xcc;
      target[position + 1] = value;
      return position + 2;
    }
    if (value < 0x10000) {
      target[position] = 0xcd;
      target[position + 1] = value >> 8;
      target[position + 2] = value & 0xff;
      return position + 3;
    }
    if (value <= 0xffffffff) {
      target[position] = 0xce;
      view.setUint32(position + 1, value);
      return position + 5;
    }
  } else {
    if (value >= -0x20) {
      target[position] = 0x100 + value;
      return position + 1;
    }
    if (value >= -0x80) {
      target[position] = 0xd0;
      target[position + 1] = 0x100 + value;
      return position + 2;
    }
    if (value >= -0x8000) {
      target[position] = 0xd1;
      view.setInt16(position + 1, value);
      return position + 3;
    }
    if (value >= -0x80000000) {
      target[position] = 0xd2;
      view.setInt32(position + 1, value);
      return position + 5;
    }
  }
  target[position] = 0xcb;
  view.setFloat64(position + 1, value);
  return position + 9;
}

/** Header bytes msgpackr uses for a string of `length` UTF-8 bytes. */
export function stringHeaderSize(length: number): 1 | 2 | 3 | 5 {
  if (length < 0x20) return 1;
  if (length < 0x100) return 2;
  if (length < 0x10000) return 3;
  return 5;
}

/** The header of a string of `length` UTF-8 bytes (the bytes follow), as writeStringBytes writes it. */
export function writeStringHeader(
  target: Uint8Array,
  position: number,
  length: number,
  view: DataView,
): number {
  if (length < 0x20) {
    target[position] = 0xa0 | length;
    return position + 1;
  }
  if (length < 0x100) {
    target[position] = 0xd9;
    target[position + 1] = length;
    return position + 2;
  }
  if (length < 0x10000) {
    target[position] = 0xda;
    view.setUint16(position + 1, length);
    return position + 3;
  }
  target[position] = 0xdb;
  view.setUint32(position + 1, length);
  return position + 5;
}

/** A string value given as its UTF-8 bytes `source[start, start + length)`. */
export function writeStringBytes(
  target: Uint8Array,
  position: number,
  source: Uint8Array,
  start: number,
  length: number,
  view: DataView,
): number {
  let pos = position;
  if (length < 0x20) {
    target[pos++] = 0xa0 | length;
  } else if (length < 0x100) {
    target[pos++] = 0xd9;
    target[pos++] = length;
  } else if (length < 0x10000) {
    target[pos++] = 0xda;
    view.setUint16(pos, length);
    pos += 2;
  } else {
    target[pos++] = 0xdb;
    view.setUint32(pos, length);
    pos += 4;
  }
  // Short strings byte by byte: a subarray per value costs more than the copy (shaped records have many).
  if (length <= 128) {
    for (let i = 0; i < length; i++) target[pos + i] = source[start + i]!;
  } else {
    target.set(source.subarray(start, start + length), pos);
  }
  return pos + length;
}

/** A msgpack extension value (`payload` already encoded). */
export function writeExtension(
  target: Uint8Array,
  position: number,
  type: number,
  payload: Uint8Array,
  view: DataView,
): number {
  let pos = position;
  const length = payload.length;
  const fixed = { 1: 0xd4, 2: 0xd5, 4: 0xd6, 8: 0xd7, 16: 0xd8 }[length];
  if (fixed !== undefined) {
    target[pos++] = fixed;
  } else if (length < 0x100) {
    target[pos++] = 0xc7;
    target[pos++] = length;
  } else if (length < 0x10000) {
    target[pos++] = 0xc8;
    view.setUint16(pos, length);
    pos += 2;
  } else {
    target[pos++] = 0xc9;
    view.setUint32(pos, length);
    pos += 4;
  }
  target[pos++] = type;
  target.set(payload, pos);
  return pos + length;
}

/** A float64 value (msgpack 0xcb), whatever the number: the receiver decodes it to the same double. */
export function writeFloat64(target: Uint8Array, position: number, value: number, view: DataView): number {
  target[position] = 0xcb;
  view.setFloat64(position + 1, value);
  return position + 9;
}

/** true / false. */
export function writeBoolean(target: Uint8Array, position: number, value: boolean): number {
  target[position] = value ? 0xc3 : 0xc2;
  return position + 1;
}

/** nil (null). */
export function writeNil(target: Uint8Array, position: number): number {
  target[position] = 0xc0;
  return position + 1;
}

/** The header of an array of `length` values (the values follow). */
export function writeArrayHeader(
  target: Uint8Array,
  position: number,
  length: number,
  view: DataView,
): number {
  if (length < 0x10) {
    target[position] = 0x90 | length;
    return position + 1;
  }
  if (length < 0x10000) {
    target[position] = 0xdc;
    view.setUint16(position + 1, length);
    return position + 3;
  }
  target[position] = 0xdd;
  view.setUint32(position + 1, length);
  return position + 5;
}

/** A Date of whole seconds since the epoch (0 … 2^32-1) as msgpack's timestamp 32 (ext -1), which msgpackr decodes to a Date. */
export function writeTimestamp32(
  target: Uint8Array,
  position: number,
  seconds: number,
  view: DataView,
): number {
  target[position] = 0xd6;
  target[position + 1] = 0xff;
  view.setUint32(position + 2, seconds);
  return position + 6;
}
