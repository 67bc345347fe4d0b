/**
 * inspect: one streaming pass over a capture (constant memory) with the full decoder — the summary, and the
 * --list-frames / --decode lines as the records go by.
 */

import type { CaptureRecord } from '../capture/format.js';
import { RecordKind } from '../capture/format.js';
import type { DecodedRecord } from '../capture/inspect.js';
import { CaptureInspector } from '../capture/inspect.js';
import { CaptureReader } from '../capture/reader.js';
import { inputFileError } from '../common/errors.js';
import type { InspectResult } from '../report/inspect-text.js';

export interface InspectOptions {
  /** A line per message record. */
  listFrames: boolean;
  /** A JSON line per decoded record. */
  decode: boolean;
  /** At most this many --list-frames / --decode lines in all. */
  limit?: number;
}

/** Where the --list-frames and --decode rows go: printed as lines, or gathered into the --json document. */
export interface InspectRows {
  frame(record: CaptureRecord): void;
  decoded(entry: DecodedRecord): void;
}

/**
 * Reads the capture once; `rows` gets the --list-frames and --decode rows. Rejects with a HarperReplayError: no such
 * file, a directory, not a capture, or corrupt at a byte offset (bad input, 6). A torn tail is not an error: the
 * result says `truncated`.
 */
export async function inspectCapture(
  file: string,
  options: InspectOptions,
  rows: InspectRows,
): Promise<InspectResult> {
  let reader: CaptureReader;
  try {
    reader = await CaptureReader.open(file);
  } catch (error) {
    throw inputFileError(error, file);
  }
  const inspector = new CaptureInspector();
  let printed = 0;
  const room = () => options.limit === undefined || printed < options.limit;
  const counted =
    <T>(emit: (row: T) => void) =>
    (row: T) => {
      emit(row);
      printed++;
    };
  const frame = counted(rows.frame);
  const decodedRow = counted(rows.decoded);
  try {
    for await (const record of reader.records()) {
      const decoded = inspector.add(record, options.decode && room());
      if (options.listFrames && room() && record.kind === RecordKind.MESSAGE) frame(record);
      for (const entry of decoded) if (room()) decodedRow(entry);
    }
  } catch (error) {
    await reader.close();
    throw inputFileError(error, file);
  }
  await reader.close();
  return { file, header: reader.header, ...inspector.summary(reader.status) };
}
