/**
 * What `inspect` prints: the summary of a capture (its header, frames, records, tables, blobs, acks, gaps, whether
 * it is complete), one line per frame (--list-frames) and one JSON line per decoded record (--decode).
 */
import type { CaptureRecord } from '../capture/format.js';
import type { CaptureSummary, DecodedRecord } from '../capture/inspect.js';
import { formatBytes, formatCount, formatMs } from '../common/units.js';
import { frameTypeName } from '../protocol/control-frame.js';

export interface InspectResult extends CaptureSummary {
  file: string;
  header: Record<string, unknown>;
}

/** One --list-frames row as data (the --json document's `frames`). */
export interface FrameRow {
  offset: number;
  timeMs: number;
  connection: number;
  direction: 'from-source' | 'to-source';
  type: string;
  bytes: number;
}

export function frameRow(record: CaptureRecord): FrameRow {
  return {
    offset: record.offset,
    timeMs: record.timeUs / 1000,
    connection: record.connection,
    direction: record.direction === 0 ? 'from-source' : 'to-source',
    type: frameTypeName(record.payload),
    bytes: record.payload.length,
  };
}

/** --list-frames: offset, time, connection, direction, frame type and size of one message record. */
export function formatFrame(record: CaptureRecord): string {
  const p = record.payload;
  const type = frameTypeName(p);
  return `${String(record.offset).padStart(10)}  ${formatMs(record.timeUs / 1000).padStart(10)}  conn ${record.connection}  ${record.direction === 0 ? 'source→' : '→source'}  ${type.padEnd(22)} ${formatBytes(p.length)}`;
}

/** --decode: one decoded record as one JSON line. */
export function formatDecoded(entry: DecodedRecord): string {
  return JSON.stringify(entry, jsonSafe);
}

/** JSON for decoded values: bigint as string, bytes as hex. */
export function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array)
    return { bytes: value.length, hex: Buffer.from(value).subarray(0, 64).toString('hex') };
  if (value && typeof value === 'object' && (value as { type?: string }).type === 'Buffer') {
    const data = (value as { data: number[] }).data;
    return { bytes: data.length, hex: Buffer.from(data).subarray(0, 64).toString('hex') };
  }
  return value;
}

type Row = [label: string, value: string];

/** The summary: a title line, then one labelled row per fact. */
export function formatInspect(r: InspectResult): string {
  const rows = [...sourceRows(r), ...contentRows(r), ...endRows(r)];
  return [
    `${r.file}${r.truncated ? ' — TRUNCATED' : ''}`,
    '',
    ...rows.map(([label, value]) => `  ${label.padEnd(18)} ${value}`),
  ].join('\n');
}

/** Who made the capture, of what, when. */
function sourceRows(r: InspectResult): Row[] {
  const header = r.header as {
    mode?: string;
    source?: { url?: string; nodeName?: string };
    database?: string;
    startedAt?: string;
    toolVersion?: string;
  };
  return [
    ['mode', `${header.mode} capture by harper-replay ${header.toolVersion}`],
    [
      'source',
      `${header.source?.nodeName ?? r.footer?.sourceNodeName ?? '?'} ${header.source?.url ?? ''}${header.database ? `, database ${header.database}` : ''}`,
    ],
    ['started', `${header.startedAt}, span ${formatMs(r.spanMs)}, ${r.connections} connection(s)`],
  ];
}

/** `a 3, b 4`, or – when there is nothing. */
const counts = (byName: Record<string, number>) =>
  Object.entries(byName)
    .map(([k, v]) => `${k} ${formatCount(v)}`)
    .join(', ') || '–';

/** What is in it: frames, records, blobs, acks. */
function contentRows(r: InspectResult): Row[] {
  const pf = r.records.perFrame;
  return [
    [
      'frames',
      `${formatCount(r.frames.total)} (${formatCount(r.frames.fromSource)} from the source, ${formatCount(r.frames.toSource)} to it), ${formatBytes(r.bytes)}`,
    ],
    ['by type', counts(r.frames.byType)],
    ['records', formatCount(r.records.total)],
    ['by table', counts(r.records.byTable)],
    ['by type', counts(r.records.byType)],
    [
      'records/frame',
      pf.min === null
        ? '–'
        : `min ${formatCount(pf.min)}, p50 ${formatCount(pf.p50)}, max ${formatCount(pf.max)}`,
    ],
    [
      'largest frame',
      r.largestFrame
        ? `${formatBytes(r.largestFrame.bytes)} (${formatCount(r.largestFrame.records)} records, byte ${r.largestFrame.offset})`
        : '–',
    ],
    ...harper5Rows(r),
    ['blobs', `${formatCount(r.blobs.count)} (${formatBytes(r.blobs.bytes)})`],
    ['acks', `${formatCount(r.acks)} COMMITTED_UPDATE${r.lastAck !== null ? `, last ${r.lastAck}` : ''}`],
  ];
}

/** Harper 5.x entry features, shown only when the capture has them. */
function harper5Rows(r: InspectResult): Row[] {
  const rows: Row[] = [];
  if (r.records.withAdditionalAuditRefs)
    rows.push([
      'additional refs',
      `${formatCount(r.records.withAdditionalAuditRefs)} entries carry ${formatCount(r.records.additionalAuditRefs)} (Harper 5.x flag 0x4000)`,
    ]);
  if (r.records.localOnly)
    rows.push([
      'local-only',
      `${formatCount(r.records.localOnly)} entries (Harper 5.x; a sender should drop them)`,
    ]);
  return rows;
}

/** How many entries (and control frames) the codec could not fully decode, and the first one. */
function undecodedRow(r: InspectResult): Row {
  const first = r.undecoded[0];
  const frames = r.controlFramesWithUnknownParts
    ? `, ${formatCount(r.controlFramesWithUnknownParts)} control frames with unknown parts`
    : '';
  const where = first
    ? `; first: ${first.what} in the record at byte ${first.recordOffset}: ${first.reason}`
    : '';
  return ['not decoded', `${formatCount(r.records.notFullyDecoded)} entries${frames}${where}`];
}

/** Gaps, what could not be decoded, and whether the capture is complete. */
function endRows(r: InspectResult): Row[] {
  const rows: Row[] = [
    [
      'gaps > 1 s',
      r.gaps.length
        ? r.gaps
            .slice(0, 10)
            .map((g) => `${formatMs(g.ms)} at ${formatMs(g.atMs)}`)
            .join(', ')
        : 'none',
    ],
    undecodedRow(r),
  ];
  if (Object.keys(r.unknownCodes).length) rows.push(['unknown codes', JSON.stringify(r.unknownCodes)]);
  const firstError = r.decodeErrors[0];
  if (firstError)
    rows.push([
      'decode errors',
      `${r.decodeErrors.length}, first at byte ${firstError.offset}: ${firstError.error}`,
    ]);
  rows.push([
    'complete',
    r.truncated
      ? `no: torn at byte ${r.truncatedAt}`
      : r.footer
        ? `yes (stopped: ${r.footer.reason})`
        : 'no footer',
  ]);
  return rows;
}
