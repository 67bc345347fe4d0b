/**
 * The synthesizer: frames of deterministic records, built on demand (never all held in memory), so a resumed
 * stream can rebuild any frame. The operation plan says which entry is an insert, update or delete of which id in
 * which generation (--mix, --keys); the record encoder says what the value of (id, generation) is (the fixed
 * `{id, generation, payload[, blob]}` shape unless another encoder is given).
 */

import type { BlobFault, BlobFaultKind, RecordShape } from '../events/schema.js';
import { putFields } from '../protocol/audit-entry.js';
import { encodeNodeIdMap, encodeTableStructure, type TableStructure } from '../protocol/control-frame.js';
import { TxnFrameWriter } from '../protocol/txn-frame.js';
import { faultedChunks, faultOf } from './blob-faults.js';
import type { TableIdSpaces } from './captured-ids.js';
import { type FixedRecord, FixedRecordEncoder, type RecordBlobs } from './fixed-record-encoder.js';
import type { KeyDistribution } from './key-distribution.js';
import { type OperationMix, PURE_INSERTS } from './operation-mix.js';
import { OP_DELETE, OperationPlan } from './operation-plan.js';
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
  /** Share of inserts, updates, deletes (--mix; default inserts only). */
  mix?: OperationMix;
  /** Which present id an update or delete touches (--keys; default uniform). */
  keys?: KeyDistribution;
  /** The record shape (default the fixed `{id, generation, payload[, blob]}`). */
  encoder?: RecordEncoder;
  /**
   * Shaped records instead of {id, frame, payload}: one encoder per table, table ids tableId, tableId + 1, …; every
   * frame carries recordsPerFrame entries of each table, the same plan (--mix, --keys) in each, no blobs.
   */
  encoders?: readonly RecordEncoder[];
  /**
   * Pure inserts with `encoders` only (--scale over several captured tables): records of each table, ids 1…count;
   * a table's entries stop at its count (default frames × recordsPerFrame for every table).
   */
  tableRecords?: readonly number[];
  /**
   * With `encoders` and a mix (--scale --mix over a capture): per table, the keys the plan's ids stand for (plan id
   * k is the k-th captured id, captured-ids.ts); a table without one writes the plan's ids.
   */
  tableIds?: TableIdSpaces;
  /** The plan's first this many entries are inserts (the captured ids re-created before the mix starts). */
  leadingInserts?: number;
}

export type SyntheticRecord = FixedRecord;

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
  /**
   * Frame `index` sent right after frame `previous` (a shard skips the frames between): also the controls of the
   * skipped frames that later frames depend on (a replay's table structures, residency lists). Without it, build.
   */
  buildAfter?(index: number, previous: number): BuiltFrame | Promise<BuiltFrame>;
  sequenceId(index: number): number;
  recordsIn(index: number): number;
  /** When frame `index` is due, in ms after the first frame (a paced replay); undefined = as fast as possible. */
  due?(index: number): number | undefined;
  /** The stage of the run's schedule (--stages, --duration) frame `index` belongs to, when it has one. */
  stageOf?(index: number): number | undefined;
  /**
   * The earlier frame the target must have committed before frame `index` may be sent (it updates or deletes an id
   * that frame wrote; see operation-plan.ts), or undefined.
   */
  dependsOn?(index: number): number | undefined;
  /** A small frame to send after the last one, whose ack says the target still commits (the liveness probe). */
  livenessFrame?(): BuiltFrame;
  /** The socket wrote `frame.data`: the source may reuse its buffer for a later frame (nobody reads it any more). */
  release?(frame: Pick<BuiltFrame, 'data'>): void;
  /**
   * An open-ended source (synth --duration without a rate): asked before frame `index` goes out, true once the run's
   * time is up; frameCount is then final (an upper bound before).
   */
  endsBefore?(index: number): boolean;
  /** An open-ended source's time left (ms) while it runs; undefined before its first frame and once it ended. */
  timeLeftMs?(): number | undefined;
}

/** Harper's delete entries carry a nil value byte after the header (PROTOCOL.md §3.4), ignored on receipt. */
const NIL = 0xc0;

function hasBlobs(encoder: RecordEncoder): encoder is RecordEncoder & RecordBlobs {
  return typeof (encoder as Partial<RecordBlobs>).blobOf === 'function';
}

export class SyntheticWorkload implements FrameSource {
  readonly tableId: number;
  readonly blobsPerFrame: number;
  readonly encoder: RecordEncoder;
  readonly plan: OperationPlan;
  private readonly writer: TxnFrameWriter;

