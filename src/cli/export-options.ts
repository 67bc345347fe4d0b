/** export's flags and the export they describe: the format (from --format or the output's name), the output. */
import { Flags } from '@oclif/core';
import { checkOutputs } from '../common/output-files.js';
import type { ExportFormat, ExportOptions } from '../run/export-run.js';
import { UsageError } from './base-command.js';
import { type FlagValues, forceFlag } from './shared-flags.js';

export const exportFlags = {
  format: Flags.option({
    summary: 'Output format (default: from the --out extension, .pcapng/.pcap or .jsonl/.ndjson).',
    options: ['pcapng', 'jsonl'] as const,
  })(),
  out: Flags.string({
    summary: 'Output file, or - for stdout (default: the capture name with the format extension).',
    helpValue: 'FILE',
  }),
  ...forceFlag,
  connection: Flags.integer({
    summary: "Only this connection's records (inspect --list-frames lists them as conn N).",
    min: 1,
  }),
  payload: Flags.boolean({
    summary: 'jsonl: include each message in base64.',
    default: true,
    allowNo: true,
  }),
  progress: Flags.boolean({
    summary: 'Progress on stderr (off when stderr is not a TTY, under --json and when writing to stdout).',
    default: true,
    allowNo: true,
  }),
};

export type ExportFlagValues = FlagValues<typeof exportFlags>;

const EXTENSIONS: Record<ExportFormat, string> = { pcapng: '.pcapng', jsonl: '.jsonl' };

/** The format an output name implies, if any. */
export function formatOf(path: string): ExportFormat | undefined {
  if (/\.pcap(ng)?$/i.test(path)) return 'pcapng';
  if (/\.(jsonl|ndjson)$/i.test(path)) return 'jsonl';
  return undefined;
}

/**
 * The export of `capture` the flags describe (without Ctrl-C and progress, which the run adds). Throws a usage
 * error when the format cannot be told, or when --json and the export would share stdout.
 */
export function exportOptions(
  capture: string,
  flags: ExportFlagValues,
  json: boolean,
): Omit<ExportOptions, 'signal' | 'onProgress'> {
  const format = flags.format ?? (flags.out ? formatOf(flags.out) : 'pcapng');
  if (!format)
    throw new UsageError(
      `cannot tell the format from --out ${flags.out}: pass --format pcapng or --format jsonl`,
    );
  if (!flags.payload && format === 'pcapng')
    throw new UsageError('--no-payload is for --format jsonl: a pcapng export always carries the messages');
  const out = flags.out ?? `${capture.replace(/\.hrcap$/i, '')}${EXTENSIONS[format]}`;
  if (out === '-' && json) throw new UsageError('--json prints the result on stdout: give --out a file');
  if (out !== '-') checkOutputs([{ flag: '--out', path: out }], [capture], flags.force);
  return {
    capture,
    out,
    format,
    payload: flags.payload,
    force: flags.force,
    ...(flags.connection !== undefined ? { connection: flags.connection } : {}),
  };
}
