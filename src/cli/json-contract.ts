/**
 * The one --json contract of every command: stdout holds exactly one JSON document, whatever the outcome, with
 * `exitCode` and `error` (null, or `{message, exitCode, kind}`) first, then whatever was measured.
 */
import { ExitCode, type ExitKind, exitKind } from '../common/errors.js';

export interface JsonError {
  message: string;
  exitCode: number;
  kind: ExitKind;
}

export interface JsonDocument {
  exitCode: number;
  error: JsonError | null;
  [measured: string]: unknown;
}

export function jsonError(message: string, exitCode: number): JsonError {
  return { message, exitCode, kind: exitKind(exitCode) };
}

/** What a command measured, under the contract's head. A result's own `error` string becomes the error's message. */
export function jsonDocument(result: unknown, fallbackExitCode: number): JsonDocument {
  const body: Record<string, unknown> =
    result && typeof result === 'object' && !Array.isArray(result)
      ? { ...result }
      : { result: result ?? null };
  const exitCode = typeof body.exitCode === 'number' ? body.exitCode : fallbackExitCode;
  const stated = body.error;
  delete body.exitCode;
  delete body.error;
  if (exitCode === ExitCode.OK) return { exitCode, error: null, ...body };
  const message =
    typeof stated === 'string' && stated
      ? stated
      : stated && typeof stated === 'object' && typeof (stated as JsonError).message === 'string'
        ? (stated as JsonError).message
        : (breachedThresholds(body) ?? exitKind(exitCode));
  return { exitCode, error: jsonError(message, exitCode), ...body };
}

function breachedThresholds(body: Record<string, unknown>): string | undefined {
  const verdicts = body.thresholds;
  if (!Array.isArray(verdicts)) return undefined;
  const breached = verdicts
    .filter((v): v is { expression: string; ok: boolean } => v && typeof v === 'object' && v.ok === false)
    .map((v) => v.expression);
  return breached.length ? `threshold breached: ${breached.join(', ')}` : undefined;
}
