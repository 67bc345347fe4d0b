/**
 * inspect: one streaming pass over a capture (constant memory) with the full decoder — the summary, and the
 * --frames / --decode lines as the records go by.
 */
import { CaptureFormatError, RecordKind } from '../capture/format.js';
import { CaptureInspector } from '../capture/inspect.js';
import { CaptureReader } from '../capture/reader.js';
import { ExitCode, HarperReplayError } from '../common/errors.js';
import { formatDecoded, formatFrame, type InspectResult } from '../report/inspect-text.js';

export interface InspectOptions {
  /** A line per message record. */
  frames: boolean;
  /** A JSON line per decoded record. */
  decode: boolean;
  /** At most this many --frames / --decode lines in all. */
  limit?: number;
}

/**
 * Reads the capture once; `write` gets the --frames and --decode lines. Rejects with a HarperReplayError: no such
 * file (usage, 2), or not a capture / corrupt at a byte offset (bad input, 6). A torn tail is not an error: the
 * result says `truncated`.
 */
export async function inspectCapture(
  file: string,
  options: InspectOptions,
  write: (line: string) => void,
): Promise<InspectResult> {
  let reader: CaptureReader;
  try {
    reader = await CaptureReader.open(file);
  } catch (error) {
    throw inspectError(error, file);
  }
  const inspector = new CaptureInspector();
  let printed = 0;
  const room = () => options.limit === undefined || printed < options.limit;
  const out = (line: string) => {
    write(line);
    printed++;
  };
  try {
    for await (const record of reader.records()) {
      const decoded = inspector.add(record, options.decode && room());
      if (options.frames && room() && record.kind === RecordKind.MESSAGE) out(formatFrame(record));
      for (const entry of decoded) if (room()) out(formatDecoded(entry));
    }
  } catch (error) {
    await reader.close();
    throw inspectError(error, file);
  }
  await reader.close();
  return { file, header: reader.header, ...inspector.summary(reader.status) };
}

function inspectError(error: unknown, file: string): HarperReplayError {
  const code = (error as NodeJS.ErrnoException).code;
  const message =
    code === 'ENOENT'
      ? `no such file: ${file}`
      : error instanceof CaptureFormatError
        ? `${file}: ${error.message}`
        : (error as Error).message;
  return new HarperReplayError(message, code === 'ENOENT' ? ExitCode.USAGE : ExitCode.BAD_INPUT);
}
