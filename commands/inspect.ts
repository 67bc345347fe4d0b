import { Args, Flags } from '@oclif/core';
import { CaptureFormatError, RecordKind } from '../src/capture/format.js';
import { CaptureInspector, type CaptureSummary } from '../src/capture/inspect.js';
import { CaptureReader } from '../src/capture/reader.js';
import { BaseCommand } from '../src/cli/base-command.js';
import { EXIT_CODE_HELP, ExitCode } from '../src/common/errors.js';
import { formatBytes, formatCount, formatMs } from '../src/common/units.js';
import { frameTypeName } from '../src/protocol/control-frame.js';

export interface InspectResult extends CaptureSummary {
  file: string;
  header: Record<string, unknown>;
}

export default class Inspect extends BaseCommand {
  static override summary =
    'Show what is in a capture file: frames, records, tables, blobs, acks, gaps, truncation.';

  static override description =
    `Reads the capture as a stream (constant memory) with the full protocol decoder. A capture whose tail was torn (the capturing process was killed) is read up to its last complete record and reported as truncated; a corrupt one stops with the byte offset of the problem (exit 6).

Exit codes:
${EXIT_CODE_HELP}`;

  static override examples = [
    '<%= config.bin %> <%= command.id %> captures/catchup-40x500.hrcap',
    '<%= config.bin %> <%= command.id %> capture.hrcap --frames --limit 20',
    '<%= config.bin %> <%= command.id %> capture.hrcap --decode --limit 5',
    '<%= config.bin %> <%= command.id %> capture.hrcap --json | jq .records.byTable',
  ];

  static override enableJsonFlag = true;

  static override args = { file: Args.string({ description: 'capture file', required: true }) };

  static override flags = {
    frames: Flags.boolean({
      summary: 'List every frame (offset, time, connection, direction, type, bytes).',
    }),
    decode: Flags.boolean({ summary: 'Print every decoded record as one JSON line.' }),
    limit: Flags.integer({ summary: 'At most this many lines of --frames / --decode output.', min: 1 }),
  };

  async run(): Promise<InspectResult> {
    const { args, flags } = await this.parse(Inspect);
    let reader: CaptureReader;
    try {
      reader = await CaptureReader.open(args.file);
    } catch (error) {
      this.failOn(error, args.file);
    }
    const inspector = new CaptureInspector();
    let printed = 0;
    const room = () => flags.limit === undefined || printed < flags.limit;
    const out = (line: string) => {
      process.stdout.write(`${line}\n`);
      printed++;
    };
    try {
      for await (const record of reader.records()) {
        const decoded = inspector.add(record, flags.decode && room());
        if (flags.frames && room() && record.kind === RecordKind.MESSAGE) {
          const p = record.payload;
          const type = frameTypeName(p);
          out(
            `${String(record.offset).padStart(10)}  ${formatMs(record.timeUs / 1000).padStart(10)}  conn ${record.connection}  ${record.direction === 0 ? 'source→' : '→source'}  ${type.padEnd(22)} ${formatBytes(p.length)}`,
          );
        }
        for (const entry of decoded) if (room()) out(JSON.stringify(entry, jsonSafe));
      }
    } catch (error) {
      await reader.close();
      this.failOn(error, args.file);
    }
    await reader.close();
    const summary = inspector.summary(reader.status);
    const result: InspectResult = { file: args.file, header: reader.header, ...summary };
    if (!this.jsonEnabled() && !flags.decode) this.log(formatInspect(result));
    if (summary.truncated) {
      process.stderr.write(
        `warning: ${args.file} is truncated at byte ${summary.truncatedAt} (the capture did not finish); everything before it was read\n`,
      );
    }
    return result;
  }

