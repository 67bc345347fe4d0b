/**
 * A capture as JSON lines for jq, pandas and friends: the header first, then one line per record with its time,
 * connection, direction, frame type and size, and the message bytes in base64 (`--no-payload` leaves them out).
 * Lossless with the payloads: every message can be rebuilt from its line.
 */
import { type CaptureHeader, type CaptureRecord, Direction, RecordKind } from '../capture/format.js';
import { frameTypeName } from '../protocol/control-frame.js';

const KIND_NAMES: Record<number, string> = {
  [RecordKind.MESSAGE]: 'message',
  [RecordKind.OPEN]: 'open',
  [RecordKind.CLOSE]: 'close',
  [RecordKind.FOOTER]: 'footer',
};

export function jsonlHeaderLine(header: CaptureHeader): string {
  return JSON.stringify({ kind: 'header', header });
}

export function jsonlRecordLine(
  header: CaptureHeader,
  record: CaptureRecord,
  options: { payload: boolean },
): string {
  const common = {
    kind: KIND_NAMES[record.kind] ?? `kind-${record.kind}`,
    time: new Date(header.startedAtMs + record.timeUs / 1000).toISOString(),
    timeUs: record.timeUs,
    connection: record.connection,
    offset: record.offset,
  };
  if (record.kind !== RecordKind.MESSAGE) {
    let info: unknown;
    try {
      info = JSON.parse(record.payload.toString('utf8'));
    } catch {
      info = null;
    }
    return JSON.stringify({ ...common, info });
  }
  return JSON.stringify({
    ...common,
    direction: record.direction === Direction.FROM_SOURCE ? 'from-source' : 'to-source',
    opcode: record.opcode,
    type: frameTypeName(record.payload),
    bytes: record.payload.length,
    ...(options.payload ? { payload: record.payload.toString('base64') } : {}),
  });
}