  constructor(readonly options: SyntheticOptions) {
    this.tableId = options.tableId ?? 1;
    this.blobsPerFrame =
      options.blobSize > 0
        ? Math.min(options.blobsPerFrame ?? options.recordsPerFrame, options.recordsPerFrame)
        : 0;
    this.encoder =
      options.encoder ??
      new FixedRecordEncoder({
        seed: options.seed,
        tableName: options.tableName,
        recordSize: options.recordSize,
        recordsPerFrame: options.recordsPerFrame,
        blobSize: options.blobSize,
        blobsPerFrame: this.blobsPerFrame,
        ...(options.idOffset ? { idOffset: options.idOffset } : {}),
      });
    this.writer = new TxnFrameWriter(options.encoders?.length ? undefined : this.encoder.copySource);
    this.plan = new OperationPlan({
      seed: options.seed,
      frames: options.frames,
      recordsPerFrame: options.recordsPerFrame,
      ...(options.idOffset ? { idOffset: options.idOffset } : {}),
      mix: options.mix ?? PURE_INSERTS,
      keys: options.keys ?? { kind: 'uniform' },
      ...(options.leadingInserts ? { leadingInserts: options.leadingInserts } : {}),
    });
    if (options.tableIds && options.idOffset) throw new Error('captured ids and an id offset do not combine');
    if (options.tableRecords && !this.plan.pureInserts) {
      throw new Error('per-table record counts (--scale over several tables) hold for pure inserts only');
    }
    if (options.blobFaults?.length && !this.plan.pureInserts) {
      throw new Error('--blob-faults counts blobs of inserts only: it cannot be combined with --mix');
    }
  }

  get frameCount(): number {
    return this.options.frames;
  }

  release(frame: Pick<BuiltFrame, 'data'>): void {
    this.writer.recycle(frame.data);
  }

  /** Tables the records go to (several only with shaped records). */
  get tableCount(): number {
    return this.options.encoders?.length || 1;
  }

  get totalRecords(): number {
    const { frames, recordsPerFrame, tableRecords } = this.options;
    const perTable = frames * recordsPerFrame;
    if (!tableRecords) return perTable * this.tableCount;
    return tableRecords.reduce((sum, count) => sum + Math.min(count, perTable), 0);
  }

  /** Blobs of a run of pure inserts (with a mix, the frames report what they carry). */
  get totalBlobs(): number {
    return this.options.frames * this.blobsPerFrame;
  }

  /** Bytes of a record's payload in the fixed shape (0 for another encoder). */
  get payloadLength(): number {
    return this.encoder instanceof FixedRecordEncoder ? this.encoder.payloadLength : 0;
  }

  recordsIn(index = 0): number {
    const { recordsPerFrame, tableRecords } = this.options;
    if (!tableRecords) return recordsPerFrame * this.tableCount;
    return tableRecords.reduce((sum, _, t) => sum + this.entriesOfTable(t, index), 0);
  }

  /** Entries of table `t` in frame `index`: all of them, or with tableRecords those up to the table's count. */
  private entriesOfTable(t: number, index: number): number {
    const { recordsPerFrame, tableRecords } = this.options;
    const count = tableRecords?.[t];
    if (count === undefined) return recordsPerFrame;
    return Math.max(0, Math.min(recordsPerFrame, count - index * recordsPerFrame));
  }

  sequenceId(index: number): number {
    return this.options.baseSequence + index + 1;
  }

  dependsOn(index: number): number | undefined {
    if (this.plan.pureInserts) return undefined;
    const frame = this.plan.frame(index).dependsOn;
    return frame >= 0 ? frame : undefined;
  }

  version(index: number): number {
    return this.options.baseVersion + index / 1000;
  }

