/**
 * Streaming capture reader: constant memory whatever the file size (one record at a time), every field checked
 * before anything is allocated, problems named by byte offset. A torn tail (a capture killed mid-write) ends the
 * stream with `truncated` set; everything before it is read. Corruption (a bad checksum, an unknown kind, a
 * length past the bound) throws CaptureFormatError, after every good record before it was yielded. A file that
 * changes while it is read (shrinks, is rewritten, a finished capture grows) is neither: a bad-input error says so.
 * A capture still being written only grows: what was there at open is read, and it reads as not complete.
 */
import { type FileHandle, open } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { ExitCode, HarperReplayError } from '../common/errors.js';
import {
  CaptureFormatError,
  type CaptureHeader,
  type CaptureRecord,
  DEFAULT_MAX_RECORD_LENGTH,
  type DirectionValue,
  FORMAT_VERSION,
  headChecksumOk,
  isKnownKind,
  MAGIC,
  MAX_HEADER_LENGTH,
  PREAMBLE_LENGTH,
  RECORD_HEAD_LENGTH,
  RECORD_TRAILER_LENGTH,
  RecordKind,
  recordChecksum,
} from './format.js';
import { footerHeadIn } from './frame-index.js';

export interface ReadOptions {
  /** Largest payload accepted (bytes). */
  maxRecordLength?: number;
}

/** Bytes one sequential read of a borrowing scan asks for: few syscalls, a bounded buffer. */
export const SCAN_CHUNK = 8 * 1024 * 1024;

/**
 * A sliding window over a file for one sequential pass: `at` returns a view of the asked bytes, read in chunks of
 * at least SCAN_CHUNK into one reused buffer (grown only for a record bigger than it). A view is valid until the
 * next call.
 */
export class ChunkWindow {
  private buffer: Buffer;
  private start = 0;
  private filled = 0;

  constructor(
    private readonly file: FileHandle,
    chunk = SCAN_CHUNK,
  ) {
    this.buffer = Buffer.allocUnsafe(chunk);
  }

  /** Bytes the window holds (its memory: a chunk, or the largest record seen). */
  get capacity(): number {
    return this.buffer.length;
  }

  /** `length` bytes at `position`; fewer only at the end of the file. */
  async at(position: number, length: number): Promise<Buffer> {
    const offset = position - this.start;
    if (offset >= 0 && offset + length <= this.filled) return this.buffer.subarray(offset, offset + length);
    if (length > this.buffer.length) this.buffer = Buffer.allocUnsafe(length);
    this.start = position;
    this.filled = 0;
    while (this.filled < length) {
      const { bytesRead } = await this.file.read(
        this.buffer,
        this.filled,
        this.buffer.length - this.filled,
        position + this.filled,
      );
      if (bytesRead === 0) break;
      this.filled += bytesRead;
    }
    return this.buffer.subarray(0, Math.min(length, this.filled));
  }
}

export interface ScanOptions {
  /** Payloads are views of one reused read buffer, valid until the next record (a one-pass scan). */
  borrow?: boolean;
  /** Bytes per read when borrowing (default SCAN_CHUNK). */
  chunkBytes?: number;
  /**
   * Records for which this returns true are yielded before their payload checksum is checked (their head's is):
   * the caller checks it when it reads the record again, or at once with `checkCurrent` (replay: a data frame's
   * CRC is checked when it is sent, not in a pass before the first byte goes out).
   */
  deferCheck?: (kind: number, direction: number, payload: Buffer) => boolean;
  /**
   * Records for which this returns true (given their offset and payload length) are yielded with `skipped` set and
   * an empty payload, which is neither read nor checked: the caller knows what it holds (a footer's frame index).
   */
  headOnly?: (offset: number, length: number) => boolean;
}

export interface CaptureStatus {
  /** The file ended inside a record: everything before `truncatedAt` was read. */
  truncated: boolean;
  /** The footer was read: the capture was finalized (a killed capture has none). */
  complete: boolean;
  truncatedAt?: number;
  /** Bytes of complete records (and preamble) read. */
  bytesRead: number;
  records: number;
}

const EMPTY = Buffer.alloc(0);
/** How far from the end `footer()` looks, in steps (a footer with a frame index of 100,000 frames is ~6 MB). */
const FOOTER_SEARCH = [1024 * 1024, 16 * 1024 * 1024, 128 * 1024 * 1024];

/** The record a checked head (kind and direction known) and its payload make. */
function recordOf(head: Buffer, payload: Buffer, offset: number): CaptureRecord {
  return {
    kind: head[0]! as CaptureRecord['kind'],
    direction: head[1]! as DirectionValue,
    connection: head.readUInt32BE(2),
    timeUs: Number(head.readBigUInt64BE(6)),
    opcode: head[14]!,
    payload,
    offset,
  };
}

/** Reads exactly `length` bytes at `position`; returns fewer only at the end of the file. */
async function readAt(file: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await file.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled === length ? buffer : buffer.subarray(0, filled);
}

