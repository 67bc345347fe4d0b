/**
 * The synthesizer: frames of deterministic records, built on demand (never all held in memory), so a resumed
 * stream can rebuild any frame. Record `id` k (1-based) is `{id, frame, payload}`, plus `blob` for the first
 * `blobsPerFrame` records of each frame; the payload is a slice of a seeded text pool.
 */

import type { BlobFault, BlobFaultKind, RecordShape } from '../events/schema.js';
import { encodeBlobReferencePayload } from '../protocol/blob.js';
import { BLOB_EXTENSION_TYPE } from '../protocol/codes.js';
import { encodeNodeIdMap, encodeTableStructure, type TableStructure } from '../protocol/control-frame.js';
import {
  stringHeaderSize,
  writeExtension,
  writeInteger,
  writeRecordStart,
  writeStringBytes,
} from '../protocol/record-writer.js';
import { TxnFrameWriter } from '../protocol/txn-frame.js';
import { faultedChunks, faultOf } from './blob-faults.js';
import { bytesFromSeed, mix, textPool } from './deterministic.js';
import type { RecordEncoder } from './record-encoder.js';

export interface SyntheticOptions extends RecordShape {
  seed: number;
  /** Blobs sent wrong on purpose (--blob-faults). */
  blobFaults?: readonly BlobFault[];
  /** Ids start after this (default 0: ids 1…N). */
  idOffset?: number;
  /** Table the records go to (the id is ours: it only has to match our TABLE_FIXED_STRUCTURE). */
  tableName: string;
  tableId?: number;
  /** The origin node name the records are attributed to (id 0 in our NODE_NAME_TO_ID_MAP). */
  originName: string;
  /** Version of frame 0 (epoch ms); frame i gets base + i / 1000 so every frame has its own version. */
  baseVersion: number;
  /** Sequence tail of frame i is base + i + 1: unique, increasing, never 0. */
  baseSequence: number;
  /**
   * Shaped records instead of {id, frame, payload}: one encoder per table, table ids tableId, tableId + 1, …; every
   * frame carries recordsPerFrame records of each table (ids per table 1…N), no blobs.
   */
  encoders?: readonly RecordEncoder[];
}

export interface SyntheticRecord {
  id: number;
  frame: number;
  payload: string;
  blob?: { size: number };
}

export interface BuiltFrame {
  index: number;
  data: Buffer;
  records: number;
  sequenceId: number;
  /** Control frames to send right before the data frame (replay: table structures, blob chunks). */
  before?: Buffer[];
  /** Frames to send right after the data frame (BLOB_CHUNKs). */
  blobChunks: Buffer[];
  blobs: number;
  blobBytes: number;
  /** Blobs of this frame sent wrong on purpose, by kind. */
  blobFaults?: Partial<Record<BlobFaultKind, number>>;
}

/** Anything that yields numbered frames with increasing sequence tails (synthesizer, later the replayer). */
export interface FrameSource {
  readonly frameCount: number;
  /** The captured connection it replays (a replay's source). */
  readonly connection?: number;
  readonly totalRecords: number;
  /** Control frames sent on every connection before data (node-id map, table structures), for a stream from `fromIndex`. */
  preamble(subscribedNames: string[], fromIndex?: number): Buffer[] | Promise<Buffer[]>;
  build(index: number): BuiltFrame | Promise<BuiltFrame>;
  sequenceId(index: number): number;
  recordsIn(index: number): number;
  /** When frame `index` is due, in ms after the first frame (a paced replay); undefined = as fast as possible. */
  due?(index: number): number | undefined;
  /** A small frame to send after the last one, whose ack says the target still commits (the liveness probe). */
  livenessFrame?(): BuiltFrame;
}

const PLAIN = 0;
const WITH_BLOB = 1;
// Worst-case bytes of {id, frame} plus the record marker: 1 + 9 + 9.
const FIXED_FIELDS_BOUND = 19;

