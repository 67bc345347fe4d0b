/**
 * Transaction frames: `float64 txnTime` · repeat(`varint length` · audit entry) · optional `09 0b float64 sequenceId`.
 * The receiver applies one frame as one transaction and acks the sequence tail with COMMITTED_UPDATE.
 */
import {
  type AuditEntry,
  type AuditEntryHeader,
  entryHeaderBound,
  type PutFields,
  readAuditEntry,
  writeEntryHeader,
  writePutHeader,
} from './audit-entry.js';
import { SEQUENCE_TAIL_LENGTH, SEQUENCE_TAIL_MARKER } from './codes.js';
import { BufferRecycler } from './frame-buffers.js';
import type { RecordKey } from './keys.js';
import { CodecError, readVarint, varintSize, writeVarintWidth } from './varint.js';

export interface TxnFrame {
  txnTime: number;
  entries: AuditEntry[];
  /** The sequence tail, when the frame carries one. */
  sequenceId?: number;
}

export interface TxnFrameSummary {
  txnTime: number;
  entryCount: number;
  sequenceId?: number;
}

/**
 * Builds transaction frames in one growing buffer, entry by entry, without per-entry allocations.
 * Each `begin` takes a buffer no frame in flight uses: a fresh one, or one handed back by `recycle` once its frame
 * was written. Reuse matters for multi-MB frames: a fresh buffer's pages fault (and are zeroed by the kernel) on
 * first touch, ~20 % of the encoder's time.
 */
/** The writer's buffer between frames (none: begin takes one). */
const NO_BUFFER = Buffer.alloc(0);

export class TxnFrameWriter {
  private buffer: Buffer = NO_BUFFER;
  private readonly buffers = new BufferRecycler();
  private view = new DataView(this.buffer.buffer);
  /** Bytes of `buffer` a frame may use: the rest holds the pool. */
  private capacity = 0;
  private position = 0;
  private entryStart = -1;
  private lengthWidth: 1 | 2 | 4 | 5 = 1;
  private entries = 0;

  /**
   * `pool`: bytes the caller's entries copy from (a record encoder's text pool). Every frame buffer keeps a copy past
   * the frame's room, at `poolOffset`, so an entry copies with `target.copyWithin`, which allocates nothing: a view
   * of a separate pool per copy cost a fifth of the fixed encoder's time allocating and collecting views.
   */
  constructor(private readonly pool?: Uint8Array) {}

  /** Where the constructor's pool sits in `target` (-1 without one); changes with `target`. */
  get poolOffset(): number {
    return this.pool ? this.capacity : -1;
  }

  /** Starts a frame; `sizeHint` is the expected frame size in bytes. */
  begin(txnTime: number, sizeHint = 64 * 1024): this {
    this.allocate(Math.max(64, sizeHint));
    this.view.setFloat64(0, txnTime);
    this.position = 8;
    this.entries = 0;
    return this;
  }

  get entryCount(): number {
    return this.entries;
  }

  get byteLength(): number {
    return this.position;
  }

  /**
   * Starts an entry and writes its header; the caller then writes at most `maxValueLength` value bytes at
   * `valuePosition` into `target` and calls `endEntry` with the position after them.
   */
  startEntry(header: AuditEntryHeader, maxValueLength: number): number {
    const userBytes = header.user ? Buffer.byteLength(header.user) : 0;
    const maxLength = entryHeaderBound(keyLengthBound(header.key), userBytes) + maxValueLength;
    this.lengthWidth = varintSize(maxLength);
    this.ensure(this.lengthWidth + maxLength + SEQUENCE_TAIL_LENGTH + 1);
    this.entryStart = this.position;
    return writeEntryHeader(
      this.buffer,
      this.position + this.lengthWidth,
      header,
      maxValueLength > 0,
      this.view,
    );
  }

  /**
   * startEntry for the common entry of a synthetic frame, a `put` with a number key and no optional field or user
   * (writePutHeader): the same bytes, without a header object per entry. `fields` is the frame's, shared by its entries.
   */
  startPut(fields: PutFields, key: number, maxValueLength: number): number {
    const maxLength = PUT_HEADER_BOUND + maxValueLength;
    this.lengthWidth = varintSize(maxLength);
    this.ensure(this.lengthWidth + maxLength + SEQUENCE_TAIL_LENGTH + 1);
    this.entryStart = this.position;
    return writePutHeader(this.buffer, this.position + this.lengthWidth, this.view, fields, key);
  }

  /** The buffer entries are written into (changes when the frame grows: read it after `startEntry`). */
  get target(): Buffer {
    return this.buffer;
  }

  /** A DataView over `target`, for float and multi-byte writes. */
  get dataView(): DataView {
    return this.view;
  }

  endEntry(valueEnd: number): void {
    if (this.entryStart < 0) throw new Error('endEntry without startEntry');
    const bodyStart = this.entryStart + this.lengthWidth;
    const length = valueEnd - bodyStart;
    if (this.lengthWidth === 2 && length >= 0x80 && length < 0x4000) {
      // The common case (entries of 128 B to 16 KiB) written directly: the checks below cost more than the entry.
      this.buffer[this.entryStart] = (length >> 8) | 0x80;
      this.buffer[this.entryStart + 1] = length & 0xff;
      this.position = valueEnd;
      this.entryStart = -1;
      this.entries++;
      return;
    }
    const width = varintSize(length);
    if (width < this.lengthWidth) {
      // Keep the length prefix minimal, as Harper writes it.
      this.buffer.copyWithin(this.entryStart + width, bodyStart, valueEnd);
      this.position = writeVarintWidth(this.buffer, this.entryStart, length, width) + length;
    } else {
      writeVarintWidth(this.buffer, this.entryStart, length, this.lengthWidth);
      this.position = valueEnd;
    }
    this.entryStart = -1;
    this.entries++;
  }

