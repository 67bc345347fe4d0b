/**
 * The capture file format (documented in captures/README.md, with the footer's JSON and its frame index),
 * version 1. Binary, streaming, append-only:
 *
 *   magic   8 bytes  "HRCAP\r\n\x1a"   (a text-mode transfer or a wrong file shows at once)
 *   version u16 BE   1
 *   length  u32 BE   header JSON length (≤ 16 MiB)
 *   header  JSON     CaptureHeader (UTF-8)
 *   crc     u32 BE   CRC-32 of the header JSON
 *   records …
 *
 * A record: a 23-byte head (19 bytes of fields and their own CRC-32, so a damaged length is caught before it is
 * trusted), the payload, and a CRC-32 of head and payload:
 *
 *   kind       u8      1 message, 2 connection opened, 3 connection closed, 4 footer
 *   direction  u8      0 source → receiver, 1 receiver → source
 *   connection u32 BE  connection id (1, 2, … in order of opening)
 *   time       u64 BE  microseconds since the capture started
 *   opcode     u8      WebSocket opcode of a message (2 binary, 1 text); 0 for other kinds
 *   length     u32 BE  payload length (≤ the reader's bound)
 *   headcrc    u32 BE  CRC-32 of the 19 bytes above
 *   payload    …       message bytes; JSON for connection and footer records
 *   crc        u32 BE  CRC-32 of head and payload
 *
 * Nothing in a capture may hold credentials: no Authorization header is recorded, URLs lose their user info,
 * and the proxy blanks `authorization` fields of the operation frames it records.
 */
import { crc32 } from 'node:zlib';

export const MAGIC = Buffer.from('HRCAP\r\n\x1a', 'latin1');
export const FORMAT_VERSION = 1;
export const PREAMBLE_LENGTH = MAGIC.length + 2 + 4;
export const MAX_HEADER_LENGTH = 16 * 1024 * 1024;
/** Bytes of head fields covered by the head checksum. */
export const RECORD_HEAD_FIELDS = 19;
export const RECORD_HEAD_LENGTH = RECORD_HEAD_FIELDS + 4;
export const RECORD_TRAILER_LENGTH = 4;
/** Default bound on one record's payload: far above what Harper sends (100 MiB in peer mode). */
export const DEFAULT_MAX_RECORD_LENGTH = 1024 * 1024 * 1024;

export const RecordKind = { MESSAGE: 1, OPEN: 2, CLOSE: 3, FOOTER: 4 } as const;
export type RecordKindValue = (typeof RecordKind)[keyof typeof RecordKind];

export const Direction = { FROM_SOURCE: 0, TO_SOURCE: 1 } as const;
export type DirectionValue = (typeof Direction)[keyof typeof Direction];

export interface CaptureHeader {
  tool: 'harper-replay';
  toolVersion: string;
  formatVersion: number;
  mode: 'subscribe' | 'proxy';
  /** Epoch ms and ISO time of time offset 0. */
  startedAtMs: number;
  startedAt: string;
  source: { url: string; nodeName?: string };
  database?: string;
  /** Subscribe mode: what was asked for. */
  subscription?: {
    since: number;
    tables?: string[];
    excludeTables?: string[];
    origins?: string[];
    acked: boolean;
  };
  /** Tables the source announced at the handshake (NODE_NAME). */
  tables?: Array<{ table: string; attributes?: Array<{ name: string }> }>;
  tls?: { used: boolean; subject?: string; fingerprint256?: string };
  /** Anything a later version adds; readers ignore what they do not know. */
  [key: string]: unknown;
}

/** What the connection-open record's JSON says. Never headers. */
export interface ConnectionInfo {
  role: 'subscriber' | 'proxy';
  url?: string;
  subprotocol?: string;
  remoteAddress?: string;
  database?: string;
  [key: string]: unknown;
}

export interface CaptureFooter {
  endedAtMs: number;
  messages: number;
  /** TABLE_FIXED_STRUCTURE frames seen, per connection and table id (the last one of each). */
  structures: Array<{ connection: number; tableId: number; tableName: string }>;
  reason: string;
  /** Proxy captures: the source's node name from its NODE_NAME answer (the header is written before it is known). */
  sourceNodeName?: string;
}

export interface CaptureRecord {
  kind: RecordKindValue;
  direction: DirectionValue;
  connection: number;
  /** Microseconds since the capture started. */
  timeUs: number;
  opcode: number;
  payload: Buffer;
  /** Byte offset of the record in the file. */
  offset: number;
  /** The payload was not read (ScanOptions.headOnly): `payload` is empty. */
  skipped?: true;
}

export class CaptureFormatError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} (at byte ${offset})`);
    this.name = 'CaptureFormatError';
  }
}

export function encodePreamble(header: CaptureHeader): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  if (json.length > MAX_HEADER_LENGTH) throw new Error('capture header too large');
  const out = Buffer.allocUnsafe(PREAMBLE_LENGTH + json.length + 4);
  MAGIC.copy(out, 0);
  out.writeUInt16BE(FORMAT_VERSION, MAGIC.length);
  out.writeUInt32BE(json.length, MAGIC.length + 2);
  json.copy(out, PREAMBLE_LENGTH);
  out.writeUInt32BE(crc32(json), PREAMBLE_LENGTH + json.length);
  return out;
}

/** A record head: the fields and their own checksum. */
export function encodeRecordHead(
  kind: RecordKindValue,
  direction: DirectionValue,
  connection: number,
  timeUs: number,
  opcode: number,
  length: number,
): Buffer {
  const head = Buffer.allocUnsafe(RECORD_HEAD_LENGTH);
  writeRecordHead(head, 0, kind, direction, connection, timeUs, opcode, length);
  return head;
}

/** The time a record head stores for `timeUs`: whole microseconds, never negative (what a reader reads back). */
export function headTimeUs(timeUs: number): number {
  return Math.max(0, Math.round(timeUs));
}

/** Writes a record head (fields and their CRC) at `at` in `target`; returns the position after it. */
export function writeRecordHead(
  target: Buffer,
  at: number,
  kind: RecordKindValue,
  direction: DirectionValue,
  connection: number,
  timeUs: number,
  opcode: number,
  length: number,
): number {
  target[at] = kind;
  target[at + 1] = direction;
  target.writeUInt32BE(connection >>> 0, at + 2);
  target.writeBigUInt64BE(BigInt(headTimeUs(timeUs)), at + 6);
  target[at + 14] = opcode;
  target.writeUInt32BE(length, at + 15);
  target.writeUInt32BE(crc32(target.subarray(at, at + RECORD_HEAD_FIELDS)), at + RECORD_HEAD_FIELDS);
  return at + RECORD_HEAD_LENGTH;
}

export function recordChecksum(head: Uint8Array, payload: Uint8Array): number {
  return crc32(payload, crc32(head));
}

/** Whether a head's own checksum matches its fields. */
export function headChecksumOk(head: Uint8Array): boolean {
  const view = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  return crc32(view.subarray(0, RECORD_HEAD_FIELDS)) === view.readUInt32BE(RECORD_HEAD_FIELDS);
}

export function isKnownKind(kind: number): kind is RecordKindValue {
  return kind >= 1 && kind <= 4;
}

/** Removes user info from a URL (credentials must never reach a capture). */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//');
  }
}
