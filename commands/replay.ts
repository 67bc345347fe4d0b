import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../src/cli/base-command.js';
import { executeLoad, loadFlags, loadOptions, usageExit } from '../src/cli/load-command.js';
import { EXIT_CODE_HELP, ExitCode } from '../src/common/errors.js';
import { formatBytes, formatCount, formatMs, parseDuration } from '../src/common/units.js';
import { thresholdHelp } from '../src/report/thresholds.js';
import { openReplay, type ReplayResult, runReplay } from '../src/run/replay-run.js';
import type { ReplaySource } from '../src/workload/replay-source.js';

const list = (text: string | undefined) =>
  text
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export interface DryRunResult {
  dryRun: true;
  capture: string;
  connection: number;
  frames: number;
  records: number;
  bytes: number;
  largestFrame: number;
  loops: number;
  scheduledDurationMs: number | null;
  tables: string[];
  truncated: boolean;
  originalAckLatencyMs: ReplaySource['originalAcks'];
}

/** '0.5x', '1x', '4x', '2' or 'max'. */
function parseSpeed(text: string): number {
  if (text.trim() === 'max') return Number.POSITIVE_INFINITY;
  const value = Number(text.trim().replace(/x$/i, ''));
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`--speed "${text}" is not 0.5x, 1x, 4x … or max`);
  return value;
}

export default class Replay extends BaseCommand {
  static override summary = 'Replay a capture into a target node: at the captured pace, faster, or flat out.';

  static override description =
    `The replayer performs its own handshake with the target (peer or push, as synth), re-sends the captured node-id map, table structures, residency lists and blob chunks, and the source's transaction frames; the captured acks are not sent (their timing is the "original ack latency" in the report).

Timing: --speed 1x follows the capture's clock (no drift: each frame is scheduled from its captured offset; the report says how far behind schedule the replay ran), 4x a quarter of it, max as fast as the target reads; --rate spaces frames evenly; --max-gap caps idle gaps; --loop repeats.

Rewrite: by default every frame gets a new, increasing version (order preserved), so a target that already has the data applies it again; --keep-versions sends the originals (a second pass is then acknowledged but changes nothing). Every frame gets a fresh sequence tail for ack tracking. --origin capture keeps the captured origin node names; self or NAME attributes every record to the tool or to NAME. --database replays into another database; --tables / --exclude-tables drop entries of other tables.

Report: as synth (pauses, memory, workers, acks, thresholds, --samples, --html), plus replay.behindScheduleMs and the original vs the replayed ack latency.

Threshold metrics:
${thresholdHelp()}

Exit codes:
${EXIT_CODE_HELP}`;

  static override examples = [
    {
      description: 'What would be sent, and how long it would take',
      command: '<%= config.bin %> <%= command.id %> captures/catchup-40x500.hrcap --dry-run',
    },
    {
      description: 'Into an embedded node, flat out',
      command: '<%= config.bin %> <%= command.id %> captures/catchup-40x500.hrcap --speed max',
    },
    {
      description: 'Into a staging node, four times faster, twice',
      command:
        'HARPER_PASSWORD=… <%= config.bin %> <%= command.id %> incident.hrcap --target http://staging:9925 --speed 4x --loop 2',
    },
  ];

  static override enableJsonFlag = true;

  static override args = { file: Args.string({ description: 'capture file', required: true }) };

  static override flags = {
    ...loadFlags,
    database: Flags.string({ summary: "Database to replay into (default: the capture's)." }),
    speed: Flags.string({ summary: 'Pace relative to the capture: 0.5x, 1x, 4x … or max.', default: '1x' }),
    'max-gap': Flags.string({
      summary: 'Cap idle gaps of the capture at this (e.g. 1s).',
      helpValue: 'DURATION',
    }),
    loop: Flags.integer({ summary: 'Replay the capture this many times.', default: 1, min: 1 }),
    'dry-run': Flags.boolean({
      summary: 'Print frames, records, bytes and the expected duration; send nothing.',
    }),
    retime: Flags.boolean({
      summary:
        'New increasing versions, one per frame (--no-retime or --keep-versions to send the originals).',
      default: true,
      allowNo: true,
    }),
    'keep-versions': Flags.boolean({ summary: 'Send the captured versions (same as --no-retime).' }),
    tables: Flags.string({ summary: 'Only entries of these tables (comma-separated).', helpValue: 'A,B' }),
    'exclude-tables': Flags.string({
      summary: 'Drop entries of these tables (comma-separated).',
      helpValue: 'A,B',
    }),
    origin: Flags.string({
      summary:
        "Origin of the replayed records: 'capture' (the captured node names), 'self' (the tool) or a node NAME.",
      default: 'capture',
    }),
    connection: Flags.integer({
      summary: 'Capture connection to replay (default: the one with the most data).',
      min: 1,
    }),
    'from-frame': Flags.integer({
      summary: 'Skip the first N transaction frames (resume a failed replay).',
      default: 0,
      min: 0,
    }),
  };

