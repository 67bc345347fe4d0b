import { Command, Flags } from '@oclif/core';
import { loadFlags, loadOptions, usageExit } from '../src/cli/load-command.js';
import { formatMs } from '../src/cli/units.js';
import { synthWorkload } from '../src/cli/workload-flags.js';
import { formatBenchTable, writeBenchHtml } from '../src/report/bench-report.js';
import { MetricsBus } from '../src/report/metrics-bus.js';
import {
  type BenchRun,
  type BenchSetting,
  compare,
  matrix,
  parseSet,
  readApplied,
  schedule,
} from '../src/run/bench-run.js';
import { EXIT_CODE_HELP, ExitCode } from '../src/run/errors.js';
import { interruptible } from '../src/run/interrupt.js';
import { openReplay, runReplay } from '../src/run/replay-run.js';
import { runSynth } from '../src/run/synth-run.js';
import { DEFAULT_PRESET, PRESETS, presetNames } from '../src/workload/presets.js';

export interface BenchResult {
  combinations: number;
  repeat: number;
  wallMs: number;
  interrupted: boolean;
  settings: BenchSetting[];
  runs: BenchRun[];
}

export default class Bench extends Command {
  static override summary =
    'Compare receive-side settings on the same workload: a matrix of settings, repeated.';

  static override description =
    `Runs the same workload (synth flags or --capture FILE for a replay) once per combination of the --set lists and repetition, each on a fresh embedded harperdb 4.7.29 started with those settings (Harper env overrides). Repetitions are interleaved, in a rotated order, so that noise does not favour one setting. Every setting is read back from the node (get_configuration): a key the node does not know is reported as not applied.

Output: a comparison table (median and min–max of peak RSS, pauses, paused time, committed records/s, ack p99, worker deaths; * marks the best per column) and how noisy the repetitions were; --json with every run's full result; --html with the comparison as charts.

Exit codes:
${EXIT_CODE_HELP}`;

  static override examples = [
    '<%= config.bin %> <%= command.id %> --set REPLICATION_RECORDCONCURRENCY=2,150 --repeat 3 --frames 300 --records-per-frame 1000',
    '<%= config.bin %> <%= command.id %> --set REPLICATION_RECORDCONCURRENCY=2,20,150 --set THREADS_COUNT=1,2 --preset oversized-10k --html bench.html',
    '<%= config.bin %> <%= command.id %> --set REPLICATION_BLOBCONCURRENCY=1,5 --capture captures/blobs-12x50k.hrcap',
  ];

  static override enableJsonFlag = true;

  static override flags = {
    ...loadFlags,
    set: Flags.string({
      summary: 'A setting and its values, repeatable: KEY=v1,v2,… (Harper env override keys).',
      multiple: true,
      required: true,
      helpValue: 'KEY=v1,v2',
    }),
    repeat: Flags.integer({ summary: 'Repetitions of every combination.', default: 3, min: 1 }),
    capture: Flags.string({
      summary: 'Replay this capture (flat out) instead of a synthetic workload.',
      helpValue: 'FILE',
    }),
    database: Flags.string({ summary: 'Database to load.', default: 'data' }),
    table: Flags.string({ summary: 'Synth: table to load.', default: 'harper_replay_synth' }),
    preset: Flags.string({
      summary: `Synth workload (${presetNames().join(', ')}).`,
      default: DEFAULT_PRESET,
    }),
    frames: Flags.integer({ summary: 'Synth: frames.', min: 1 }),
    'records-per-frame': Flags.integer({ summary: 'Synth: records per frame.', min: 1 }),
    'record-size': Flags.string({ summary: 'Synth: approximate record size.', helpValue: 'BYTES' }),
    'blob-size': Flags.string({ summary: 'Synth: blob per record (0 = none).', helpValue: 'BYTES' }),
  };