  tableStructure(): TableStructure {
    return this.encoder.tableStructure();
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

  /**
   * One plain insert after the workload (id N + 1, outside the ids verification counts), with the next version
   * and the next sequence tail: committed only if the target still takes writes after what came before.
   */
  livenessFrame(): BuiltFrame {
    return this.probeAfter(this.options.frames, this.totalRecords);
  }

  /** The liveness probe after the first `frames` frames (an open-ended run knows its count only at the end). */
  livenessFrameAfter(frames: number): BuiltFrame {
    return this.probeAfter(frames, frames * this.recordsIn(0));
  }

  private probeAfter(frames: number, records: number): BuiltFrame {
    const probe = new SyntheticWorkload({
      ...this.options,
      frames: 1,
      recordsPerFrame: 1,
      blobSize: 0,
      blobFaults: undefined,
      tableRecords: undefined,
      tableIds: undefined,
      leadingInserts: undefined,
      mix: PURE_INSERTS,
      idOffset: (this.options.idOffset ?? 0) + this.highestKey(records),
      baseVersion: this.version(frames),
      baseSequence: this.sequenceId(frames - 1),
    });
    return probe.build(0);
  }

  /** Above every key a frame may write: the liveness probe's id goes after it. */
  private highestKey(records: number): number {
    const planned = this.options.frames * this.options.recordsPerFrame;
    const spaces = this.options.tableIds ?? [];
    return Math.max(records, ...spaces.map((space) => (space ? space.keyOf(planned) : 0)));
  }

  fileId(id: number, generation = 0): string {
    return this.fixed().fileId(id, generation);
  }

  /** What record `id` holds in its `generation`-th version: tests compare the target's copy with this. */
  expectedRecord(id: number, generation = 0): SyntheticRecord {
    return this.fixed().expected(id, generation);
  }

  /** The blob content of record `id` in its `generation`-th version. */
  blobContent(id: number, generation = 0): Buffer {
    return this.fixed().blobContent(id, generation);
  }

  private fixed(): FixedRecordEncoder {
    if (!(this.encoder instanceof FixedRecordEncoder)) throw new Error('not the fixed record shape');
    return this.encoder;
  }

  /**
   * A frame of shaped records, table after table. Every table follows the same plan (--mix, --keys): the same
   * operation on the same id in the same generation in each, so one expected state describes them all.
   */
  private buildShaped(index: number, encoders: readonly RecordEncoder[]): BuiltFrame {
    const firstId = this.plan.firstInsertId(index);
    const plan = firstId === undefined ? this.plan.frame(index) : undefined;
    const version = this.version(index);
    const bytes = encoders.reduce((sum, e) => sum + (e.valueBound + 32) * this.options.recordsPerFrame, 64);
    const writer = this.writer.begin(version, bytes);
    let records = 0;
    encoders.forEach((encoder, t) => {
      const tableId = this.tableId + t;
      const entries = this.entriesOfTable(t, index);
      const space = this.options.tableIds?.[t];
      const fields = putFields(0, tableId, version);
      records += entries;
      for (let j = 0; j < entries; j++) {
        const planId = plan ? plan.ids[j]! : firstId! + j;
        const id = space ? space.keyOf(planId) : planId;
        if (plan && plan.kinds[j] === OP_DELETE) {
          const header = { type: 'delete', nodeId: 0, tableId, key: id, version, hasBlobs: false } as const;
          const pos = writer.startEntry(header, 1);
          writer.target[pos] = NIL;
          writer.endEntry(pos + 1);
          continue;
        }
        const pos =
          typeof id === 'number'
            ? writer.startPut(fields, id, encoder.valueBound)
            : writer.startEntry(
                { type: 'put', nodeId: 0, tableId, key: id, version, hasBlobs: false },
                encoder.valueBound,
              );
        writer.endEntry(
          encoder.write(writer.target, pos, writer.dataView, id, plan ? plan.generations[j]! : 0),
        );
      }
    });
    const sequenceId = this.sequenceId(index);
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
    // Pure inserts write ids first, first + 1, … in generation 0: no plan arrays to build and read per frame.
    const firstId = this.plan.firstInsertId(index);
    const plan = firstId === undefined ? this.plan.frame(index) : undefined;
    const version = this.version(index);
    const encoder = this.encoder;
    const blobSource = hasBlobs(encoder) ? encoder : undefined;
    const blobbed = blobSource !== undefined && this.blobsPerFrame > 0;
    const count = plan ? plan.kinds.length : this.options.recordsPerFrame;
    const writer = this.writer.begin(version, count * (encoder.valueBound + 32) + 64);
    const plain = putFields(0, this.tableId, version);
    const withBlob = putFields(0, this.tableId, version, true);
    const blobChunks: Buffer[] = [];
    const faults: Partial<Record<BlobFaultKind, number>> = {};
    let blobs = 0;
    let blobBytes = 0;
    for (let j = 0; j < count; j++) {
      const id = plan ? plan.ids[j]! : firstId! + j;
      if (plan && plan.kinds[j] === OP_DELETE) {
        const header = {
          type: 'delete',
          nodeId: 0,
          tableId: this.tableId,
          key: id,
          version,
          hasBlobs: false,
        } as const;
        const pos = writer.startEntry(header, 1);
        writer.target[pos] = NIL;
        writer.endEntry(pos + 1);
        continue;
      }
      const generation = plan ? plan.generations[j]! : 0;
      const blob = blobbed ? blobSource?.blobOf(id, generation) : undefined;
      const pos = writer.startPut(blob ? withBlob : plain, id, encoder.valueBound);
      writer.endEntry(encoder.write(writer.target, pos, writer.dataView, id, generation, writer.poolOffset));
      if (!blob || !blobSource) continue;
      // With pure inserts this is the blob's ordinal in the run, as --blob-faults counts them.
      const fault = faultOf(this.options.blobFaults ?? [], index * this.blobsPerFrame + blobs + 1);
      if (fault) faults[fault] = (faults[fault] ?? 0) + 1;
      for (const chunk of faultedChunks(fault, blob.fileId, blobSource.blobContent(id, generation)))
        blobChunks.push(chunk);
      blobs++;
      blobBytes += blob.size;
    }
    return {
      index,
      data: writer.finish(this.sequenceId(index)),
      records: count,
      sequenceId: this.sequenceId(index),
      blobChunks,
      blobs,
      blobBytes,
      ...(Object.keys(faults).length ? { blobFaults: faults } : {}),
    };
  }
}
