/**
 * What every load command (synth, replay, bench) shares: the flags that say where and how to send and what to
 * report (its base class, LoadCommand), turning them into run options, and running with progress, Ctrl-C handling,
 * output files and the summary.
 */

import { Flags } from '@oclif/core';
import { ExitCode } from '../common/errors.js';
import { checkOutputs, type PlannedOutput } from '../common/output-files.js';
import { framesPerSecond, parseRate, type Rate } from '../common/rates.js';
import { parseDuration, parseSize } from '../common/units.js';
import { MetricsBus } from '../events/metrics-bus.js';
import { parseTargetFault, type TargetFault } from '../harper/target-faults.js';
import { INSECURE_WARNING } from '../net/tls.js';
import { writeHtmlReport } from '../report/html-report.js';
import { runSuite, writeJunit } from '../report/junit.js';
import { NdjsonSink } from '../report/ndjson-sink.js';
import { ProgressReporter } from '../report/progress.js';
import {
  PROMETHEUS_RW_ENV,
  PrometheusSink,
  parseRemoteWriteUrl,
  prometheusWarning,
} from '../report/prometheus-sink.js';
import type { RunResult } from '../report/result.js';
import { SeriesCollector } from '../report/series.js';
import { formatRunSummary } from '../report/text-summary.js';
import { parseRunThreshold } from '../report/thresholds.js';
import { interruptible } from '../run/interrupt.js';
import type { LoadRunOptions } from '../run/load-run.js';
import type { TargetSpec } from '../run/target.js';
import { BaseCommand, UsageError } from './base-command.js';
import { withHelpGroups } from './help-groups.js';
import { DEFAULT_LISTEN_HOST, listenFlag } from './listen-flag.js';
import {
  checkUrl,
  excludes,
  type FlagValues,
  flagValue,
  forceFlag,
  needs,
  nodeConfig,
  positive,
  requiring,
  targetFlags,
  tlsFlags,
} from './shared-flags.js';
import { type ConnectionSecurity, readListenCertificate, resolveTlsFlags } from './tls-options.js';

/** --listen-tls/--listen-cert/--listen-key: the target dials the tool only in peer mode. */
const peerModeOnly = excludes({ name: 'via', when: async (flags) => flags.via !== 'peer' });