  private failOn(error: unknown, file: string): never {
    const code = (error as NodeJS.ErrnoException).code;
    const message =
      code === 'ENOENT'
        ? `no such file: ${file}`
        : error instanceof CaptureFormatError
          ? `${file}: ${error.message}`
          : (error as Error).message;
    return this.fail(message, code === 'ENOENT' ? ExitCode.USAGE : ExitCode.BAD_INPUT);
  }
}

/** JSON for decoded values: bigint as string, bytes as hex. */
function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array)
    return { bytes: value.length, hex: Buffer.from(value).subarray(0, 64).toString('hex') };
  if (value && typeof value === 'object' && (value as { type?: string }).type === 'Buffer') {
    const data = (value as { data: number[] }).data;
    return { bytes: data.length, hex: Buffer.from(data).subarray(0, 64).toString('hex') };
  }
  return value;
}

function formatInspect(r: InspectResult): string {
  const lines: string[] = [];
  const row = (label: string, value: string) => lines.push(`  ${label.padEnd(18)} ${value}`);
  const header = r.header as {
    mode?: string;
    source?: { url?: string; nodeName?: string };
    database?: string;
    startedAt?: string;
    toolVersion?: string;
  };
  lines.push(`${r.file}${r.truncated ? ' — TRUNCATED' : ''}`, '');
  row('mode', `${header.mode} capture by harper-replay ${header.toolVersion}`);
  row(
    'source',
    `${header.source?.nodeName ?? r.footer?.sourceNodeName ?? '?'} ${header.source?.url ?? ''}${header.database ? `, database ${header.database}` : ''}`,
  );
  row('started', `${header.startedAt}, span ${formatMs(r.spanMs)}, ${r.connections} connection(s)`);
  row(
    'frames',
    `${formatCount(r.frames.total)} (${formatCount(r.frames.fromSource)} from the source, ${formatCount(r.frames.toSource)} to it), ${formatBytes(r.bytes)}`,
  );
  row(
    'by type',
    Object.entries(r.frames.byType)
      .map(([k, v]) => `${k} ${formatCount(v)}`)
      .join(', ') || '–',
  );
  row('records', formatCount(r.records.total));
  row(
    'by table',
    Object.entries(r.records.byTable)
      .map(([k, v]) => `${k} ${formatCount(v)}`)
      .join(', ') || '–',
  );
  row(
    'by type',
    Object.entries(r.records.byType)
      .map(([k, v]) => `${k} ${formatCount(v)}`)
      .join(', ') || '–',
  );
  const pf = r.records.perFrame;
  row(
    'records/frame',
    pf.min === null
      ? '–'
      : `min ${formatCount(pf.min)}, p50 ${formatCount(pf.p50)}, max ${formatCount(pf.max)}`,
  );
  row(
    'largest frame',
    r.largestFrame
      ? `${formatBytes(r.largestFrame.bytes)} (${formatCount(r.largestFrame.records)} records, byte ${r.largestFrame.offset})`
      : '–',
  );
  row('blobs', `${formatCount(r.blobs.count)} (${formatBytes(r.blobs.bytes)})`);
  row('acks', `${formatCount(r.acks)} COMMITTED_UPDATE${r.lastAck !== null ? `, last ${r.lastAck}` : ''}`);
  row(
    'gaps > 1 s',
    r.gaps.length
      ? r.gaps
          .slice(0, 10)
          .map((g) => `${formatMs(g.ms)} at ${formatMs(g.atMs)}`)
          .join(', ')
      : 'none',
  );
  if (Object.keys(r.unknownCodes).length) row('unknown codes', JSON.stringify(r.unknownCodes));
  if (r.decodeErrors.length)
    row(
      'decode errors',
      `${r.decodeErrors.length}, first at byte ${r.decodeErrors[0]!.offset}: ${r.decodeErrors[0]!.error}`,
    );
  row(
    'complete',
    r.truncated
      ? `no: torn at byte ${r.truncatedAt}`
      : r.footer
        ? `yes (stopped: ${r.footer.reason})`
        : 'no footer',
  );
  return lines.join('\n');
}
