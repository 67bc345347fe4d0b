/**
 * Rewriting captured transaction frames for replay: new versions (so a target that
 * already has the data applies it again), a fresh sequence tail on every frame (so acks map to frames), node ids
 * mapped to another origin, and entries of unwanted tables dropped. Pure: bytes in, bytes out; entry bytes other
 * than those fields are copied verbatim.
 */
import { SEQUENCE_TAIL_LENGTH, SEQUENCE_TAIL_MARKER } from './codes.js';
import { CodecError, readVarint, varintSize, writeVarint, writeVarintWidth } from './varint.js';

export interface RewriteOptions {
  /** New version for the frame (txnTime and every entry); undefined keeps the originals. */
  version?: number;
  /** The tail to put on the frame (replacing any captured one). */
  sequenceId: number;
  /** Maps an entry's node id; undefined keeps it. */
  nodeId?: (id: number) => number;
  /** Which table ids to keep; undefined keeps all. */
  keepTable?: (tableId: number) => boolean;
}

export interface RewrittenFrame {
  frame: Buffer;
  entries: number;
  /** Entries dropped by `keepTable`. */
  dropped: number;
}

interface EntrySpan {
  start: number;
  end: number;
  /** Where the node id varint starts and ends. */
  nodeIdStart: number;
  nodeIdEnd: number;
  nodeId: number;
  tableId: number;
  /** Offset of the 8-byte version inside the entry. */
  versionAt: number;
}

/** Reads a varint's value and end without allocating (the hot path of a replay: every entry of every frame). */
function varintAt(frame: Uint8Array, position: number, end: number): number {
  if (position >= end) throw new CodecError('varint runs past the end', position);
  const first = frame[position]!;
  if (first < 0x80) return position + 1;
  if (first < 0xc0) return position + 2;
  if (first < 0xff) return position + 4;
  return position + 5;
}

function varintValue(frame: Uint8Array, position: number): number {
  const first = frame[position]!;
  if (first < 0x80) return first;
  if (first < 0xc0) return ((first & 0x3f) << 8) | frame[position + 1]!;
  if (first < 0xff)
    return (
      (first & 0x3f) * 0x1000000 +
      (frame[position + 1]! << 16) +
      (frame[position + 2]! << 8) +
      frame[position + 3]!
    );
  return (
    frame[position + 1]! * 0x1000000 +
    (frame[position + 2]! << 16) +
    (frame[position + 3]! << 8) +
    frame[position + 4]!
  );
}

function locate(frame: Uint8Array, start: number, end: number): EntrySpan {
  const nodeIdStart = varintAt(frame, start, end);
  const tableIdStart = varintAt(frame, nodeIdStart, end);
  return {
    start,
    end,
    nodeIdStart,
    nodeIdEnd: tableIdStart,
    nodeId: varintValue(frame, nodeIdStart),
    tableId: varintValue(frame, tableIdStart),
    versionAt: versionAt(frame, start, end),
  };
}

/** Where an entry's version lies (what locate finds, without the span object). */
function versionAt(frame: Uint8Array, start: number, end: number): number {
  const keyLengthStart = varintAt(frame, varintAt(frame, varintAt(frame, start, end), end), end);
  const keyStart = varintAt(frame, keyLengthStart, end);
  if (keyStart > end) throw new CodecError('audit entry header runs past the entry', start);
  const at = keyStart + varintValue(frame, keyLengthStart);
  if (at + 8 > end) throw new CodecError('audit entry ends before its version', start);
  return at;
}

