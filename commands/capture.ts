import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Flags } from '@oclif/core';
import cliProgress from 'cli-progress';
import { BaseCommand } from '../src/cli/base-command.js';
import { tlsFlags } from '../src/cli/shared-flags.js';
import { defaultCaptureName, parseSince } from '../src/cli/since.js';
import { type ConnectionSecurity, readListenCertificate, resolveTlsFlags } from '../src/cli/tls-options.js';
import { EXIT_CODE_HELP, ExitCode, HarperReplayError } from '../src/common/errors.js';
import { formatBytes, parseDuration } from '../src/common/units.js';
import type { ListenCertificate } from '../src/net/listen.js';
import { INSECURE_WARNING } from '../src/net/tls.js';
import { type CaptureResult, runCapture } from '../src/run/capture-run.js';
import { interruptible } from '../src/run/interrupt.js';
import { type ProxyResult, runProxyCapture } from '../src/run/proxy-run.js';

const list = (text: string | undefined) =>
  text
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export default class Capture extends BaseCommand {
  static override summary =
    "Record a real node's replication stream (or two nodes' traffic) to a capture file.";

  static override description =
    `Subscriber mode (default): connect to --source like a receiving peer, subscribe to --database from --since, record every message both ways, and ack like a real receiver (--no-ack to not). Stops on --duration, --frames, --until-idle or Ctrl-C, always finalizing the file.

Proxy mode (--proxy): a transparent WebSocket proxy between two real nodes — point the receiving node's add_node URL at --listen, the proxy forwards to --upstream and records both directions. The Authorization header is passed upstream but never written; backpressure is propagated end to end. The system database is forwarded but not recorded (it carries user hashes and node credentials).

TLS: a wss:// source or upstream is verified against --ca (or the system CAs); --ca-from-target trusts the source's own CA (list_certificates over its operations API); --cert/--key present a client certificate; --insecure skips verification (warned). --token (HARPER_TOKEN) authenticates with a bearer token instead of --user/--password. The capture header records only that TLS was used and the source certificate's subject and SHA-256 fingerprint.

Captures never contain credentials. Format: captures/README.md. Ctrl-C stops a capture normally: the file is finalized and the exit code is 0.

Exit codes:
${EXIT_CODE_HELP}`;

  static override examples = [
    {
      description: 'Everything a node has in data (full copy), then stop when idle for 5 s',
      command:
        'HARPER_PASSWORD=… <%= config.bin %> <%= command.id %> --source http://node-a:9925 --database data --since 0 --until-idle 5s',
    },
    {
      description: 'The last 10 minutes of dog and cat writes, for 60 s',
      command:
        '<%= config.bin %> <%= command.id %> --source http://node-a:9925 --database data --since 10m --tables dog,cat --duration 60s',
    },
    {
      description: "A default install (wss on 9933 only), trusting the node's own CA",
      command:
        'HARPER_PASSWORD=… <%= config.bin %> <%= command.id %> --source http://node-a:9925 --ca-from-target --database data --until-idle 5s',
    },
    {
      description: 'Between two nodes: B add_node ws://127.0.0.1:9950 instead of A',
      command:
        '<%= config.bin %> <%= command.id %> --proxy --listen 9950 --upstream ws://node-a:9933 --out ab.hrcap',
    },
  ];

  static override enableJsonFlag = true;

  static override flags = {
    ...tlsFlags,
    source: Flags.string({
      summary:
        'Source node: its operations API URL (replication URL derived) or its ws:// / wss:// replication URL.',
      env: 'HARPER_SOURCE',
      helpValue: 'URL',
    }),
    replication: Flags.string({
      summary: "Source's replication URL, if it cannot be derived.",
      helpValue: 'URL',
    }),
    user: Flags.string({
      summary: 'Source user (super_user to subscribe).',
      env: 'HARPER_USER',
      default: 'admin',
    }),
    password: Flags.string({
      summary: 'Source password. Never printed or written anywhere.',
      env: 'HARPER_PASSWORD',
    }),
    database: Flags.string({ summary: 'Database to subscribe to.', default: 'data' }),
    since: Flags.string({
      summary: 'Where to start: 0 (full copy), now, a duration back (10m) or an ISO time.',
      default: 'now',
    }),
    tables: Flags.string({ summary: 'Only these tables (comma-separated).', helpValue: 'A,B' }),
    'exclude-tables': Flags.string({ summary: 'All tables but these (comma-separated).', helpValue: 'A,B' }),
    origins: Flags.string({
      summary: "Also capture writes the source received from these nodes (comma-separated, or 'all' peers).",
      helpValue: 'NAMES|all',
    }),
    ack: Flags.boolean({
      summary: 'Send COMMITTED_UPDATE like a real receiver (--no-ack to not).',
      default: true,
      allowNo: true,
    }),
    duration: Flags.string({ summary: 'Stop after this long.', helpValue: 'DURATION' }),
    frames: Flags.integer({ summary: 'Stop after this many transaction frames.', min: 1 }),
    'until-idle': Flags.string({
      summary: 'Stop after no message for this long (e.g. 5s).',
      helpValue: 'DURATION',
    }),
    out: Flags.string({
      summary: 'Capture file (default: captures/<source>-<database>-<time>.hrcap).',
      helpValue: 'FILE',
    }),
    'flush-interval': Flags.string({
      summary: 'Flush to disk at least this often (a crash loses at most this).',
      default: '1s',
    }),
    proxy: Flags.boolean({ summary: 'Proxy mode: record the traffic between two real nodes.' }),
    listen: Flags.string({ summary: 'Proxy mode: port (or HOST:PORT) to listen on.', helpValue: 'PORT' }),
    upstream: Flags.string({ summary: "Proxy mode: the real node's replication URL.", helpValue: 'URL' }),
    'listen-cert': Flags.string({
      summary:
        "Proxy mode: listen on wss with this certificate (PEM), valid for the name the receiving node dials (e.g. the upstream node's own). Needs --listen-key.",
      helpValue: 'FILE',
    }),
    'listen-key': Flags.string({
      summary: 'Proxy mode: private key (PEM) of --listen-cert.',
      helpValue: 'FILE',
    }),
    progress: Flags.boolean({
      summary: 'Live progress on stderr (off when stdout is not a TTY).',
      default: true,
      allowNo: true,
    }),
  };

  async run(): Promise<CaptureResult | ProxyResult> {
    const { flags } = await this.parse(Capture);
    if (!flags.proxy && (flags['listen-cert'] || flags['listen-key']))
      this.usageError('--listen-cert/--listen-key are for --proxy (its listening side)');
    if (flags.tables && flags['exclude-tables'])
      this.usageError('--tables and --exclude-tables exclude each other');
    let durationMs: number | undefined;
    let untilIdleMs: number | undefined;
    let flushIntervalMs: number;
    let since: number;
    try {
      durationMs = flags.duration ? parseDuration(flags.duration) : undefined;
      untilIdleMs = flags['until-idle'] ? parseDuration(flags['until-idle']) : undefined;
      flushIntervalMs = parseDuration(flags['flush-interval']);
      since = parseSince(flags.since);
    } catch (error) {
      this.usageError((error as Error).message);
    }
    let security: ConnectionSecurity;
    try {
      security = resolveTlsFlags(flags, flags.password);
    } catch (error) {
      this.failWith(error as Error);
    }
    const quiet = this.jsonEnabled();
    const log = (message: string) => process.stderr.write(`${message}\n`);
    const showProgress = flags.progress && !quiet && process.stdout.isTTY;

    if (flags.proxy) {
      if (!flags.listen || !flags.upstream) this.usageError('--proxy needs --listen PORT and --upstream URL');
      if (security.token !== undefined || security.caFromTarget)
        this.usageError(
          "--proxy forwards the receiving node's own Authorization and knows no operations API: --token and --ca-from-target do not apply",
        );
      if (Boolean(flags['listen-cert']) !== Boolean(flags['listen-key']))
        this.usageError('--listen-cert and --listen-key go together');
      let listenTls: ListenCertificate | undefined;
      try {
        listenTls =
          flags['listen-cert'] && flags['listen-key']
            ? readListenCertificate(flags['listen-cert'], flags['listen-key'])
            : undefined;
      } catch (error) {
        this.failWith(error as Error);
      }
      const out = flags.out ?? join('captures', defaultCaptureName(flags.upstream, 'proxy'));
      mkdirSync(dirname(out), { recursive: true });
      const [host, port] = flags.listen.includes(':')
        ? (flags.listen.split(/:(?=\d+$)/) as [string, string])
        : ['127.0.0.1', flags.listen];
      const result = await interruptible((signal) =>
        runProxyCapture({
          listenHost: host,
          listenPort: Number(port),
          upstream: flags.upstream!,
          ...(security.tls ? { upstreamTls: security.tls } : {}),
          ...(listenTls ? { listenTls } : {}),
          out,
          durationMs,
          untilIdleMs,
          flushIntervalMs,
          signal,
          log,
        }),
      );
      if (!quiet)
        this.log(
          `proxy capture ${result.outcome}: ${result.messages} messages on ${result.connections} connections → ${result.file} (${result.stopReason})`,
        );
      if (result.error) process.stderr.write(`Error: ${result.error}\n`);
      process.exitCode = result.exitCode;
      return result;
    }

    if (!flags.source) this.usageError('--source URL is required (or --proxy)');
    if (flags.password === undefined && security.token === undefined && !security.tls?.cert)
      this.usageError(
        '--source needs credentials: --password or HARPER_PASSWORD (and --user / HARPER_USER), --token / HARPER_TOKEN, or a client certificate (--cert/--key)',
      );
    if (security.tls?.insecure) process.stderr.write(`warning: ${INSECURE_WARNING}\n`);
    const out = flags.out ?? join('captures', defaultCaptureName(flags.source, flags.database));
    mkdirSync(dirname(out), { recursive: true });
    const bar = showProgress
      ? new cliProgress.SingleBar(
          {
            stream: process.stderr,
            format: ' {frames} frames, {records} records, {bytes}, {rate} records/s | {elapsed}s',
            fps: 4,
          },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
    bar?.start(0, 0, { frames: 0, records: 0, bytes: '0 B', rate: 0, elapsed: 0 });
    const result = await interruptible((signal) =>
      runCapture({
        source: flags.source!,
        replicationUrl: flags.replication,
        ...(flags.password !== undefined && security.token === undefined
          ? { credentials: { user: flags.user, password: flags.password } }
          : {}),
        ...(security.token !== undefined ? { token: security.token } : {}),
        ...(security.tls ? { tls: security.tls } : {}),
        caFromTarget: security.caFromTarget,
        database: flags.database,
        since,
        tables: list(flags.tables),
        excludeTables: list(flags['exclude-tables']),
        origins: list(flags.origins),
        ack: flags.ack,
        out,
        durationMs,
        maxFrames: flags.frames,
        untilIdleMs,
        flushIntervalMs,
        signal,
        log: bar ? undefined : log,
        onProgress: (p) =>
          bar?.update(0, {
            frames: p.frames.toLocaleString('en-US'),
            records: p.records.toLocaleString('en-US'),
            bytes: formatBytes(p.bytes),
            rate: p.elapsedMs ? Math.round((p.records * 1000) / p.elapsedMs).toLocaleString('en-US') : 0,
            elapsed: (p.elapsedMs / 1000).toFixed(1),
          }),
      }),
    );
    bar?.stop();
    if (!quiet && result.file) {
      this.log(
        `captured ${result.frames.toLocaleString('en-US')} frames, ${result.records.toLocaleString('en-US')} records, ${formatBytes(result.bytes)} from ${result.source.nodeName} (${result.database}) in ${(result.durationMs / 1000).toFixed(1)} s → ${result.file} (stopped: ${result.stopReason})`,
      );
    }
    if (result.error) process.stderr.write(`Error: ${result.error}\n`);
    process.exitCode = result.exitCode;
    return result;
  }

  /** An error with its own exit code (a bad --ca file: 6, a contradiction: 2), as one line. */
  private failWith(error: Error): never {
    return this.fail(error.message, error instanceof HarperReplayError ? error.exitCode : ExitCode.USAGE);
  }

  private usageError(message: string): never {
    return this.fail(message, ExitCode.USAGE);
  }
}