export const loadFlags = {
  ...targetFlags,
  // TLS and token flags apply to a node named with --target (the embedded node is plain and local).
  ...requiring(tlsFlags, 'target'),
  via: Flags.option({
    summary: 'How to get frames into the target.',
    options: ['peer', 'push'] as const,
    default: 'peer',
  })(),
  listen: listenFlag('Peer mode: the tool (dialed by the target)', `${DEFAULT_LISTEN_HOST}:0`),
  'listen-tls': Flags.boolean({
    summary:
      'Peer mode: listen on wss with a certificate and a CA made for this run (the CA is trusted on the target and signs its certificate request; both removed at the end).',
    relationships: [excludes('listen-cert', 'listen-key'), peerModeOnly],
  }),
  'listen-cert': Flags.string({
    summary:
      "Peer mode: listen on wss with this certificate (PEM; its CN/SAN becomes the tool's node name). Needs --listen-key.",
    helpValue: 'FILE',
    relationships: [peerModeOnly],
  }),
  'listen-key': Flags.string({
    summary: 'Private key (PEM) of --listen-cert.',
    helpValue: 'FILE',
    relationships: [peerModeOnly],
  }),
  'fan-out': Flags.boolean({
    summary:
      "Load every member of the target's cluster (default: the target only), each with its own stream, acks and report section: in peer mode those that subscribe to the tool, in push mode each member dialed at the replication URL the target's cluster_status gives.",
    // The embedded node has no cluster.
    relationships: [needs('target')],
  }),
  member: Flags.string({
    summary:
      "--fan-out: a member's operations API URL, repeatable, to sample its memory and verify it (default: derived from its replication URL).",
    multiple: true,
    helpValue: 'URL',
    relationships: [needs('fan-out')],
  }),
  rate: Flags.custom<Rate>({
    summary:
      'Records/s (5000rps) or frames/s (0.5fps: one frame every 2 s); a bare number is frames/s (default: as fast as the target reads).',
    helpValue: 'RATE',
    parse: async (text) => parseRate(text),
  })(),
  'max-reconnects': Flags.integer({
    summary:
      'Resume this many times after the target drops the stream (default 5; a preset may say otherwise).',
    min: 0,
  }),
  'until-resubscribed': Flags.integer({
    summary:
      'End the run once every stream the Nth worker death dropped has re-subscribed (exit 3: not every frame was sent); 0: never (a preset may set it).',
    min: 0,
    helpValue: 'N',
  }),
  'ack-timeout': Flags.string({
    summary: 'Give up when no frame is committed for this long.',
    default: '120s',
    helpValue: 'DURATION',
  }),
  'target-fault': Flags.string({
    summary:
      'Embedded target only: a fault installed in the node the tool starts, repeatable: blob-write-fail:N (every Nth blob file write fails with ENOENT), blob-write-slow:3ms (blob file writes go through one slow disk per worker: each write takes 3 ms, all files queue). Never installed on a --target node.',
    multiple: true,
    helpValue: 'KIND:VALUE',
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
  'cluster-status-interval': Flags.string({
    summary:
      "Interval of cluster_status samples (each replication link's back-pressure, last received/committed); 0 turns them off.",
    default: '1s',
    helpValue: 'DURATION',
  }),
  samples: Flags.string({
    summary: 'Write every sample and event as NDJSON (input of `report`).',
    helpValue: 'FILE',
  }),
  html: Flags.string({ summary: 'Write a self-contained HTML report with charts.', helpValue: 'FILE' }),
  junit: Flags.string({
    summary:
      'Write the threshold verdicts as JUnit XML for CI: one test case per threshold (bench: per setting), a failure carrying the measured value.',
    helpValue: 'FILE',
  }),
  'prometheus-rw': Flags.string({
    summary: `Push live metrics to this Prometheus remote-write endpoint while the run goes (e.g. http://127.0.0.1:9090/api/v1/write; user:password@ in the URL for basic auth). A Prometheus that is down is a warning, never a failed run.`,
    env: PROMETHEUS_RW_ENV,
    helpValue: 'URL',
    parse: async (text) => {
      parseRemoteWriteUrl(text);
      return text;
    },
  }),
  ...forceFlag,
  progress: Flags.boolean({
    summary: 'Live progress on stderr (off when stdout is not a TTY).',
    default: true,
    allowNo: true,
  }),
};

export type LoadFlagValues = FlagValues<typeof loadFlags>;

/** The base of synth, replay and bench: the load flags for every one of them (oclif's baseFlags), --json. */
export abstract class LoadCommand extends BaseCommand {
  static override baseFlags = withHelpGroups(loadFlags);
  static override enableJsonFlag = true;
}

/**
 * Run options from the shared flags; throws UsageError with a one-line message on a bad value, or a
 * HarperReplayError with its own exit code (a --ca/--cert/--key file missing or not PEM: bad input). Flag
 * relations (--fan-out needs --target, --member needs --fan-out, …) are oclif's, checked by parse.
 */
export function loadOptions(
  flags: LoadFlagValues,
  defaults: {
    database: string;
    /** Several databases loaded at once (synth --databases). */
    databases?: string[];
    nodeConfig?: Record<string, string>;
    maxReconnects?: number;
    untilResubscribed?: number;
    verify: boolean;
    /** Records in every frame (synthetic workloads): lets --rate be records/s. */
    recordsPerFrame?: number;
  },
): LoadRunOptions {
  // Kept by hand for its wording (oclif's dependsOn would say "All of the following must be provided …").
  if (Boolean(flags['listen-cert']) !== Boolean(flags['listen-key'])) {
    throw new UsageError('--listen-cert and --listen-key go together');
  }
  // The tool never installs code on a user's node: faults only go into the node it starts itself.
  if (flags['target-fault']?.length && flags.target) {
    throw new UsageError(
      '--target-fault installs a component into the node under test, so it works only on the embedded target the tool starts itself, never with --target (nothing was touched)',
    );
  }
  const faults = (flags['target-fault'] ?? []).map(parseTargetFault);
  const security = resolveTlsFlags(flags, flags.password);
  const listenCertificate =
    flags['listen-cert'] && flags['listen-key']
      ? readListenCertificate(flags['listen-cert'], flags['listen-key'])
      : undefined;
  // By hand: an empty --password is a password, and the message names the environment variables.
  if (flags.target && flags.password === undefined && security.token === undefined) {
    throw new UsageError(
      '--target needs credentials: --password or HARPER_PASSWORD (and --user / HARPER_USER), or --token / HARPER_TOKEN',
    );
  }
  try {
    return {
      target: targetSpec(flags, security, defaults.nodeConfig, faults),
      via: flags.via,
      // The flag's default; oclif's types do not see a custom flag's default.
      listenHost: flags.listen?.host ?? DEFAULT_LISTEN_HOST,
      listenPort: flags.listen?.port ?? 0,
      database: defaults.databases?.[0] ?? defaults.database,
      ...(defaults.databases && defaults.databases.length > 1 ? { databases: defaults.databases } : {}),
      ...(flags['fan-out'] ? { fanOut: true, memberUrls: flags.member ?? [] } : {}),
      ...(flags['listen-tls'] ? { listenTls: {} } : {}),
      ...(listenCertificate ? { listenTls: listenCertificate } : {}),
      rate: framesPerSecondOf(flags.rate, defaults.recordsPerFrame),
      maxReconnects: flags['max-reconnects'] ?? defaults.maxReconnects ?? 5,
      ...untilResubscribed(flags['until-resubscribed'] ?? defaults.untilResubscribed),
      thresholds: (flags.threshold ?? []).map(
        (expression) => flagValue('threshold', expression, parseRunThreshold).expression,
      ),
      pauseThresholdMs: flagValue('pause-threshold', flags['pause-threshold'], parseDuration),
      blockedAfterMs: positiveDuration(flags, 'blocked-after'),
      sysinfoIntervalMs: positiveDuration(flags, 'sample-interval'),
      clusterStatusIntervalMs: flagValue(
        'cluster-status-interval',
        flags['cluster-status-interval'],
        parseDuration,
      ),
      ackTimeoutMs: positiveDuration(flags, 'ack-timeout'),
      subscribeTimeoutMs: positiveDuration(flags, 'subscribe-timeout'),
      verify: defaults.verify,
      verbose: flags.verbose,
      highWaterMark: flagValue('high-water-mark', flags['high-water-mark'], positive(parseSize)),
      signal: new AbortController().signal,
    };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** 0 (or nothing) turns the rule off. */
function untilResubscribed(death: number | undefined): { untilResubscribed?: number } {
  return death ? { untilResubscribed: death } : {};
}

function positiveDuration(
  flags: LoadFlagValues,
  flag: 'sample-interval' | 'ack-timeout' | 'subscribe-timeout' | 'blocked-after',
): number {
  return flagValue(flag, flags[flag], positive(parseDuration));
}

/**
 * --rate as frames/s for the sender: records/s convert through the frames' fixed record count; a source whose
 * frames differ (a replay) takes frames/s only.
 */
function framesPerSecondOf(rate: Rate | undefined, recordsPerFrame: number | undefined): number | undefined {
  if (!rate) return undefined;
  if (rate.unit === 'fps') return rate.perSecond;
  if (recordsPerFrame === undefined) {
    throw new Error(
      `--rate ${rate.perSecond}rps: a capture's frames hold different numbers of records; give frames/s (e.g. --rate 10fps)`,
    );
  }
  return framesPerSecond(rate, recordsPerFrame);
}

/** The run's --samples and --html files, checked against its inputs before anything runs (a usage error). */
export function checkLoadOutputs(
  flags: Pick<LoadFlagValues, 'samples' | 'html' | 'junit' | 'force'>,
  inputs: string[],
  samples: string[] = flags.samples ? [flags.samples] : [],
): void {
  const outputs: PlannedOutput[] = samples.map((path) => ({ flag: '--samples', path }));
  if (flags.html) outputs.push({ flag: '--html', path: flags.html });
  if (flags.junit) outputs.push({ flag: '--junit', path: flags.junit });
  checkOutputs(outputs, inputs, flags.force);
}

/** Where the load goes: the node named with --target (and how to log in), else an embedded one. */
function targetSpec(
  flags: LoadFlagValues,
  security: ConnectionSecurity,
  defaultConfig: Record<string, string> | undefined,
  faults: TargetFault[],
): TargetSpec {
  return {
    url: flags.target === undefined ? undefined : checkUrl('target', flags.target),
    credentials:
      flags.target && security.token === undefined
        ? { user: flags.user, password: flags.password ?? '' }
        : undefined,
    ...(security.token !== undefined ? { token: security.token } : {}),
    ...(security.tls ? { tls: security.tls } : {}),
    ...(security.caFromTarget ? { caFromTarget: true } : {}),
    replicationUrl: flags.replication,
    embedded: {
      config: { ...defaultConfig, ...nodeConfig(flags['node-config']) },
      threads: flags.threads,
      keep: flags['keep-node'],
      ...(faults.length ? { faults } : {}),
    },
  };
}

/**
 * Runs a load with the reporters the flags ask for, writes the output files whatever the outcome, prints the
 * summary (stdout) and errors (stderr), and sets the exit code. Returns the result for --json.
 */
export async function executeLoad<T extends RunResult>(
  flags: LoadFlagValues,
  json: boolean,
  options: LoadRunOptions,
  run: (options: LoadRunOptions) => Promise<T>,
  print: (line: string) => void,
): Promise<T> {
  if (options.target.tls?.insecure) process.stderr.write(`warning: ${INSECURE_WARNING}\n`);
  const bus = new MetricsBus();
  const samples = flags.samples ? new NdjsonSink(flags.samples, flags.force) : undefined;
  if (samples) bus.subscribe(samples.sink);
  const series = flags.html ? new SeriesCollector() : undefined;
  if (series) bus.subscribe(series.sink);
  const progress =
    flags.progress && !json && process.stdout.isTTY
      ? new ProgressReporter(options.blockedAfterMs, options.pauseThresholdMs)
      : undefined;
  if (progress) bus.subscribe(progress.sink);
  const prometheus = flags['prometheus-rw']
    ? new PrometheusSink(flags['prometheus-rw'], {
        warn: (message) => process.stderr.write(`warning: ${message}\n`),
      })
    : undefined;
  if (prometheus) bus.subscribe(prometheus.sink);
  // Status lines go to stderr (stdout stays clean for the summary or --json), unless the progress bar owns it.
  const log = (message: string) => {
    if (!progress) process.stderr.write(`${message}\n`);
  };
  const result = await interruptible(
    (signal) => run({ ...options, signal, bus, log }),
    () => {
      progress?.stop();
      process.stderr.write('interrupted: stopping the stream and cleaning up (Ctrl-C again to force)\n');
    },
  );
  progress?.stop();
  if (prometheus) {
    result.prometheus = await prometheus.close();
    if (result.prometheus.failedPushes) result.warnings.push(prometheusWarning(result.prometheus));
  }
  const written: string[] = [];
  // Files are written whatever the outcome: an interrupted or failed run keeps what it measured.
  if (samples) {
    await samples.close().catch((error: Error) => written.push(`warning: ${error.message}`));
    written.push(`samples written to ${samples.path}`);
  }
  if (flags.html && series) {
    try {
      await writeHtmlReport(flags.html, result, series.series(), flags.force);
      written.push(`HTML report written to ${flags.html}`);
    } catch (error) {
      written.push(`warning: cannot write ${flags.html}: ${(error as Error).message}`);
    }
  }
  if (flags.junit) {
    try {
      await writeJunit(flags.junit, [runSuite(result.command, result.thresholds)], flags.force);
      written.push(`JUnit report written to ${flags.junit}`);
    } catch (error) {
      written.push(`warning: cannot write ${flags.junit}: ${(error as Error).message}`);
    }
  }
  // A run that failed before sending anything has nothing to summarize: the error line says it all.
  const started = result.sent.frames > 0 || result.outcome !== 'failed';
  if (!json && started) print(formatRunSummary(result));
  if (result.error && result.exitCode !== ExitCode.OK) process.stderr.write(`Error: ${result.error}\n`);
  const breached = result.thresholds.filter((t) => t.ok === false).map((t) => t.expression);
  if (breached.length) process.stderr.write(`Error: threshold breached: ${breached.join(', ')}\n`);
  for (const line of written) process.stderr.write(`${line}\n`);
  process.exitCode = result.exitCode;
  return result;
}
