/**
 * What is in a capture: a fold over its records with the full protocol decoder, keeping per-connection decoder
 * state (node-id maps, table structures) exactly as a receiver would. Constant memory: counters, one histogram,
 * bounded lists.
 */
import * as hdr from 'hdr-histogram-js';
import type { AuditEntry, UndecodedPart } from '../protocol/audit-entry.js';
import { type ControlFrame, decodeControlFrame, isControlFrame } from '../protocol/control-frame.js';
import { TableDecoders } from '../protocol/table-decoder.js';
import { decodeTxnFrame } from '../protocol/txn-frame.js';
import { type CaptureFooter, type CaptureRecord, Direction, RecordKind } from './format.js';

export interface DecodedRecord {
  connection: number;
  timeMs: number;
  direction: 'from-source' | 'to-source';
  table: string | number;
  type: string;
  key: unknown;
  version: number;
  origin: string | number;
  user?: string;
  expiresAt?: number;
  /** Harper 5.x: earlier versions this entry supersedes, origins named where the node-id map knows them. */
  additionalAuditRefs?: Array<{ version: number; origin: string | number }>;
  localOnly?: true;
  /** What could not be decoded (reason, frame offset, bytes). */
  undecoded?: UndecodedPart;
  value?: unknown;
  error?: string;
}

/** One entry or control frame the codec could not fully decode: where, why, and its first bytes. */
export interface UndecodedSample {
  /** Byte offset of the capture record holding it. */
  recordOffset: number;
  /** Audit entry (with its offset inside the frame) or control frame. */
  what: string;
  reason: string;
  offset: number;
  /** At most 64 bytes, hex. */
  hex: string;
}

export interface CaptureSummary {
  spanMs: number;
  connections: number;
  frames: { total: number; byType: Record<string, number>; fromSource: number; toSource: number };
  records: {
    total: number;
    byTable: Record<string, number>;
    byType: Record<string, number>;
    perFrame: { min: number | null; p50: number | null; max: number | null };
    /** Audit entries the codec could not fully decode (unknown type or flag bits, stray bytes). */
    notFullyDecoded: number;
    /** Harper 5.x entries carrying additional audit refs (flag 0x4000), and the refs they carry. */
    withAdditionalAuditRefs: number;
    additionalAuditRefs: number;
    /** Harper 5.x LOCAL_ONLY entries (a correct sender never forwards them). */
    localOnly: number;
  };
  /** Control frames with elements or header fields no known version sends. */
  controlFramesWithUnknownParts: number;
  /** The first 20 things not fully decoded. */
  undecoded: UndecodedSample[];
  bytes: number;
  blobs: { count: number; bytes: number };
  largestFrame: { bytes: number; records: number; offset: number } | null;
  acks: number;
  lastAck: number | null;
  gaps: Array<{ atMs: number; ms: number }>;
  unknownCodes: Record<string, number>;
  decodeErrors: Array<{ offset: number; error: string }>;
  /** The capture did not finish: a torn tail, or no footer (the capturing process was killed). */
  truncated: boolean;
  /** Where reading stopped: the first incomplete record, or the end of the last complete one. */
  truncatedAt?: number;
  footer?: CaptureFooter;
}

interface ConnectionState {
  tables: TableDecoders;
  nodeNames: Map<number, string>;
}

const GAP_MS = 1000;

