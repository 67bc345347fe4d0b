import { Command, Flags } from '@oclif/core';
import { nodeConfig, targetFlags } from '../src/cli/shared-flags.js';
import { parseDuration, parseSize } from '../src/cli/units.js';
import { writeHtmlReport } from '../src/report/html-report.js';
import { MetricsBus } from '../src/report/metrics-bus.js';
import { NdjsonSink } from '../src/report/ndjson-sink.js';
import { ProgressReporter } from '../src/report/progress.js';
import { SeriesCollector } from '../src/report/series.js';
import { formatRunSummary } from '../src/report/text-summary.js';
import { parseThreshold, thresholdHelp } from '../src/report/thresholds.js';
import { EXIT_CODE_HELP, ExitCode } from '../src/run/errors.js';
import { interruptible } from '../src/run/interrupt.js';
import { runSynth, type SynthResult } from '../src/run/synth-run.js';
import { DEFAULT_PRESET, PRESETS, presetNames } from '../src/workload/presets.js';

export default class Synth extends Command {
  static override summary =
    'Stream synthetic replication batches (oversized frames, blobs) into a Harper node as a replication peer.';

  static override description =
    `The tool acts as a replication peer and pushes a synthetic backlog into the target, then checks that every record landed.

--via peer (default): the tool listens, calls add_node on the target, and streams when the target subscribes — Harper's own flow; remove_node at the end, also on Ctrl-C. --via push: the tool dials the target's replication port with the credentials and sends unsolicited.

The workload is a preset (default ${DEFAULT_PRESET}) with any of --frames, --records-per-frame, --record-size, --blob-size, --blobs-per-frame overriding it. Records are {id, frame, payload[, blob]} with ids 1…N, deterministic from --seed. Presets:
${presetNames()
  .map((name) => `  ${name.padEnd(16)} ${PRESETS[name]!.description}`)
  .join('\n')}

Report: stall episodes (when the target stopped reading, and whether it was flow control or a blocked event loop), the target's memory (/proc every 20 ms for a local node, system_information for any), worker deaths, OOMs and reconnects. --samples writes every event as NDJSON, --html a self-contained page with charts; \`report\` rebuilds both from a samples file.

Threshold metrics (--threshold 'metric op value', op one of < <= > >= == !=):
${thresholdHelp()}

Exit codes:
${EXIT_CODE_HELP}`;

  static override examples = [
    {
      description: 'Run the default preset against an embedded throwaway node',
      command: '<%= config.bin %> <%= command.id %>',
    },
    {
      description: 'The catch-up scenario of PR #150',
      command: '<%= config.bin %> <%= command.id %> --preset catchup-40x500',
    },
    {
      description: 'A staging node, push mode, 3 frames of 100k records',
      command:
        'HARPER_PASSWORD=… <%= config.bin %> <%= command.id %> --target http://staging:9925 --via push --frames 3 --records-per-frame 100000',
    },
    {
      description: 'Embedded node with a low commit backlog limit',
      command:
        '<%= config.bin %> <%= command.id %> --node-config REPLICATION_RECORDCONCURRENCY=2 --frames 300 --records-per-frame 1000',
    },
  ];

  static override enableJsonFlag = true;