/**
 * Throws unless a record's checksum (over `head` and the payload, `rest` less its last 4 bytes) matches the
 * checksum those 4 bytes hold. `position` is the record's offset, for the message.
 */
export function checkRecord(head: Uint8Array, rest: Buffer, position: number): void {
  const length = rest.length - RECORD_TRAILER_LENGTH;
  if (recordChecksum(head, rest.subarray(0, length)) !== rest.readUInt32BE(length))
    throw new CaptureFormatError('record checksum mismatch', position);
}

export class CaptureReader {
  readonly status: CaptureStatus = { truncated: false, complete: false, bytesRead: 0, records: 0 };
  /** The record last yielded with its check deferred (until the next one is asked for). */
  private unchecked?: { fields: Buffer; rest: Buffer; position: number };

  private constructor(
    readonly path: string,
    private readonly file: FileHandle,
    readonly header: CaptureHeader,
    readonly size: number,
    /** The file's modification time at open (ms): with `size`, what "unchanged" means. */
    private readonly mtimeMs: number,
    private readonly dataStart: number,
    private readonly maxRecordLength: number,
  ) {}

  /** Opens a capture and validates its preamble and header. */
  static async open(path: string, options: ReadOptions = {}): Promise<CaptureReader> {
    const file = await open(path, 'r');
    try {
      const { size, mtimeMs } = await file.stat();
      const preamble = await readAt(file, 0, PREAMBLE_LENGTH);
      if (preamble.length < MAGIC.length || !preamble.subarray(0, MAGIC.length).equals(MAGIC)) {
        throw new CaptureFormatError('not a harper-replay capture (wrong magic)', 0);
      }
      if (preamble.length < PREAMBLE_LENGTH)
        throw new CaptureFormatError('file ends inside the preamble', preamble.length);
      const version = preamble.readUInt16BE(MAGIC.length);
      if (version !== FORMAT_VERSION) {
        throw new CaptureFormatError(
          `capture format version ${version}; this tool reads version ${FORMAT_VERSION}`,
          MAGIC.length,
        );
      }
      const headerLength = preamble.readUInt32BE(MAGIC.length + 2);
      if (headerLength > MAX_HEADER_LENGTH) {
        throw new CaptureFormatError(
          `header length ${headerLength} exceeds ${MAX_HEADER_LENGTH}`,
          MAGIC.length + 2,
        );
      }
      if (PREAMBLE_LENGTH + headerLength + 4 > size) {
        throw new CaptureFormatError(
          `header of ${headerLength} B runs past the end of the file (${size} B)`,
          PREAMBLE_LENGTH,
        );
      }
      const json = await readAt(file, PREAMBLE_LENGTH, headerLength + 4);
      const expected = json.readUInt32BE(headerLength);
      const body = json.subarray(0, headerLength);
      if (crc32(body) !== expected)
        throw new CaptureFormatError('header checksum mismatch', PREAMBLE_LENGTH + headerLength);
      let header: CaptureHeader;
      try {
        header = JSON.parse(body.toString('utf8')) as CaptureHeader;
      } catch {
        throw new CaptureFormatError('header is not JSON', PREAMBLE_LENGTH);
      }
      if (typeof header !== 'object' || header === null || header.tool !== 'harper-replay') {
        throw new CaptureFormatError('header is not a harper-replay capture header', PREAMBLE_LENGTH);
      }
      const dataStart = PREAMBLE_LENGTH + headerLength + 4;
      return new CaptureReader(
        path,
        file,
        header,
        size,
        mtimeMs,
        dataStart,
        options.maxRecordLength ?? DEFAULT_MAX_RECORD_LENGTH,
      );
    } catch (error) {
      await file.close();
      throw error;
    }
  }

  /**
   * Yields every record in order. `borrow`: read in large chunks into one reused buffer, so each record's payload
   * is a view valid only until the next record is asked for (a one-pass scan that keeps numbers, not payloads);
   * otherwise every payload is its own buffer. Sets `status.truncated` instead of throwing on a torn tail. Throws a bad-input
   * HarperReplayError when the file changed since it was opened: what was read may mix two versions of it.
   */
  async *records(options: ScanOptions = {}): AsyncGenerator<CaptureRecord> {
    try {
      yield* this.readRecords(options);
    } catch (error) {
      await this.assertUnchanged();
      throw error;
    }
    await this.assertUnchanged();
  }

  /**
   * Throws when the file shrank or was rewritten since open, or grew although it was finished (a footer read):
   * growth of an unfinished capture is a capture still being written, and its records up to the open size stand.
   */
  private async assertUnchanged(): Promise<void> {
    const now = await this.file.stat();
    const unchanged = now.size === this.size && now.mtimeMs === this.mtimeMs;
    const stillWritten = now.size > this.size && !this.status.complete;
    if (!unchanged && !stillWritten) throw this.changed(now.size);
  }