export class SyntheticWorkload implements FrameSource {
  readonly tableId: number;
  readonly payloadLength: number;
  readonly blobsPerFrame: number;
  private readonly pool: Buffer;
  private readonly writer = new TxnFrameWriter();

  constructor(readonly options: SyntheticOptions) {
    this.tableId = options.tableId ?? 1;
    // id and frame take 1–5 bytes each; aim the value at recordSize with mid-sized integers (3 + 3 + 1 marker).
    const target = Math.max(0, options.recordSize - 7);
    this.payloadLength = Math.max(0, target - stringHeaderSize(target));
    this.blobsPerFrame =
      options.blobSize > 0
        ? Math.min(options.blobsPerFrame ?? options.recordsPerFrame, options.recordsPerFrame)
        : 0;
    this.pool = textPool(options.seed, Math.max(64 * 1024, this.payloadLength * 4));
  }

  get frameCount(): number {
    return this.options.frames;
  }

  /** Tables the records go to (several only with shaped records). */
  get tableCount(): number {
    return this.options.encoders?.length || 1;
  }

  get totalRecords(): number {
    return this.options.frames * this.options.recordsPerFrame * this.tableCount;
  }

  get totalBlobs(): number {
    return this.options.frames * this.blobsPerFrame;
  }

  recordsIn(): number {
    return this.options.recordsPerFrame * this.tableCount;
  }

  sequenceId(index: number): number {
    return this.options.baseSequence + index + 1;
  }

  version(index: number): number {
    return this.options.baseVersion + index / 1000;
  }

  /** The structures our record encoding refers to: slot 0 plain records, slot 1 records with a blob. */
  tableStructure(): TableStructure {
    return {
      typedStructs: [],
      structures: [
        ['id', 'frame', 'payload'],
        ['id', 'frame', 'payload', 'blob'],
      ],
      // Only the primary key: listing the other attributes would make Harper index them.
      attributes: [{ name: 'id', isPrimaryKey: true }],
      schemaDefined: false,
    };
  }

  preamble(subscribedNames: string[]): Buffer[] {
    const encoders = this.options.encoders;
    if (encoders?.length) {
      return [
        encodeNodeIdMap({ [this.options.originName]: 0 }, subscribedNames),
        ...encoders.map((e, t) => encodeTableStructure(e.tableStructure(), this.tableId + t, e.tableName)),
      ];
    }
    return [
      encodeNodeIdMap({ [this.options.originName]: 0 }, subscribedNames),
      encodeTableStructure(this.tableStructure(), this.tableId, this.options.tableName),
    ];
  }

  /** Offset of record `id`'s payload in the pool. */
  private payloadOffset(id: number): number {
    return mix(this.options.seed, id) % (this.pool.length - this.payloadLength + 1);
  }

  /**
   * One plain record after the workload (id N + 1, outside the ids verification counts), with the next version and
   * the next sequence tail: committed only if the target still takes writes after what came before.
   */
  livenessFrame(): BuiltFrame {
    const { frames } = this.options;
    const probe = new SyntheticWorkload({
      ...this.options,
      frames: 1,
      recordsPerFrame: 1,
      blobSize: 0,
      blobFaults: undefined,
      idOffset: (this.options.idOffset ?? 0) + this.totalRecords,
      baseVersion: this.version(frames),
      baseSequence: this.sequenceId(frames - 1),
    });
    return probe.build(0);
  }

  fileId(id: number): string {
    return `hr${this.options.seed.toString(16)}x${id.toString(16)}`;
  }

  /** What record `id` holds: tests compare the target's copy with this. */
  expectedRecord(id: number): SyntheticRecord {
    const { recordsPerFrame } = this.options;
    const frame = Math.floor((id - 1) / recordsPerFrame);
    const offset = this.payloadOffset(id);
    const record: SyntheticRecord = {
      id,
      frame,
      payload: this.pool.toString('latin1', offset, offset + this.payloadLength),
    };
    if ((id - 1) % recordsPerFrame < this.blobsPerFrame) record.blob = { size: this.options.blobSize };
    return record;
  }