export class CaptureInspector {
  private readonly connections = new Map<number, ConnectionState>();
  private readonly perFrame = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 100_000_000,
    numberOfSignificantValueDigits: 3,
  });
  private firstUs?: number;
  private lastUs?: number;
  private lastMessageUs?: number;
  private footer?: CaptureFooter;
  private readonly summaryData = {
    frames: { total: 0, byType: {} as Record<string, number>, fromSource: 0, toSource: 0 },
    records: {
      total: 0,
      byTable: {} as Record<string, number>,
      byType: {} as Record<string, number>,
      notFullyDecoded: 0,
      withAdditionalAuditRefs: 0,
      additionalAuditRefs: 0,
      localOnly: 0,
    },
    controlFramesWithUnknownParts: 0,
    undecoded: [] as UndecodedSample[],
    bytes: 0,
    blobs: { count: 0, bytes: 0 },
    largestFrame: null as CaptureSummary['largestFrame'],
    acks: 0,
    lastAck: null as number | null,
    gaps: [] as CaptureSummary['gaps'],
    unknownCodes: {} as Record<string, number>,
    decodeErrors: [] as CaptureSummary['decodeErrors'],
  };

  /**
   * Feeds one record; returns the decoded audit entries of a transaction frame when `decode` is set (so callers
   * can print them) — the counters are kept either way.
   */
  add(record: CaptureRecord, decode = false): DecodedRecord[] {
    this.firstUs ??= record.timeUs;
    this.lastUs = record.timeUs;
    if (record.kind === RecordKind.FOOTER) {
      try {
        // The frame index is for replay's scan; it is no summary of the capture (and may be MBs).
        const { frameIndex: _, ...footer } = JSON.parse(record.payload.toString('utf8'));
        this.footer = footer as CaptureFooter;
      } catch {
        this.error(record.offset, 'footer is not JSON');
      }
      return [];
    }
    if (record.kind !== RecordKind.MESSAGE) return [];
    const s = this.summaryData;
    if (
      this.lastMessageUs !== undefined &&
      record.timeUs - this.lastMessageUs > GAP_MS * 1000 &&
      s.gaps.length < 1000
    ) {
      s.gaps.push({
        atMs: Math.round(this.lastMessageUs / 1000),
        ms: Math.round((record.timeUs - this.lastMessageUs) / 1000),
      });
    }
    this.lastMessageUs = record.timeUs;
    s.frames.total++;
    s.bytes += record.payload.length;
    if (record.direction === Direction.FROM_SOURCE) s.frames.fromSource++;
    else s.frames.toSource++;
    const state = this.state(record.connection);
    const payload = record.payload;
    if (isControlFrame(payload)) {
      let frame: ControlFrame;
      try {
        frame = decodeControlFrame(payload);
      } catch (error) {
        this.count(s.frames.byType, 'MALFORMED');
        this.error(record.offset, (error as Error).message);
        return [];
      }
      this.count(s.frames.byType, frame.type);
      this.noteUnknownParts(frame, record.offset);
      this.apply(frame, state);
      return [];
    }
    this.count(s.frames.byType, 'TRANSACTION');
    let entries: ReturnType<typeof decodeTxnFrame>;
    try {
      entries = decodeTxnFrame(payload);
    } catch (error) {
      this.error(record.offset, (error as Error).message);
      return [];
    }
    const count = entries.entries.length;
    s.records.total += count;
    if (count > 0) this.perFrame.recordValue(count);
    if (!s.largestFrame || payload.length > s.largestFrame.bytes) {
      s.largestFrame = { bytes: payload.length, records: count, offset: record.offset };
    }
    const decoded: DecodedRecord[] = [];
    for (const entry of entries.entries) {
      const table = state.tables.table(entry.tableId)?.tableName ?? `#${entry.tableId}`;
      this.count(s.records.byTable, table);
      this.count(s.records.byType, entry.type);
      this.noteEntry(entry, record.offset);
      if (!decode) continue;
      const out: DecodedRecord = {
        connection: record.connection,
        timeMs: Math.round(record.timeUs / 1000),
        direction: record.direction === Direction.FROM_SOURCE ? 'from-source' : 'to-source',
        table,
        type: entry.type,
        key: entry.key,
        version: entry.version,
        origin: state.nodeNames.get(entry.nodeId) ?? entry.nodeId,
      };
      if (entry.user) out.user = entry.user;
      if (entry.expiresAt !== undefined) out.expiresAt = entry.expiresAt;
      if (entry.additionalAuditRefs)
        out.additionalAuditRefs = entry.additionalAuditRefs.map((ref) => ({
          version: ref.version,
          origin: state.nodeNames.get(ref.nodeId) ?? ref.nodeId,
        }));
      if (entry.localOnly) out.localOnly = true;
      if (entry.undecoded) out.undecoded = entry.undecoded;
      if (entry.value && (entry.hasRecord || entry.hasPartialRecord)) {
        try {
          out.value = state.tables.decode(entry.tableId, entry.value);
        } catch (error) {
          out.error = (error as Error).message;
        }
      }
      decoded.push(out);
    }
    return decoded;
  }

  private apply(frame: ControlFrame, state: ConnectionState): void {
    const s = this.summaryData;
    switch (frame.type) {
      case 'TABLE_FIXED_STRUCTURE':
        state.tables.define(frame.tableId, frame.tableName, frame.structure);
        break;
      case 'NODE_NAME_TO_ID_MAP':
        for (const [name, id] of Object.entries(frame.nodeIds)) state.nodeNames.set(id, name);
        break;
      case 'COMMITTED_UPDATE':
        s.acks++;
        if (frame.sequenceId !== null) s.lastAck = frame.sequenceId;
        break;
      case 'BLOB_CHUNK':
        s.blobs.bytes += frame.chunk.length;
        if (frame.header.finished) s.blobs.count++;
        break;
      case 'UNKNOWN':
        this.count(s.unknownCodes, String(frame.code));
        break;
      default:
        break;
    }
  }

  private noteEntry(entry: AuditEntry, recordOffset: number): void {
    const records = this.summaryData.records;
    if (entry.additionalAuditRefs) {
      records.withAdditionalAuditRefs++;
      records.additionalAuditRefs += entry.additionalAuditRefs.length;
    }
    if (entry.localOnly) records.localOnly++;
    if (!entry.undecoded) return;
    records.notFullyDecoded++;
    this.sample(recordOffset, `${entry.type} entry`, entry.undecoded);
  }

  private noteUnknownParts(frame: ControlFrame, recordOffset: number): void {
    const fields = frame.type === 'BLOB_CHUNK' ? frame.unknownHeaderFields : undefined;
    if (!frame.unknownElements && !fields) return;
    this.summaryData.controlFramesWithUnknownParts++;
    const reason = frame.unknownElements
      ? `unknown elements from index ${frame.unknownElements.fromIndex}: ${JSON.stringify(frame.unknownElements.elements)}`
      : `unknown header fields ${fields!.join(', ')}`;
    this.sample(recordOffset, `${frame.type} frame`, { reason, offset: 0, hex: '' });
  }

  private sample(recordOffset: number, what: string, part: UndecodedPart): void {
    const list = this.summaryData.undecoded;
    if (list.length >= 20) return;
    list.push({ recordOffset, what, reason: part.reason, offset: part.offset, hex: part.hex.slice(0, 128) });
  }

  private state(connection: number): ConnectionState {
    let state = this.connections.get(connection);
    if (!state) {
      state = { tables: new TableDecoders(), nodeNames: new Map() };
      this.connections.set(connection, state);
    }
    return state;
  }

  private count(map: Record<string, number>, key: string): void {
    map[key] = (map[key] ?? 0) + 1;
  }

  private error(offset: number, error: string): void {
    if (this.summaryData.decodeErrors.length < 100) this.summaryData.decodeErrors.push({ offset, error });
  }

  summary(status: {
    truncated: boolean;
    truncatedAt?: number;
    complete?: boolean;
    bytesRead?: number;
  }): CaptureSummary {
    const s = this.summaryData;
    const has = this.perFrame.totalCount > 0;
    return {
      spanMs: this.firstUs === undefined ? 0 : Math.round((this.lastUs! - this.firstUs) / 1000),
      connections: this.connections.size,
      frames: s.frames,
      records: {
        ...s.records,
        perFrame: {
          min: has ? this.perFrame.minNonZeroValue : null,
          p50: has ? this.perFrame.getValueAtPercentile(50) : null,
          max: has ? this.perFrame.maxValue : null,
        },
      },
      bytes: s.bytes,
      blobs: s.blobs,
      largestFrame: s.largestFrame,
      acks: s.acks,
      lastAck: s.lastAck,
      gaps: s.gaps,
      unknownCodes: s.unknownCodes,
      controlFramesWithUnknownParts: s.controlFramesWithUnknownParts,
      undecoded: s.undecoded,
      decodeErrors: s.decodeErrors,
      truncated: status.truncated || status.complete === false,
      ...(status.truncatedAt !== undefined
        ? { truncatedAt: status.truncatedAt }
        : status.complete === false && status.bytesRead !== undefined
          ? { truncatedAt: status.bytesRead }
          : {}),
      ...(this.footer ? { footer: this.footer } : {}),
    };
  }
}
