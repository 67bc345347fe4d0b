/**
 * The fixed record shape: `{id, generation, payload[, blob]}`. The payload is a slice of a seeded text pool whose
 * place depends on (id, generation), so every version of a record differs from the one before. Record ids whose
 * position in their frame of inserts is below blobsPerFrame carry a blob (with pure inserts: the first
 * blobsPerFrame records of every frame); an update of such a record writes a new blob (new fileId and content),
 * so a blob record stays a blob record for its whole life.
 */

import { encodeBlobReferencePayload } from '../protocol/blob.js';
import { BLOB_EXTENSION_TYPE } from '../protocol/codes.js';
import type { TableStructure } from '../protocol/control-frame.js';
import {
  stringHeaderSize,
  writeExtension,
  writeInteger,
  writeRecordStart,
  writeStringHeader,
} from '../protocol/record-writer.js';
import { bytesFromSeed, mix, textPool } from './deterministic.js';
import type { RecordEncoder } from './record-encoder.js';

export interface FixedRecordOptions {
  seed: number;
  tableName: string;
  /** Approximate encoded size of a record without its blob. */
  recordSize: number;
  recordsPerFrame: number;
  blobSize: number;
  /** Records of each frame of inserts that carry a blob (0 = none). */
  blobsPerFrame: number;
  /** Ids start after this. */
  idOffset?: number;
}

export interface FixedRecord {
  id: number;
  generation: number;
  payload: string;
  blob?: { size: number };
}

/** An encoder whose records may carry a blob, sent as BLOB_CHUNK frames after the data frame. */
export interface RecordBlobs {
  /** The blob of (id, generation), if that record has one. */
  blobOf(id: number, generation: number): { fileId: string; size: number } | undefined;
  blobContent(id: number, generation?: number): Buffer;
}

const PLAIN = 0;
const WITH_BLOB = 1;
// Worst-case bytes of {id, generation} plus the record marker: 1 + 9 + 9.
const FIXED_FIELDS_BOUND = 19;

export class FixedRecordEncoder implements RecordEncoder, RecordBlobs {
  readonly tableName: string;
  readonly payloadLength: number;
  readonly valueBound: number;
  private readonly pool: Buffer;
  /** The pool as a plain Uint8Array: its subarray is a builtin, a Buffer's a JS function and a constructor. */
  private readonly poolBytes: Uint8Array;
  /** Payload offsets per unit of a 32-bit hash: (pool length − payload length + 1) / 2^32. */
  private readonly offsetScale: number;

  constructor(readonly options: FixedRecordOptions) {
    this.tableName = options.tableName;
    // id takes 1–5 bytes, generation mostly 1: aim the value at recordSize with a mid-sized id (3 + 1 + 1 marker).
    const target = Math.max(0, options.recordSize - 5);
    this.payloadLength = Math.max(0, target - stringHeaderSize(target));
    this.valueBound = FIXED_FIELDS_BOUND + 5 + this.payloadLength + (options.blobsPerFrame ? 64 : 0);
    this.pool = textPool(options.seed, Math.max(64 * 1024, this.payloadLength * 4));
    this.poolBytes = new Uint8Array(this.pool.buffer, this.pool.byteOffset, this.pool.length);
    this.offsetScale = (this.pool.length - this.payloadLength + 1) / 2 ** 32;
  }

  /** The text pool payloads are copied from (RecordEncoder.copySource). */
  get copySource(): Uint8Array {
    return this.pool;
  }

  /** The structures our record encoding refers to: slot 0 plain records, slot 1 records with a blob. */
  tableStructure(): TableStructure {
    return {
      typedStructs: [],
      structures: [
        ['id', 'generation', 'payload'],
        ['id', 'generation', 'payload', 'blob'],
      ],
      // Only the primary key: listing the other attributes would make Harper index them.
      attributes: [{ name: 'id', isPrimaryKey: true }],
      schemaDefined: false,
    };
  }

  hasBlob(id: number): boolean {
    const { blobsPerFrame, recordsPerFrame } = this.options;
    return blobsPerFrame > 0 && (id - (this.options.idOffset ?? 0) - 1) % recordsPerFrame < blobsPerFrame;
  }

  fileId(id: number, generation = 0): string {
    const base = `hr${this.options.seed.toString(16)}x${id.toString(16)}`;
    return generation === 0 ? base : `${base}g${generation.toString(16)}`;
  }

  blobOf(id: number, generation: number): { fileId: string; size: number } | undefined {
    return this.hasBlob(id)
      ? { fileId: this.fileId(id, generation), size: this.options.blobSize }
      : undefined;
  }

  /** The blob content of (id, generation). */
  blobContent(id: number, generation = 0): Buffer {
    const base = this.options.seed ^ 0x5bd1e995;
    return bytesFromSeed(mix(generation === 0 ? base : mix(base, generation), id), this.options.blobSize);
  }

  /** Offset of the payload of (id, generation) in the pool. */
  private payloadOffset(id: number, generation: number): number {
    const seed = generation === 0 ? this.options.seed : mix(this.options.seed, generation);
    // Multiply-shift, not `%`: a uint32 above 2^31 is a double to V8, and `%` on doubles is a call to fmod.
    return Math.floor(mix(seed, id) * this.offsetScale);
  }

  write(target: Buffer, pos: number, view: DataView, id: number, generation: number, poolAt = -1): number {
    const blob = this.options.blobsPerFrame > 0 ? this.blobOf(id, generation) : undefined;
    let at = writeRecordStart(target, pos, blob ? WITH_BLOB : PLAIN);
    at = writeInteger(target, at, id, view);
    at = writeInteger(target, at, generation, view);
    at = writeStringHeader(target, at, this.payloadLength, view);
    const offset = this.payloadOffset(id, generation);
    if (poolAt >= 0) target.copyWithin(at, poolAt + offset, poolAt + offset + this.payloadLength);
    else target.set(this.poolBytes.subarray(offset, offset + this.payloadLength), at);
    at += this.payloadLength;
    if (blob) {
      at = writeExtension(
        target,
        at,
        BLOB_EXTENSION_TYPE,
        encodeBlobReferencePayload(blob.fileId, blob.size),
        view,
      );
    }
    return at;
  }

  expected(id: number, generation: number): FixedRecord & Record<string, unknown> {
    const offset = this.payloadOffset(id, generation);
    const record: FixedRecord & Record<string, unknown> = {
      id,
      generation,
      payload: this.pool.toString('latin1', offset, offset + this.payloadLength),
    };
    if (this.hasBlob(id)) record.blob = { size: this.options.blobSize };
    return record;
  }
}