  static override flags = {
    ...targetFlags,
    via: Flags.string({
      summary: 'How to get frames into the target.',
      options: ['peer', 'push'],
      default: 'peer',
    }),
    listen: Flags.string({
      summary: 'Peer mode: address the tool listens on for the target to dial (port 0 = any free port).',
      default: '127.0.0.1:0',
      helpValue: 'HOST:PORT',
    }),
    database: Flags.string({ summary: 'Database to load (created if missing).', default: 'data' }),
    table: Flags.string({
      summary: 'Table to load (created if missing, primary key id).',
      default: 'harper_replay_synth',
    }),
    preset: Flags.string({
      summary: `Named workload (${presetNames().join(', ')}).`,
      default: DEFAULT_PRESET,
    }),
    frames: Flags.integer({ summary: 'Transaction frames (WebSocket messages) to send.', min: 1 }),
    'records-per-frame': Flags.integer({ summary: 'Records in each frame.', min: 1 }),
    'record-size': Flags.string({
      summary: 'Approximate encoded size of each record (e.g. 256, 1KB).',
      helpValue: 'BYTES',
    }),
    'blob-size': Flags.string({
      summary: 'Blob per record, sent as BLOB_CHUNK frames (0 = none; e.g. 50KB).',
      helpValue: 'BYTES',
    }),
    'blobs-per-frame': Flags.integer({
      summary: 'How many records of each frame carry a blob (default: all).',
      min: 0,
    }),
    rate: Flags.integer({ summary: 'Frames per second (default: as fast as the target reads).', min: 1 }),
    seed: Flags.integer({ summary: 'Seed of the record contents.', default: 1 }),
    'max-reconnects': Flags.integer({
      summary: 'Resume this many times after the target drops the stream.',
      default: 5,
      min: 0,
    }),
    'ack-timeout': Flags.string({
      summary: 'Give up when no frame is committed for this long.',
      default: '120s',
      helpValue: 'DURATION',
    }),
    'subscribe-timeout': Flags.string({
      summary: 'Peer mode: how long to wait for the target to subscribe.',
      default: '30s',
      helpValue: 'DURATION',
    }),
    'high-water-mark': Flags.string({
      summary: 'Bytes the tool queues per socket before waiting for drain.',
      default: '4MiB',
      helpValue: 'BYTES',
    }),
    verify: Flags.boolean({
      summary: "Count the target's records at the end (--no-verify to skip).",
      default: true,
      allowNo: true,
    }),
    threshold: Flags.string({
      summary:
        "Pass/fail condition, repeatable: 'peakRss<1.5GiB', 'oomEvents==0', 'pausedMs<=2s', 'ackP99<500ms'. Exit 99 on a breach.",
      multiple: true,
      helpValue: 'EXPR',
    }),
    'pause-threshold': Flags.string({
      summary: 'Stalls longer than this are reported as pause episodes.',
      default: '50ms',
      helpValue: 'DURATION',
    }),
    'blocked-after': Flags.string({
      summary: 'A target that leaves the probe unanswered this long counts as blocked (not flow control).',
      default: '500ms',
      helpValue: 'DURATION',
    }),
    'sample-interval': Flags.string({
      summary: 'Interval of system_information samples (memory, threads) of any target.',
      default: '250ms',
      helpValue: 'DURATION',
    }),
    samples: Flags.string({
      summary: 'Write every sample and event as NDJSON (input of `report`).',
      helpValue: 'FILE',
    }),
    html: Flags.string({ summary: 'Write a self-contained HTML report with charts.', helpValue: 'FILE' }),
    progress: Flags.boolean({
      summary: 'Live progress on stderr (off when stdout is not a TTY).',
      default: true,
      allowNo: true,
    }),
  };

