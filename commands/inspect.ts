import { Args, Flags } from '@oclif/core';
import type { CaptureRecord } from '../src/capture/format.js';
import type { DecodedRecord } from '../src/capture/inspect.js';
import { BaseCommand } from '../src/cli/base-command.js';
import { withHelpGroups } from '../src/cli/help-groups.js';
import { ExitCode, exitCodeHelp } from '../src/common/errors.js';
import {
  type FrameRow,
  formatDecoded,
  formatFrame,
  formatInspect,
  frameRow,
  type InspectResult,
} from '../src/report/inspect-text.js';
import { inspectCapture } from '../src/run/inspect-run.js';

export default class Inspect extends BaseCommand {
  static override summary =
    'Show what is in a capture file: frames, records, tables, blobs, acks, gaps, truncation.';

  static override description =
    `Reads the capture as a stream (constant memory) with the full protocol decoder. A capture whose tail was torn (the capturing process was killed) is read up to its last complete record and reported as truncated; a corrupt one stops with the byte offset of the problem (exit 6).

Exit codes:
${exitCodeHelp([ExitCode.OK, ExitCode.ERROR, ExitCode.USAGE, ExitCode.BAD_INPUT], 'read to the end (a torn tail is a warning)')}`;

  static override examples = [
    '<%= config.bin %> <%= command.id %> captures/catchup-40x500.hrcap',
    '<%= config.bin %> <%= command.id %> capture.hrcap --list-frames --limit 20',
    '<%= config.bin %> <%= command.id %> capture.hrcap --decode --limit 5',
    '<%= config.bin %> <%= command.id %> capture.hrcap --json | jq .records.byTable',
  ];

  static override enableJsonFlag = true;

  static override args = { file: Args.string({ description: 'capture file', required: true }) };

  static override flags = withHelpGroups({
    'list-frames': Flags.boolean({
      summary: 'List every frame (offset, time, connection, direction, type, bytes).',
      // --frames elsewhere is a count (synth, capture, bench); the old name still works here, with a warning.
      aliases: ['frames'],
      deprecateAliases: true,
    }),
    decode: Flags.boolean({
      summary:
        "Print every decoded record as one JSON line (under --json: the document's decodedRecords; --list-frames: frameRows).",
    }),
    limit: Flags.integer({ summary: 'At most this many lines of --list-frames / --decode output.', min: 1 }),
  });

  async run(): Promise<InspectResult & { frameRows?: FrameRow[]; decodedRecords?: unknown[] }> {
    const { args, flags } = await this.parse(Inspect);
    // Under --json the rows go inside the one document (stdout holds nothing else); otherwise a line each.
    const json = this.jsonEnabled();
    const frames: FrameRow[] = [];
    const records: unknown[] = [];
    const print = (line: string) => process.stdout.write(`${line}\n`);
    const rows = json
      ? {
          frame: (record: CaptureRecord) => frames.push(frameRow(record)),
          decoded: (entry: DecodedRecord) => records.push(JSON.parse(formatDecoded(entry))),
        }
      : {
          frame: (record: CaptureRecord) => print(formatFrame(record)),
          decoded: (entry: DecodedRecord) => print(formatDecoded(entry)),
        };
    const result = await inspectCapture(
      args.file,
      { ...flags, listFrames: flags['list-frames'] },
      rows,
    ).catch((error: unknown) => this.failOn(error));
    if (!this.jsonEnabled() && !flags.decode) this.log(formatInspect(result));
    if (result.truncated) {
      process.stderr.write(
        `warning: ${args.file} is truncated at byte ${result.truncatedAt} (the capture did not finish); everything before it was read\n`,
      );
    }
    return {
      ...result,
      ...(flags['list-frames'] ? { frameRows: frames } : {}),
      ...(flags.decode ? { decodedRecords: records } : {}),
    };
  }
}