  /** The blob content of record `id`. */
  blobContent(id: number): Buffer {
    return bytesFromSeed(mix(this.options.seed ^ 0x5bd1e995, id), this.options.blobSize);
  }

  /** A frame of shaped records: recordsPerFrame first versions of each table's records, table after table. */
  private buildShaped(index: number, encoders: readonly RecordEncoder[]): BuiltFrame {
    const { recordsPerFrame } = this.options;
    const version = this.version(index);
    const bytes = encoders.reduce((sum, e) => sum + (e.valueBound + 32) * recordsPerFrame, 64);
    const writer = this.writer.begin(version, bytes);
    const firstId = (this.options.idOffset ?? 0) + index * recordsPerFrame + 1;
    encoders.forEach((encoder, t) => {
      const tableId = this.tableId + t;
      for (let id = firstId; id < firstId + recordsPerFrame; id++) {
        const pos = writer.startEntry(
          { type: 'put', nodeId: 0, tableId, key: id, version, hasBlobs: false },
          encoder.valueBound,
        );
        writer.endEntry(encoder.write(writer.target, pos, writer.dataView, id, 0));
      }
    });
    const sequenceId = this.sequenceId(index);
    const records = recordsPerFrame * encoders.length;
    return {
      index,
      data: writer.finish(sequenceId),
      records,
      sequenceId,
      blobChunks: [],
      blobs: 0,
      blobBytes: 0,
    };
  }

  build(index: number): BuiltFrame {
    if (this.options.encoders?.length) return this.buildShaped(index, this.options.encoders);
    const { recordsPerFrame, blobSize } = this.options;
    const version = this.version(index);
    const valueBound = FIXED_FIELDS_BOUND + 5 + this.payloadLength + (this.blobsPerFrame ? 64 : 0);
    const writer = this.writer.begin(version, recordsPerFrame * (valueBound + 32) + 64);
    const blobChunks: Buffer[] = [];
    const faults: Partial<Record<BlobFaultKind, number>> = {};
    const firstId = (this.options.idOffset ?? 0) + index * recordsPerFrame + 1;
    for (let j = 0; j < recordsPerFrame; j++) {
      const id = firstId + j;
      const withBlob = j < this.blobsPerFrame;
      let pos = writer.startEntry(
        { type: 'put', nodeId: 0, tableId: this.tableId, key: id, version, hasBlobs: withBlob },
        valueBound,
      );
      const target = writer.target;
      const view = writer.dataView;
      pos = writeRecordStart(target, pos, withBlob ? WITH_BLOB : PLAIN);
      pos = writeInteger(target, pos, id, view);
      pos = writeInteger(target, pos, index, view);
      pos = writeStringBytes(target, pos, this.pool, this.payloadOffset(id), this.payloadLength, view);
      if (withBlob) {
        const fileId = this.fileId(id);
        pos = writeExtension(
          target,
          pos,
          BLOB_EXTENSION_TYPE,
          encodeBlobReferencePayload(fileId, blobSize),
          view,
        );
        const fault = faultOf(this.options.blobFaults ?? [], index * this.blobsPerFrame + j + 1);
        if (fault) faults[fault] = (faults[fault] ?? 0) + 1;
        for (const chunk of faultedChunks(fault, fileId, this.blobContent(id))) blobChunks.push(chunk);
      }
      writer.endEntry(pos);
    }
    return {
      index,
      data: writer.finish(this.sequenceId(index)),
      records: recordsPerFrame,
      sequenceId: this.sequenceId(index),
      blobChunks,
      blobs: this.blobsPerFrame,
      blobBytes: this.blobsPerFrame * blobSize,
      ...(Object.keys(faults).length ? { blobFaults: faults } : {}),
    };
  }
}
