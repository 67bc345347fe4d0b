/**
 * The --json document of each command, as types: the contract's head (json-contract.ts) over what the command
 * measured, or the head alone when it failed before measuring anything. schemas/ holds their JSON Schemas, generated
 * from these types (`npm run schemas`); the tests validate every --json output against them.
 */
import type { FrameRow, InspectResult } from '../report/inspect-text.js';
import type { RunResult } from '../report/result.js';
import type { BenchResult } from '../run/bench-run.js';
import type { CaptureResult } from '../run/capture-run.js';
import type { CleanupResult } from '../run/cleanup-run.js';
import type { ExportResult } from '../run/export-run.js';
import type { ProxyResult } from '../run/proxy-run.js';
import type { DryRunResult } from '../run/replay-dry-run.js';
import type { JsonError } from './json-contract.js';

/** What every document starts with. */
export interface DocumentHead {
  /** The process exit code. */
  exitCode: number;
  /** null on success. */
  error: JsonError | null;
}

/** A command that failed before it measured anything: the head alone, with its error. */
export interface FailureDocument {
  exitCode: number;
  error: JsonError;
}

type Measured<T> = DocumentHead & Omit<T, 'exitCode' | 'error'>;

export type SynthDocument = Measured<RunResult> | FailureDocument;
export type ReplayDocument = Measured<RunResult> | Measured<DryRunResult> | FailureDocument;
export type BenchDocument = Measured<BenchResult> | FailureDocument;
export type ReportDocument = Measured<RunResult> | FailureDocument;
export type CaptureDocument = Measured<CaptureResult> | Measured<ProxyResult> | FailureDocument;
export type ExportDocument = Measured<ExportResult> | FailureDocument;
export type InspectDocument =
  | Measured<InspectResult & { frameRows?: FrameRow[]; decodedRecords?: unknown[] }>
  | FailureDocument;
export type CleanupDocument = Measured<CleanupResult> | FailureDocument;
