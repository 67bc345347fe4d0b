/** Helpers of the capture unit tests: headers, temp files, a full read that never throws, a timeout guard. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CaptureFormatError,
  type CaptureHeader,
  type CaptureRecord,
  FORMAT_VERSION,
  RECORD_HEAD_LENGTH,
  RECORD_TRAILER_LENGTH,
} from '../../../src/capture/format.js';
import {
  CaptureReader,
  type CaptureStatus,
  type ReadOptions,
  type ScanOptions,
} from '../../../src/capture/reader.js';

export function makeHeader(overrides: Partial<CaptureHeader> = {}): CaptureHeader {
  const startedAtMs = overrides.startedAtMs ?? Date.now();
  return {
    tool: 'harper-replay',
    toolVersion: '0.1.0-test',
    formatVersion: FORMAT_VERSION,
    mode: 'subscribe',
    startedAtMs,
    startedAt: new Date(startedAtMs).toISOString(),
    source: { url: 'wss://source.example:9925/', nodeName: 'source-node' },
    database: 'data',
    subscription: { since: 0, tables: ['synthetic'], acked: true },
    tables: [{ table: 'synthetic', attributes: [{ name: 'id' }] }],
    tls: { used: true, subject: 'CN=source', fingerprint256: 'AA:BB' },
    extra: { nested: [1, 2, 3], text: 'ünïcødé ✓' },
    ...overrides,
  };
}

/** A temp directory removed by the returned cleanup (call it from `after`). */
export function tempDir(): { dir: string; cleanup: () => void; path: (name: string) => string } {
  const dir = mkdtempSync(join(tmpdir(), 'harper-replay-unit-'));
  let counter = 0;
  return {
    dir,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
    path: (name: string) => join(dir, `${counter++}-${name}`),
  };
}

/** Bytes a record of this payload length takes in the file. */
export const recordSize = (payloadLength: number): number =>
  RECORD_HEAD_LENGTH + payloadLength + RECORD_TRAILER_LENGTH;

export interface ReadResult {
  header?: CaptureHeader;
  records: CaptureRecord[];
  status?: CaptureStatus;
  /** What open or the iteration threw (anything: the callers check its type). */
  error?: unknown;
}

/** Opens and reads every record; collects what was yielded and what was thrown. Always closes the file. */
export async function readAll(path: string, options: ReadOptions & ScanOptions = {}): Promise<ReadResult> {
  let reader: CaptureReader;
  try {
    reader = await CaptureReader.open(path, options);
  } catch (error) {
    return { records: [], error };
  }
  const records: CaptureRecord[] = [];
  try {
    for await (const record of reader.records(options)) {
      // Copy: the payload must stay valid whatever the reader does with its buffers later.
      records.push({ ...record, payload: Buffer.from(record.payload) });
    }
    return { header: reader.header, records, status: { ...reader.status } };
  } catch (error) {
    return { header: reader.header, records, status: { ...reader.status }, error };
  } finally {
    await reader.close();
  }
}

/** Rejects when `promise` does not settle within `ms` (a hang guard). */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Asserts `error` is a CaptureFormatError whose message names its offset; returns it. */
export function assertFormatError(error: unknown, context: string): CaptureFormatError {
  assert.ok(
    error instanceof CaptureFormatError,
    `${context}: expected a CaptureFormatError, got ${error === undefined ? 'no error' : `${(error as Error)?.name}: ${(error as Error)?.message}`}`,
  );
  assert.equal(error.name, 'CaptureFormatError', context);
  assert.ok(Number.isInteger(error.offset) && error.offset >= 0, `${context}: offset ${error.offset}`);
  assert.ok(
    error.message.endsWith(`(at byte ${error.offset})`),
    `${context}: message names the offset: ${error.message}`,
  );
  return error;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