  async run(): Promise<SynthResult> {
    const { flags } = await this.parse(Synth);
    const preset = PRESETS[flags.preset];
    if (!preset)
      this.usageError(`unknown preset "${flags.preset}"; choose one of: ${presetNames().join(', ')}`);
    let options: Parameters<typeof runSynth>[0];
    try {
      const [listenHost, listenPort] = splitHostPort(flags.listen);
      const blobSize = flags['blob-size'] === undefined ? preset.blobSize : parseSize(flags['blob-size']);
      options = {
        target: {
          url: flags.target,
          credentials: flags.target ? { user: flags.user, password: flags.password ?? '' } : undefined,
          replicationUrl: flags.replication,
          embedded: {
            config: { ...preset.nodeConfig, ...nodeConfig(flags['node-config']) },
            threads: flags.threads,
            keep: flags['keep-node'],
          },
        },
        via: flags.via as 'peer' | 'push',
        listenHost,
        listenPort,
        database: flags.database,
        table: flags.table,
        workload: {
          preset: preset.name,
          frames: flags.frames ?? preset.frames,
          recordsPerFrame: flags['records-per-frame'] ?? preset.recordsPerFrame,
          recordSize:
            flags['record-size'] === undefined ? preset.recordSize : parseSize(flags['record-size']),
          blobSize,
          blobsPerFrame: flags['blobs-per-frame'] ?? preset.blobsPerFrame,
          seed: flags.seed,
        },
        rate: flags.rate,
        maxReconnects: flags['max-reconnects'] ?? preset.maxReconnects ?? 5,
        thresholds: (flags.threshold ?? []).map((expression) => parseThreshold(expression).expression),
        pauseThresholdMs: parseDuration(flags['pause-threshold']),
        blockedAfterMs: parseDuration(flags['blocked-after']),
        sysinfoIntervalMs: parseDuration(flags['sample-interval']),
        ackTimeoutMs: parseDuration(flags['ack-timeout']),
        subscribeTimeoutMs: parseDuration(flags['subscribe-timeout']),
        verify: flags.verify,
        verbose: flags.verbose,
        highWaterMark: parseSize(flags['high-water-mark']),
        signal: new AbortController().signal,
      };
    } catch (error) {
      this.usageError((error as Error).message);
    }
    if (flags.target && flags.password === undefined) {
      this.usageError('--target needs credentials: --password or HARPER_PASSWORD (and --user / HARPER_USER)');
    }

    const bus = new MetricsBus();
    const samples = flags.samples ? new NdjsonSink(flags.samples) : undefined;
    if (samples) bus.subscribe(samples.sink);
    const series = flags.html ? new SeriesCollector() : undefined;
    if (series) bus.subscribe(series.sink);
    const quiet = this.jsonEnabled();
    const progress =
      flags.progress && !quiet && process.stdout.isTTY
        ? new ProgressReporter(options.blockedAfterMs, options.pauseThresholdMs)
        : undefined;
    if (progress) bus.subscribe(progress.sink);
    // Status lines go to stderr (stdout stays clean for the summary or --json), unless the progress bar owns it.
    const log = (message: string) => {
      if (!progress) process.stderr.write(`${message}\n`);
    };

    const result = await interruptible(
      (signal) => runSynth({ ...options, signal, bus, log }),
      () => {
        progress?.stop();
        process.stderr.write('interrupted: stopping the stream and cleaning up (Ctrl-C again to force)\n');
      },
    );
    progress?.stop();
    const written = await this.writeOutputs(result, samples, flags.html, series);
    // A run that failed before sending anything has nothing to summarize: the error line says it all.
    const started = result.sent.frames > 0 || result.outcome !== 'failed';
    if (!quiet && started) this.log(formatRunSummary(result));
    if (result.error && result.exitCode !== ExitCode.OK) process.stderr.write(`Error: ${result.error}\n`);
    const breached = result.thresholds.filter((t) => !t.ok).map((t) => t.expression);
    if (breached.length) process.stderr.write(`Error: threshold breached: ${breached.join(', ')}\n`);
    for (const line of written) process.stderr.write(`${line}\n`);
    process.exitCode = result.exitCode;
    return result;
  }

  /** Files are written whatever the outcome: an interrupted or failed run keeps what it measured. */
  private async writeOutputs(
    result: SynthResult,
    samples: NdjsonSink | undefined,
    html: string | undefined,
    series: SeriesCollector | undefined,
  ) {
    const written: string[] = [];
    if (samples) {
      await samples.close().catch((error: Error) => written.push(`warning: ${error.message}`));
      written.push(`samples written to ${samples.path}`);
    }
    if (html && series) {
      try {
        await writeHtmlReport(html, result, series.series());
        written.push(`HTML report written to ${html}`);
      } catch (error) {
        written.push(`warning: cannot write ${html}: ${(error as Error).message}`);
      }
    }
    return written;
  }

  /** One unwrapped line on stderr and exit 2 (oclif's this.error would wrap it to the terminal width). */
  private usageError(message: string): never {
    process.stderr.write(`Error: ${message}\n`);
    this.exit(ExitCode.USAGE);
  }
}

function splitHostPort(text: string): [string, number] {
  const match = /^(.*):(\d+)$/.exec(text.trim());
  if (!match) throw new Error(`--listen "${text}" is not HOST:PORT`);
  return [match[1]!.replace(/^\[|\]$/g, '') || '127.0.0.1', Number(match[2])];
}