  async run(): Promise<ReplayResult | DryRunResult> {
    const { args, flags } = await this.parse(Replay);
    const exit = (code: number): never => this.exit(code);
    if (flags.tables && flags['exclude-tables'])
      usageExit('--tables and --exclude-tables exclude each other', exit);
    let speed: number;
    let maxGapMs: number | undefined;
    try {
      speed = parseSpeed(flags.speed);
      maxGapMs = flags['max-gap'] ? parseDuration(flags['max-gap']) : undefined;
    } catch (error) {
      usageExit((error as Error).message, exit);
    }
    const replay = {
      connection: flags.connection,
      speed,
      speedLabel: flags.speed,
      maxGapMs,
      loops: flags.loop,
      fromFrame: flags['from-frame'],
      retime: flags.retime && !flags['keep-versions'],
      origin: flags.origin,
      tables: list(flags.tables),
      excludeTables: list(flags['exclude-tables']),
    };
    let source: ReplaySource;
    try {
      source = await openReplay(args.file, replay);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      process.stderr.write(
        `Error: ${code === 'ENOENT' ? `no such file: ${args.file}` : (error as Error).message}\n`,
      );
      this.exit(code === 'ENOENT' ? ExitCode.USAGE : ExitCode.BAD_INPUT);
    }
    if (source.framesPerLoop <= 0) {
      await source.close();
      usageExit(
        `--from-frame ${replay.fromFrame}: the capture has ${source.framesPerLoop + replay.fromFrame} transaction frames`,
        exit,
      );
    }
    if (source.truncated)
      process.stderr.write(`warning: ${args.file} is truncated; replaying its complete records\n`);
    if (flags['dry-run']) {
      const result: DryRunResult = {
        dryRun: true,
        capture: args.file,
        connection: source.connection,
        frames: source.frameCount,
        records: source.totalRecords,
        bytes: source.bytes * replay.loops,
        largestFrame: source.largestFrame,
        loops: replay.loops,
        scheduledDurationMs: source.scheduledDurationMs,
        tables: [...source.tables.values()].map((t) => t.name),
        truncated: source.truncated,
        originalAckLatencyMs: source.originalAcks,
      };
      await source.close();
      const limit = flags.via === 'peer' ? 100 * 2 ** 20 : 10 * 2 ** 30;
      if (result.largestFrame > limit) {
        process.stderr.write(
          `warning: the largest frame (${formatBytes(result.largestFrame)}) exceeds what a 4.7 target accepts in ${flags.via} mode\n`,
        );
      }
      if (!this.jsonEnabled()) {
        this.log(
          `${args.file}: would send ${formatCount(result.frames)} frames, ${formatCount(result.records)} records, ${formatBytes(result.bytes)} (largest frame ${formatBytes(result.largestFrame)}; connection ${result.connection}, tables ${result.tables.join(', ') || '–'}) — expected duration ${result.scheduledDurationMs === null ? 'as fast as the target reads' : formatMs(result.scheduledDurationMs)} at ${flags.speed}`,
        );
      }
      return result;
    }
    let options: Parameters<typeof runReplay>[0];
    try {
      options = {
        ...loadOptions(flags, { database: flags.database ?? source.database ?? 'data', verify: false }),
        capture: args.file,
        replay,
      };
    } catch (error) {
      await source.close();
      usageExit(error as Error, exit);
    }
    return executeLoad(
      flags,
      this.jsonEnabled(),
      options,
      (o) => runReplay({ ...options, ...o }, source),
      (line) => this.log(line),
    );
  }
}
