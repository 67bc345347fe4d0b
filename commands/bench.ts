import { Flags } from '@oclif/core';
import { BaseCommand } from '../src/cli/base-command.js';
import { loadFlags, loadOptions, usageExit } from '../src/cli/load-command.js';
import { synthWorkload } from '../src/cli/workload-flags.js';
import { EXIT_CODE_HELP, ExitCode, type HarperReplayError } from '../src/common/errors.js';
import { formatMs } from '../src/common/units.js';
import { MetricsBus } from '../src/events/metrics-bus.js';
import { INSECURE_WARNING } from '../src/net/tls.js';
import { type BenchRun, type BenchSetting, compare } from '../src/report/bench-analysis.js';
import { formatBenchTable, writeBenchHtml } from '../src/report/bench-report.js';
import { NdjsonSink } from '../src/report/ndjson-sink.js';
import { matrix, parseSet, readApplied, runSamplesPath, schedule } from '../src/run/bench-run.js';
import { interruptible } from '../src/run/interrupt.js';
import { OwnedTarget } from '../src/run/owned-target.js';
import { openReplay, runReplay } from '../src/run/replay-run.js';
import { runSynth } from '../src/run/synth-run.js';
import { targetClient, targetError } from '../src/run/target.js';
import { DEFAULT_PRESET, PRESETS, presetNames } from '../src/workload/presets.js';

export interface BenchResult {
  combinations: number;
  repeat: number;
  wallMs: number;
  interrupted: boolean;
  /** --target: the user's node that was reconfigured for every run. */
  target?: string;
  /** --target: the original values put back at the end (null = the node's default). */
  restore?: { ok: boolean; settings: Record<string, unknown>; restartMs?: number; error?: string };
  error?: string;
  settings: BenchSetting[];
  runs: BenchRun[];
}

export default class Bench extends BaseCommand {
  static override summary =
    'Compare receive-side settings on the same workload: a matrix of settings, repeated.';

  static override description =
    `Runs the same workload (synth flags or --capture FILE for a replay) once per combination of the --set lists and repetition, each on a fresh embedded harperdb 4.7.29 started with those settings (Harper env overrides). With --target URL the runs go to your node instead: before every run it is reconfigured (set_configuration) and its worker threads restarted (restart_service http_workers; a full restart for thread counts and ports), so each run starts on fresh workers; synth loads a table of its own per run and drops it afterwards, and at the end — also after Ctrl-C — the original values are put back and the workers restarted once more. Repetitions are interleaved, in a rotated order, so that noise does not favour one setting. Every setting is read back from the node (get_configuration): a key the node does not know is reported as not applied.

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
    samples: Flags.string({
      summary:
        "Write each run's events as NDJSON (input of `report`): the run's number goes before the extension, bench.ndjson → bench-1.ndjson, bench-2.ndjson, …",
      helpValue: 'FILE',
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
      usageExit(error as Error, exit);
    }
    if (base.target.tls?.insecure) process.stderr.write(`warning: ${INSECURE_WARNING}\n`);
    const combinations = matrix(sets);
    let owned: OwnedTarget | undefined;
    if (base.target.url) {
      try {
        owned = await OwnedTarget.open(
          targetClient({ ...base.target, url: base.target.url }),
          sets.map(([key]) => key),
        );
      } catch (error) {
        const failure = targetError(error);
        this.fail(failure.message, failure.exitCode);
      }
    }
    const order = schedule(combinations.length, flags.repeat);
    const runs: BenchRun[] = [];
    const started = Date.now();
    const log = (message: string) => process.stderr.write(`${message}\n`);
    let interrupted = false;
    let failure: HarperReplayError | undefined;
    let restore: BenchResult['restore'];
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
          let restartMs: number | undefined;
          if (owned) {
            log(`      reconfiguring ${owned.client.url} and restarting it`);
            try {
              restartMs = await owned.apply(set, signal);
            } catch (error) {
              if (signal.aborted) break;
              failure = targetError(error);
              log(`      ${failure.message}`);
              break;
            }
          }
          // A node of the user's keeps its data: every synth run gets its own table, dropped afterwards.
          const table = owned ? `${flags.table}_${i + 1}` : flags.table;
          const options = {
            ...base,
            target: owned
              ? base.target
              : {
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
          const samples = flags.samples ? new NdjsonSink(runSamplesPath(flags.samples, i + 1)) : undefined;
          if (samples) options.bus.subscribe(samples.sink);
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
                table,
                workload,
              });
          if (samples) {
            await samples
              .close()
              .then(() => log(`      samples written to ${samples.path}`))
              .catch((error: Error) => log(`      warning: ${error.message}`));
          }
          if (owned && !flags.capture) {
            await owned.client
              .dropTable(flags.database, table)
              .catch((error: Error) =>
                log(`      could not drop ${flags.database}.${table}: ${error.message}`),
              );
          }
          runs.push({
            combination,
            repetition,
            applied,
            ...(restartMs === undefined ? {} : { restartMs }),
            ...(samples ? { samples: samples.path } : {}),
            result,
          });
          log(
            `      ${result.outcome}: peak RSS ${result.memory.peakRss === null ? '–' : `${(result.memory.peakRss / 2 ** 20).toFixed(0)} MiB`}, ${result.pauses.count} pauses (${formatMs(result.pauses.totalMs)}), ${result.timing.commitRecordsPerSec ?? '–'} records/s`,
          );
          if (result.outcome === 'interrupted') break;
        }
      },
      () => {
        interrupted = true;
        process.stderr.write(
          `interrupted: stopping the current run${owned ? '' : ' and its node'}; writing what was measured\n`,
        );
      },
    );
    if (owned) {
      try {
        const restored = await owned.restore();
        if (restored) {
          restore = { ok: true, settings: restored.restored, restartMs: restored.restartMs };
          log(
            `restored ${owned.client.url}: ${Object.entries(restored.restored)
              .map(([k, v]) => `${k}=${v === null ? '(its default)' : v}`)
              .join(' ')}, restarted in ${formatMs(restored.restartMs)}`,
          );
        }
      } catch (error) {
        restore = { ok: false, settings: owned.original, error: targetError(error).message };
        log(
          `could not restore ${owned.client.url} (${restore.error}); set back by hand: ${Object.entries(
            owned.original,
          )
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')}`,
        );
        failure ??= targetError(error);
      }
    }
    const settings = compare(combinations, runs);
    const wallMs = Date.now() - started;
    const table = formatBenchTable(settings, wallMs, interrupted);
    if (!this.jsonEnabled()) this.log(table);
    if (flags.html) {
      await writeBenchHtml(flags.html, settings, table);
      log(`HTML report written to ${flags.html}`);
    }
    const breaches = runs.flatMap((run, i) =>
      run.result.thresholds.filter((t) => !t.ok).map((t) => `run ${i + 1}: ${t.expression}`),
    );
    if (breaches.length) process.stderr.write(`Error: threshold breached: ${breaches.join(', ')}\n`);
    process.exitCode = interrupted
      ? ExitCode.INTERRUPTED
      : failure
        ? failure.exitCode
        : runs.some((run) => run.result.outcome === 'failed')
          ? ExitCode.ERROR
          : breaches.length
            ? ExitCode.THRESHOLD_BREACHED
            : ExitCode.OK;
    return {
      combinations: combinations.length,
      repeat: flags.repeat,
      wallMs,
      interrupted,
      ...(owned ? { target: owned.client.url } : {}),
      ...(restore ? { restore } : {}),
      ...(failure ? { error: failure.message } : {}),
      settings,
      runs,
    };
  }
}