  async run(): Promise<BenchResult> {
    const { flags } = await this.parse(Bench);
    const exit = (code: number): never => this.exit(code);
    if (flags.target) {
      usageExit(
        'bench runs every combination on a fresh embedded node; --target (reconfiguring your own node) is not supported yet',
        exit,
      );
    }
    const preset = PRESETS[flags.preset];
    if (!preset)
      usageExit(`unknown preset "${flags.preset}"; choose one of: ${presetNames().join(', ')}`, exit);
    let sets: Array<[string, string[]]>;
    let base: ReturnType<typeof loadOptions>;
    let workload: ReturnType<typeof synthWorkload>;
    try {
      sets = flags.set.map(parseSet);
      workload = synthWorkload(preset, flags, 1);
      base = loadOptions(
        { ...flags, html: undefined, samples: undefined },
        { database: flags.database, verify: !flags.capture, maxReconnects: preset.maxReconnects },
      );
    } catch (error) {
      usageExit((error as Error).message, exit);
    }
    const combinations = matrix(sets);
    const order = schedule(combinations.length, flags.repeat);
    const runs: BenchRun[] = [];
    const started = Date.now();
    const log = (message: string) => process.stderr.write(`${message}\n`);
    let interrupted = false;
    await interruptible(
      async (signal) => {
        for (const [i, { combination, repetition }] of order.entries()) {
          if (signal.aborted) break;
          const set = combinations[combination]!.set;
          log(
            `[${i + 1}/${order.length}] combination ${combination + 1} of ${combinations.length} (${Object.entries(
              set,
            )
              .map(([k, v]) => `${k}=${v}`)
              .join(' ')}), repetition ${repetition + 1} of ${flags.repeat}`,
          );
          let applied: Record<string, boolean> = Object.fromEntries(Object.keys(set).map((k) => [k, false]));
          const options = {
            ...base,
            target: {
              embedded: {
                config: { ...preset.nodeConfig, ...base.target.embedded?.config, ...set },
                threads: flags.threads,
              },
            },
            signal,
            bus: new MetricsBus(),
            log: (message: string) => log(`      ${message}`),
            onTarget: async (target: Parameters<NonNullable<typeof base.onTarget>>[0]) => {
              applied = await readApplied(target, set).catch(() => applied);
            },
          };
          const result = flags.capture
            ? await runReplay(
                {
                  ...options,
                  capture: flags.capture,
                  replay: {
                    speed: Number.POSITIVE_INFINITY,
                    speedLabel: 'max',
                    loops: 1,
                    fromFrame: 0,
                    retime: true,
                    origin: 'capture',
                  },
                },
                await openReplay(flags.capture, {
                  speed: Number.POSITIVE_INFINITY,
                  loops: 1,
                  fromFrame: 0,
                  retime: true,
                  origin: 'capture',
                }),
              )
            : await runSynth({
                ...options,
                table: flags.table,
                workload,
              });
          runs.push({ combination, repetition, applied, result });
          log(
            `      ${result.outcome}: peak RSS ${result.memory.peakRss === null ? '–' : `${(result.memory.peakRss / 2 ** 20).toFixed(0)} MiB`}, ${result.pauses.count} pauses (${formatMs(result.pauses.totalMs)}), ${result.timing.commitRecordsPerSec ?? '–'} records/s`,
          );
          if (result.outcome === 'interrupted') break;
        }
      },
      () => {
        interrupted = true;
        process.stderr.write(
          'interrupted: stopping the current run and its node; writing what was measured\n',
        );
      },
    );
    const settings = compare(combinations, runs);
    const wallMs = Date.now() - started;
    const table = formatBenchTable(settings, wallMs, interrupted);
    if (!this.jsonEnabled()) this.log(table);
    if (flags.html) {
      await writeBenchHtml(flags.html, settings, table);
      log(`HTML report written to ${flags.html}`);
    }
    process.exitCode = interrupted
      ? ExitCode.INTERRUPTED
      : runs.some((run) => run.result.outcome === 'failed')
        ? ExitCode.ERROR
        : ExitCode.OK;
    return { combinations: combinations.length, repeat: flags.repeat, wallMs, interrupted, settings, runs };
  }
}
