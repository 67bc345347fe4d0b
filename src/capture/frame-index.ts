/**
 * The frame index a finalized capture carries in its footer: for every transaction frame from the source, where it
 * is and what a replay needs to know of it without reading it (entries, transaction time, sequence tail). A replay
 * of a capture with one reads only the records between its data frames before the first frame goes out; a
 * capture without one (killed before its footer, or written before the index existed) is scanned whole.
 */
import { summarizeTxnFrame } from '../protocol/txn-frame.js';
import {
  Direction,
  type DirectionValue,
  RECORD_HEAD_LENGTH,
  RECORD_TRAILER_LENGTH,
  RecordKind,
} from './format.js';

/** Beyond this many frames the index is left out: the writer holds it until the footer (~100 B a frame). */
export const MAX_INDEXED_FRAMES = 250_000;

export interface IndexedFrame {
  connection: number;
  offset: number;
  length: number;
  timeUs: number;
  entries: number;
  /** The transaction time (ms, the frame's float64 header). */
  txnTime: number;
  /** The captured sequence tail, when the frame had one. */
  tail?: number;
}

/** The footer's `frameIndex`: one row per frame, columns in INDEX_COLUMNS order (a tail of null: none). */
export interface FrameIndexJson {
  version: 1;
  columns: string[];
  frames: Array<Array<number | null>>;
}

const INDEX_COLUMNS = ['connection', 'offset', 'length', 'timeUs', 'entries', 'txnTime', 'tail'];

/** Collects the index while a capture is written: a frame that does not decode as a transaction is left out. */
export class FrameIndexBuilder {
  private readonly rows: Array<Array<number | null>> = [];
  private overflowed = false;

  constructor(private readonly maxFrames = MAX_INDEXED_FRAMES) {}

  add(connection: number, offset: number, timeUs: number, payload: Uint8Array): void {
    if (this.overflowed) return;
    if (this.rows.length >= this.maxFrames) {
      this.overflowed = true;
      this.rows.length = 0;
      return;
    }
    try {
      const { entryCount, txnTime, sequenceId } = summarizeTxnFrame(payload);
      this.rows.push([
        connection,
        offset,
        payload.byteLength,
        timeUs,
        entryCount,
        txnTime,
        sequenceId ?? null,
      ]);
    } catch {
      // Not a transaction frame: the replay's scan reads it and leaves it out as it always did.
    }
  }

  toJSON(): FrameIndexJson | undefined {
    return this.overflowed ? undefined : { version: 1, columns: INDEX_COLUMNS, frames: this.rows };
  }
}

/** The frames of a footer's `frameIndex` by offset; undefined for anything this version does not read. */
export function parseFrameIndex(json: unknown): Map<number, IndexedFrame> | undefined {
  const index = json as Partial<FrameIndexJson> | undefined;
  if (index?.version !== 1 || !Array.isArray(index.frames)) return undefined;
  if (JSON.stringify(index.columns) !== JSON.stringify(INDEX_COLUMNS)) return undefined;
  const frames = new Map<number, IndexedFrame>();
  for (const row of index.frames) {
    if (!Array.isArray(row) || row.length !== INDEX_COLUMNS.length) return undefined;
    const [connection, offset, length, timeUs, entries, txnTime, tail] = row;
    const numbers = [connection, offset, length, timeUs, entries, txnTime];
    if (!numbers.every((n) => typeof n === 'number' && Number.isFinite(n))) return undefined;
    if (tail !== null && typeof tail !== 'number') return undefined;
    frames.set(offset as number, {
      connection: connection as number,
      offset: offset as number,
      length: length as number,
      timeUs: timeUs as number,
      entries: entries as number,
      txnTime: txnTime as number,
      ...(tail === null ? {} : { tail }),
    });
  }
  return frames;
}

/**
 * Where the footer record starts, given the file's last bytes `tail` (which end at the file's end): the last
 * position whose bytes read as a footer head (kind 4, from the source, connection 0, opcode 0, a valid head
 * checksum) whose record ends exactly at the end of the file. Undefined when `tail` holds none (the footer is
 * longer than `tail`, or the capture has none).
 */
export function footerHeadIn(tail: Buffer, checksumOk: (head: Uint8Array) => boolean): number | undefined {
  for (let at = tail.length - RECORD_HEAD_LENGTH - RECORD_TRAILER_LENGTH; at >= 0; at--) {
    if (tail[at] !== RecordKind.FOOTER || tail[at + 1] !== (Direction.FROM_SOURCE as DirectionValue))
      continue;
    if (tail.readUInt32BE(at + 2) !== 0 || tail[at + 14] !== 0) continue;
    const length = tail.readUInt32BE(at + 15);
    if (at + RECORD_HEAD_LENGTH + length + RECORD_TRAILER_LENGTH !== tail.length) continue;
    if (checksumOk(tail.subarray(at, at + RECORD_HEAD_LENGTH))) return at;
  }
  return undefined;
}
