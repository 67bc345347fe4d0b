/**
 * `export`: streams a capture into a pcapng or JSON-lines file (or stdout), one record at a time, waiting for the
 * output to drain so memory stays flat whatever the capture's size. A torn capture is exported up to its last
 * complete record; a corrupt one up to the damage, then the error names its byte offset. Either way the output
 * stays a valid file of what was exported.
 */

import { once } from 'node:events';
import type { WriteStream } from 'node:fs';
import { CaptureFormatError, type CaptureRecord, RecordKind } from '../capture/format.js';
import { CaptureReader } from '../capture/reader.js';
import { ExitCode, HarperReplayError, inputFileError } from '../common/errors.js';
import { checkOutputs, commitTemporary, discardTemporary, openAtomicStream } from '../common/output-files.js';
import { jsonlHeaderLine, jsonlRecordLine } from '../export/jsonl-export.js';
import { PcapngExport } from '../export/pcapng-export.js';
import { interruptExitCode } from './interrupt.js';

export type ExportFormat = 'pcapng' | 'jsonl';

export interface ExportOptions {
  capture: string;
  /** A file path, or '-' for stdout. */
  out: string;
  format: ExportFormat;
  /** JSON lines: include each message's bytes (base64). */
  payload: boolean;
  /** Replace an existing output file. */
  force: boolean;
  /** Only this connection's records (the header and footer stay). */
  connection?: number;
  signal?: AbortSignal;
  /** Bytes of the capture read so far, of its size. */
  onProgress?: (read: number, size: number) => void;
}

export interface ExportResult {
  capture: string;
  out: string;
  format: ExportFormat;
  records: number;
  messages: number;
  /** pcapng: packets written (handshakes, segments, closes). */
  packets?: number;
  /** pcapng: messages recorded after their connection closed, which a TCP conversation cannot carry. */
  leftOutAfterClose?: number;
  bytesWritten: number;
  truncated: boolean;
  truncatedAt?: number;
  interrupted: boolean;
  /** Set when the capture is corrupt: the output holds everything before the damage. */
  error?: string;
  exitCode: number;
}

/** 129/130 when a signal stopped it, 6 when the capture is corrupt, else 0. */
function exportExitCode(stoppedBy: AbortSignal | undefined, error: string | undefined): number {
  if (stoppedBy) return interruptExitCode(stoppedBy);
  return error ? ExitCode.BAD_INPUT : ExitCode.OK;
}