  /** Adds a whole entry with an already encoded value. */
  addEntry(header: AuditEntryHeader, value?: Uint8Array): this {
    const valueLength = value?.length ?? 0;
    const valueStart = this.startEntry(header, valueLength);
    if (value) this.target.set(value, valueStart);
    this.endEntry(valueStart + valueLength);
    return this;
  }

  /** Ends the frame, optionally with a sequence tail, and returns it (the writer lets go of the buffer). */
  finish(sequenceId?: number): Buffer {
    if (sequenceId !== undefined) {
      this.ensure(SEQUENCE_TAIL_LENGTH + 1);
      this.buffer[this.position] = SEQUENCE_TAIL_LENGTH;
      this.buffer[this.position + 1] = SEQUENCE_TAIL_MARKER;
      this.view.setFloat64(this.position + 2, sequenceId);
      this.position += 1 + SEQUENCE_TAIL_LENGTH;
    }
    const frame = this.buffer.subarray(0, this.position);
    this.buffers.handOut(frame);
    // Let go of the buffer without taking another (with a pool, even an empty one would be a fresh 64 KiB).
    this.buffer = NO_BUFFER;
    this.view = new DataView(NO_BUFFER.buffer, NO_BUFFER.byteOffset, 0);
    this.capacity = 0;
    this.position = 0;
    return frame;
  }

  /**
   * Hands back a frame from `finish` whose bytes nobody reads any more (the socket wrote them): a later frame may
   * overwrite its buffer. Anything else (a small frame, a frame recycled twice) is ignored.
   */
  recycle(frame: Uint8Array): void {
    this.buffers.recycle(frame);
  }

  private allocate(size: number): void {
    // Whole 8-byte words: ordered-binary's writeKey views the target's memory in 4-byte units and throws on a
    // buffer with its own ArrayBuffer whose length is not a multiple of 4.
    const poolLength = this.pool?.length ?? 0;
    const bytes = Math.ceil((size + poolLength) / 8) * 8;
    this.buffer = this.buffers.take(bytes);
    this.view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
    this.capacity = this.buffer.length - poolLength;
    // Copied with every buffer taken, spare or new (a spare may be larger than asked: its pool is at its own end).
    if (this.pool) this.buffer.set(this.pool, this.capacity);
  }

  private ensure(extra: number): void {
    if (this.position + extra <= this.capacity) return;
    const old = this.buffer;
    this.allocate(Math.max(this.capacity * 2, this.position + extra));
    old.copy(this.buffer, 0, 0, this.position);
  }
}

/** Most bytes of a writePutHeader header: action 4, node and table ids 5 each, key length 1 and key 9, version 8, user 1. */
const PUT_HEADER_BOUND = 33;

/** Most bytes ordered-binary may write for a key (generous: it only sizes the buffer). */
function keyLengthBound(key: RecordKey): number {
  if (typeof key === 'number' || typeof key === 'boolean') return 10;
  if (typeof key === 'string') return Buffer.byteLength(key) + 2;
  if (key instanceof Uint8Array) return key.length + 2;
  if (Array.isArray(key)) return key.reduce<number>((sum, part) => sum + keyLengthBound(part) + 1, 2);
  return 64;
}

/** The receiver stops at the first entry of length 9 whose first byte is 0x0b: the sequence tail. */
function isSequenceTail(source: Uint8Array, entryStart: number, length: number): boolean {
  return length === SEQUENCE_TAIL_LENGTH && source[entryStart] === SEQUENCE_TAIL_MARKER;
}

/** Walks the entry framing of a txn frame: calls `onEntry(start, end)` per entry; returns txnTime and tail. */
function walkTxnFrame(
  frame: Uint8Array,
  onEntry: (start: number, end: number) => void,
): { txnTime: number; sequenceId?: number } {
  if (frame.length < 8)
    throw new CodecError(`transaction frame shorter than its 8-byte header (${frame.length} B)`, 0);
  if (frame[0]! > 0x7f) throw new CodecError('not a transaction frame (first byte > 127)', 0);
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const txnTime = view.getFloat64(0);
  let position = 8;
  while (position < frame.length) {
    const length = readVarint(frame, position);
    const end = length.next + length.value;
    if (end > frame.length) {
      throw new CodecError(
        `audit entry of ${length.value} B runs past the frame end (${frame.length} B)`,
        position,
      );
    }
    if (isSequenceTail(frame, length.next, length.value)) {
      return { txnTime, sequenceId: view.getFloat64(length.next + 1) };
    }
    onEntry(length.next, end);
    position = end;
  }
  return { txnTime };
}

/** Decodes every audit entry of a transaction frame (values stay encoded; see TableDecoder). */
export function decodeTxnFrame(frame: Uint8Array): TxnFrame {
  const entries: AuditEntry[] = [];
  const { txnTime, sequenceId } = walkTxnFrame(frame, (start, end) =>
    entries.push(readAuditEntry(frame, start, end)),
  );
  return sequenceId === undefined ? { txnTime, entries } : { txnTime, entries, sequenceId };
}

/** Counts entries and reads the tail without decoding entries: cheap enough for every frame of a big capture. */
export function summarizeTxnFrame(frame: Uint8Array): TxnFrameSummary {
  let entryCount = 0;
  const { txnTime, sequenceId } = walkTxnFrame(frame, () => {
    entryCount++;
  });
  return sequenceId === undefined ? { txnTime, entryCount } : { txnTime, entryCount, sequenceId };
}