export function rewriteTxnFrame(frame: Uint8Array, options: RewriteOptions): RewrittenFrame {
  if (frame.length < 8 || frame[0]! > 0x7f) throw new CodecError('not a transaction frame', 0);
  const spans: EntrySpan[] = [];
  let dropped = 0;
  let position = 8;
  while (position < frame.length) {
    const length = readVarint(frame, position);
    const end = length.next + length.value;
    if (end > frame.length) throw new CodecError('audit entry runs past the frame end', position);
    if (length.value === SEQUENCE_TAIL_LENGTH && frame[length.next] === SEQUENCE_TAIL_MARKER) break;
    const span = locate(frame, length.next, end);
    if (options.keepTable && !options.keepTable(span.tableId)) dropped++;
    else spans.push(span);
    position = end;
  }
  // Worst case per entry: a 5-byte length and a node id grown to 5 bytes.
  const out = Buffer.allocUnsafe(
    8 + spans.reduce((sum, s) => sum + (s.end - s.start) + 10, 0) + SEQUENCE_TAIL_LENGTH + 1,
  );
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const source = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  if (options.version !== undefined) view.setFloat64(0, options.version);
  else source.copy(out, 0, 0, 8);
  let pos = 8;
  for (const span of spans) {
    const newNodeId = options.nodeId ? options.nodeId(span.nodeId) : span.nodeId;
    const nodeIdBytes = varintSize(newNodeId);
    const oldNodeIdBytes = span.nodeIdEnd - span.nodeIdStart;
    const length = span.end - span.start - oldNodeIdBytes + nodeIdBytes;
    pos = writeVarint(out, pos, length);
    const entryStart = pos;
    pos += source.copy(out, pos, span.start, span.nodeIdStart);
    pos = writeVarint(out, pos, newNodeId);
    pos += source.copy(out, pos, span.nodeIdEnd, span.end);
    if (options.version !== undefined) {
      view.setFloat64(
        entryStart + (span.versionAt - span.start) - oldNodeIdBytes + nodeIdBytes,
        options.version,
      );
    }
  }
  out[pos] = SEQUENCE_TAIL_LENGTH;
  out[pos + 1] = SEQUENCE_TAIL_MARKER;
  view.setFloat64(pos + 2, options.sequenceId);
  pos += 1 + SEQUENCE_TAIL_LENGTH;
  return { frame: out.subarray(0, pos), entries: spans.length, dropped };
}

/** Room a frame read for `rewriteTxnFrameInPlace` needs after its bytes: a sequence tail it may lack. */
export const TAIL_ROOM = SEQUENCE_TAIL_LENGTH + 1;

/**
 * Whether every entry can be rewritten where it lies: none dropped by `keepTable`, every mapped node id as wide as
 * the captured one. A check pass, writing nothing, so a frame that needs the copying rewrite is still intact.
 */
function fitsInPlace(frame: Uint8Array, end: number, options: RewriteOptions): boolean {
  if (!options.keepTable && !options.nodeId) return true;
  let position = 8;
  while (position < end) {
    const length = readVarint(frame, position, end);
    const entryEnd = length.next + length.value;
    if (entryEnd > end) throw new CodecError('audit entry runs past the frame end', position);
    if (length.value === SEQUENCE_TAIL_LENGTH && frame[length.next] === SEQUENCE_TAIL_MARKER) break;
    const span = locate(frame, length.next, entryEnd);
    if (options.keepTable && !options.keepTable(span.tableId)) return false;
    if (options.nodeId && varintSize(options.nodeId(span.nodeId)) !== span.nodeIdEnd - span.nodeIdStart)
      return false;
    position = entryEnd;
  }
  return true;
}

/**
 * The same rewrite as `rewriteTxnFrame`, made in the frame's own buffer (no copy): `buffer` holds the frame in its
 * first `length` bytes and has TAIL_ROOM bytes after them for a tail. Falls back to the copying rewrite (one copy)
 * when entries are dropped or a node id changes width. The result's frame is a view of `buffer` in place.
 */
export function rewriteTxnFrameInPlace(
  buffer: Buffer,
  length: number,
  options: RewriteOptions,
): RewrittenFrame {
  if (length < 8 || buffer[0]! > 0x7f) throw new CodecError('not a transaction frame', 0);
  if (buffer.length < length + TAIL_ROOM) throw new RangeError('no room for a sequence tail after the frame');
  if (!fitsInPlace(buffer, length, options)) return rewriteTxnFrame(buffer.subarray(0, length), options);
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  if (options.version !== undefined) view.setFloat64(0, options.version);
  let entries = 0;
  let position = 8;
  while (position < length) {
    // The entry's length and bounds without a {value, next} or span object per entry (10,000 a frame: the
    // allocations cost more than the rewrite).
    const start = varintAt(buffer, position, length);
    const end = start + varintValue(buffer, position);
    if (end > length) throw new CodecError('audit entry runs past the frame end', position);
    if (end - start === SEQUENCE_TAIL_LENGTH && buffer[start] === SEQUENCE_TAIL_MARKER) break;
    if (options.nodeId) {
      const span = locate(buffer, start, end);
      const width = (span.nodeIdEnd - span.nodeIdStart) as 1 | 2 | 4 | 5;
      writeVarintWidth(buffer, span.nodeIdStart, options.nodeId(span.nodeId), width);
    }
    if (options.version !== undefined) view.setFloat64(versionAt(buffer, start, end), options.version);
    entries++;
    position = end;
  }
  buffer[position] = SEQUENCE_TAIL_LENGTH;
  buffer[position + 1] = SEQUENCE_TAIL_MARKER;
  view.setFloat64(position + 2, options.sequenceId);
  return { frame: buffer.subarray(0, position + TAIL_ROOM), entries, dropped: 0 };
}