export async function exportCapture(options: ExportOptions): Promise<ExportResult> {
  let reader: CaptureReader;
  try {
    reader = await CaptureReader.open(options.capture);
  } catch (error) {
    throw inputFileError(error, options.capture);
  }
  let output: WriteStream | NodeJS.WriteStream;
  // A file is written under a temporary name and renamed when complete (also when interrupted or cut at damage:
  // what it holds is then valid up to there); an export that fails leaves nothing behind.
  let temporary: string | undefined;
  try {
    if (options.out === '-') output = process.stdout;
    else {
      // Checked again here (the flags were): the run is also called on its own.
      checkOutputs([{ flag: '--out', path: options.out }], [options.capture], options.force);
      ({ stream: output, temporary } = await openOutput(options.out));
    }
  } catch (error) {
    await reader.close();
    throw error;
  }
  let finished = false;
  let bytesWritten = 0;
  // A full disk (ENOSPC) or a reader that went away (EPIPE: `| head`) surfaces as the stream's error.
  let writeError: NodeJS.ErrnoException | undefined;
  const failed = new Promise<never>((_, reject) =>
    // `on`, not `once`: a second error (more writes were queued) must not go unhandled.
    output.on('error', (e: NodeJS.ErrnoException) => {
      writeError ??= e;
      reject(e);
    }),
  );
  failed.catch(() => {});
  const write = async (chunks: Array<Buffer | string>) => {
    if (writeError) throw writeError;
    let room = true;
    for (const chunk of chunks) {
      bytesWritten += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
      room = output.write(chunk) && room;
    }
    if (!room) await Promise.race([once(output, 'drain'), failed]);
  };
  const pcapng = options.format === 'pcapng' ? new PcapngExport(reader.header) : undefined;
  let records = 0;
  let messages = 0;
  let interrupted = false;
  let error: string | undefined;
  try {
    await write(pcapng ? pcapng.preamble() : [`${jsonlHeaderLine(reader.header)}\n`]);
    const connections = new Set<number>();
    for await (const record of reader.records()) {
      if (options.signal?.aborted) {
        interrupted = true;
        break;
      }
      if (record.kind !== RecordKind.FOOTER) connections.add(record.connection);
      if (!selected(record, options.connection)) continue;
      records++;
      if (record.kind === RecordKind.MESSAGE) messages++;
      await write(
        pcapng
          ? pcapng.add(record)
          : [`${jsonlRecordLine(reader.header, record, { payload: options.payload })}\n`],
      );
      options.onProgress?.(reader.status.bytesRead, reader.size);
    }
    if (!interrupted) assertConnectionFound(options.connection, connections);
    if (pcapng) await write(pcapng.finish());
    finished = true;
  } catch (caught) {
    if (caught instanceof CaptureFormatError) {
      finished = true;
      error = `${options.capture}: ${caught.message}; the output holds the ${records} records before it`;
    } else if (caught !== writeError) {
      throw caught;
    }
  } finally {
    await reader.close();
    if (output !== process.stdout) {
      // A failure of the last writes arrives through the error listener above, also after end().
      const file = output as WriteStream;
      await new Promise<void>((resolve) => file.end(() => resolve()));
    }
    if (temporary && (!finished || (writeError && writeError.code !== 'EPIPE'))) discardTemporary(temporary);
  }
  // Assigned in a callback, so TypeScript does not narrow it: read it once.
  finishOutput(options, temporary, writeError as NodeJS.ErrnoException | undefined);
  return {
    capture: options.capture,
    out: options.out,
    format: options.format,
    records,
    messages,
    ...(pcapng ? { packets: pcapng.packets, leftOutAfterClose: pcapng.afterClose } : {}),
    bytesWritten,
    truncated: reader.status.truncated,
    ...(reader.status.truncatedAt !== undefined ? { truncatedAt: reader.status.truncatedAt } : {}),
    interrupted,
    ...(error ? { error } : {}),
    exitCode: exportExitCode(interrupted ? options.signal : undefined, error),
  };
}

/** Every record without --connection; with it, that connection's and the footer. */
function selected(record: CaptureRecord, connection: number | undefined): boolean {
  return connection === undefined || record.kind === RecordKind.FOOTER || record.connection === connection;
}

/** --connection of a connection the capture does not have: nothing to export (replay refuses the same). */
function assertConnectionFound(connection: number | undefined, connections: Set<number>): void {
  if (connection === undefined || connections.has(connection)) return;
  const have = [...connections].sort((a, b) => a - b).join(', ') || 'none';
  throw new HarperReplayError(
    `--connection ${connection}: the capture has connection(s) ${have}`,
    ExitCode.USAGE,
  );
}

/** A failed write is the export's error; otherwise the file gets its name. */
function finishOutput(
  options: ExportOptions,
  temporary: string | undefined,
  failure?: NodeJS.ErrnoException,
) {
  // The reader of stdout going away (`| head`) is the end of the export, not a failure.
  if (failure && failure.code !== 'EPIPE') {
    throw new HarperReplayError(
      `cannot write ${options.out === '-' ? 'stdout' : options.out}: ${failure.code ?? failure.message}`,
      ExitCode.ERROR,
    );
  }
  if (temporary) commitTemporary(temporary, options.out, options.force);
}

/** The output under its temporary name (whether it may be replaced was checked with the flags: checkOutputs). */
async function openOutput(path: string): Promise<{ stream: WriteStream; temporary: string | undefined }> {
  const opened = openAtomicStream(path);
  try {
    await once(opened.stream, 'open');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new HarperReplayError(`cannot write ${path}: ${code ?? (error as Error).message}`, ExitCode.ERROR);
  }
  return opened;
}