  private changed(sizeNow: number): HarperReplayError {
    return new HarperReplayError(
      `${this.path} changed while it was read (${this.size} B when opened, ${sizeNow} B now): read it again once nothing writes to it`,
      ExitCode.BAD_INPUT,
    );
  }

  private async *readRecords(options: ScanOptions): AsyncGenerator<CaptureRecord> {
    const borrow = options.borrow === true;
    const window = borrow ? new ChunkWindow(this.file, options.chunkBytes) : undefined;
    const read = window
      ? (at: number, length: number) => window.at(at, length)
      : (at: number, length: number) => readAt(this.file, at, length);
    let position = this.dataStart;
    Object.assign(this.status, { truncated: false, complete: false, records: 0, truncatedAt: undefined });
    this.status.bytesRead = position;
    while (position < this.size) {
      const head = await read(position, RECORD_HEAD_LENGTH);
      if (head.length < RECORD_HEAD_LENGTH) {
        // Short of the size seen at open: the file shrank under the reader (not a torn tail).
        if (position + RECORD_HEAD_LENGTH <= this.size) throw this.changed((await this.file.stat()).size);
        return this.truncate(position);
      }
      if (!headChecksumOk(head)) throw new CaptureFormatError('record head checksum mismatch', position);
      const kind = head[0]!;
      const direction = head[1]!;
      if (!isKnownKind(kind)) throw new CaptureFormatError(`unknown record kind ${kind}`, position);
      if (direction > 1) throw new CaptureFormatError(`unknown direction ${direction}`, position + 1);
      const length = head.readUInt32BE(15);
      if (length > this.maxRecordLength) {
        throw new CaptureFormatError(
          `record length ${length} exceeds the bound of ${this.maxRecordLength}`,
          position + 15,
        );
      }
      const end = position + RECORD_HEAD_LENGTH + length + RECORD_TRAILER_LENGTH;
      if (end > this.size) return this.truncate(position);
      this.unchecked = undefined;
      if (options.headOnly?.(position, length)) {
        this.status.complete = kind === RecordKind.FOOTER;
        yield { ...recordOf(head, EMPTY, position), skipped: true };
      } else {
        // A borrowed head is a view of the window: keep its fields before the window moves on.
        const fields = borrow ? Buffer.from(head) : head;
        const rest = await read(position + RECORD_HEAD_LENGTH, length + RECORD_TRAILER_LENGTH);
        if (rest.length < length + RECORD_TRAILER_LENGTH) throw this.changed((await this.file.stat()).size);
        const payload = rest.subarray(0, length);
        if (options.deferCheck?.(kind, direction, payload)) this.unchecked = { fields, rest, position };
        else checkRecord(fields, rest, position);
        // Complete only once the footer's own checksum held.
        this.status.complete = kind === RecordKind.FOOTER;
        yield recordOf(fields, payload, position);
      }
      position = end;
      this.status.records++;
      this.status.bytesRead = position;
    }
  }

  /**
   * The footer's JSON, read from the end of the file without a scan (a finalized capture's last record), its
   * checksum checked; undefined when the file does not end with a footer this finds within FOOTER_SEARCH bytes.
   */
  async footer(): Promise<Record<string, unknown> | undefined> {
    for (const bytes of FOOTER_SEARCH) {
      const length = Math.min(bytes, this.size - this.dataStart);
      const tail = await readAt(this.file, this.size - length, length);
      const at = footerHeadIn(tail, headChecksumOk);
      if (at !== undefined) {
        const head = tail.subarray(at, at + RECORD_HEAD_LENGTH);
        const rest = tail.subarray(at + RECORD_HEAD_LENGTH);
        try {
          checkRecord(head, rest, this.size - length + at);
          return JSON.parse(rest.subarray(0, rest.length - RECORD_TRAILER_LENGTH).toString('utf8'));
        } catch {
          return undefined;
        }
      }
      if (length < bytes) return undefined;
    }
    return undefined;
  }

  /** Checks the payload checksum of the record just yielded with its check deferred (a no-op for the others). */
  checkCurrent(): void {
    if (!this.unchecked) return;
    const { fields, rest, position } = this.unchecked;
    this.unchecked = undefined;
    checkRecord(fields, rest, position);
  }

  private truncate(position: number): void {
    this.status.truncated = true;
    this.status.truncatedAt = position;
  }

  close(): Promise<void> {
    return this.file.close();
  }
}

/**
 * Reads every record of a capture and checks every checksum (a replay checks data frames' only when it sends
 * them): for a caller that must know the whole file is intact before it starts (bench, before any node).
 */
export async function checkCapture(path: string): Promise<void> {
  const reader = await CaptureReader.open(path);
  try {
    for await (const _ of reader.records({ borrow: true })) {
      // every record's checksums are checked as it is read
    }
  } finally {
    await reader.close();
  }
}
