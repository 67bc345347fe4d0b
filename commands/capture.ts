import { BaseCommand } from '../src/cli/base-command.js';
import { captureFlags, proxyCaptureOptions, subscriberCaptureOptions } from '../src/cli/capture-options.js';
import { withHelpGroups } from '../src/cli/help-groups.js';
import { ExitCode, exitCodeHelp } from '../src/common/errors.js';
import { formatBytes } from '../src/common/units.js';
import { type CaptureResult, captureFromSource } from '../src/run/capture-run.js';
import { captureThroughProxy, type ProxyResult } from '../src/run/proxy-run.js';

export default class Capture extends BaseCommand {
  static override summary =
    "Record a real node's replication stream (or two nodes' traffic) to a capture file.";

  static override description =
    `Subscriber mode (default): connect to --source like a receiving peer, subscribe to --database from --since, record every message both ways, and ack like a real receiver (--no-ack to not). Stops on --duration, --frames, --until-idle or Ctrl-C, always finalizing the file.

Proxy mode (--proxy): a transparent WebSocket proxy between two real nodes — point the receiving node's add_node URL at --listen, the proxy forwards to --upstream and records both directions. The Authorization header is passed upstream but never written; backpressure is propagated end to end. The system database is forwarded but not recorded (it carries user hashes and node credentials).

TLS: a wss:// source or upstream is verified against --ca (or the system CAs); --ca-from-target trusts the source's own CA (list_certificates over its operations API); --cert/--key present a client certificate; --insecure skips verification (warned). --token (HARPER_TOKEN) authenticates with a bearer token instead of --user/--password. The capture header records only that TLS was used and the source certificate's subject and SHA-256 fingerprint.

Captures never contain credentials. Format: captures/README.md. Ctrl-C stops a capture normally: the file is finalized and the exit code is 0.

Exit codes:
${exitCodeHelp([ExitCode.OK, ExitCode.ERROR, ExitCode.USAGE, ExitCode.UNREACHABLE, ExitCode.AUTH_FAILED, ExitCode.BAD_INPUT, ExitCode.TLS_FAILED, ExitCode.INTERRUPTED], 'captured until a stop condition (or Ctrl-C, which finalizes the file)')}`;

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
      description:
        "Between two nodes: B add_node ws://127.0.0.1:9950 instead of A (A's replication port is wss)",
      command:
        '<%= config.bin %> <%= command.id %> --proxy --listen 9950 --upstream wss://node-a:9933 --ca harper-ca.pem --out ab.hrcap',
    },
  ];

  static override enableJsonFlag = true;

  static override flags = withHelpGroups(captureFlags);

  async run(): Promise<CaptureResult | ProxyResult> {
    const { flags } = await this.parse(Capture);
    const quiet = this.jsonEnabled();
    if (flags.proxy) {
      const result = await captureThroughProxy(this.fromFlags(() => proxyCaptureOptions(flags)));
      if (!quiet)
        this.log(
          `proxy capture ${result.outcome}: ${result.messages} messages on ${result.connections} connections → ${result.file} (${result.stopReason})`,
        );
      return this.finish(result);
    }
    const result = await captureFromSource(
      this.fromFlags(() => subscriberCaptureOptions(flags)),
      {
        progress: flags.progress && !quiet && Boolean(process.stdout.isTTY),
      },
    );
    if (!quiet && result.file) {
      this.log(
        `captured ${result.frames.toLocaleString('en-US')} frames, ${result.records.toLocaleString('en-US')} records, ${formatBytes(result.bytes)} from ${result.source.nodeName} (${result.database}) in ${(result.durationMs / 1000).toFixed(1)} s → ${result.file} (stopped: ${result.stopReason})`,
      );
    }
    return this.finish(result);
  }

  /** The run's error on stderr, its exit code. */
  private finish<T extends { error?: string; exitCode: number }>(result: T): T {
    if (result.error) process.stderr.write(`Error: ${result.error}\n`);
    process.exitCode = result.exitCode;
    return result;
  }
}
