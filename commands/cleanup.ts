import { BaseCommand } from '../src/cli/base-command.js';
import { cleanupFlags, cleanupOptions } from '../src/cli/cleanup-options.js';
import { withHelpGroups } from '../src/cli/help-groups.js';
import { ExitCode, exitCodeHelp } from '../src/common/errors.js';
import { INSECURE_WARNING } from '../src/net/tls.js';
import { type CleanupResult, formatCleanup, runCleanup } from '../src/run/cleanup-run.js';

export default class Cleanup extends BaseCommand {
  static override summary =
    "Remove what runs that were killed left on a node: the tool's registrations (hdb_nodes) and certificates.";

  static override description =
    `A run removes its own registration (remove_node) and, with --listen-tls, its certificates when it ends, also on Ctrl-C, SIGTERM and SIGHUP; a SIGKILL leaves them behind. The tool registers as harper-replay-<host>-<pid>-<id>: cleanup removes the registrations (and certificates of a run's CA, <name>-ca) whose pid is gone on this host, keeps those whose pid still runs (a live run), and keeps those made on another host or under an older name unless --force. Tables are not touched: synth and replay write into tables the user named.

Exit codes:
${exitCodeHelp([ExitCode.OK, ExitCode.ERROR, ExitCode.USAGE, ExitCode.UNREACHABLE, ExitCode.AUTH_FAILED, ExitCode.BAD_INPUT, ExitCode.TLS_FAILED], 'every leftover removed (or, with --dry-run, listed)')}`;

  static override examples = [
    'HARPER_PASSWORD=… <%= config.bin %> <%= command.id %> --target http://127.0.0.1:9925 --dry-run',
    'HARPER_PASSWORD=… <%= config.bin %> <%= command.id %> --target http://127.0.0.1:9925',
  ];

  static override enableJsonFlag = true;

  static override flags = withHelpGroups(cleanupFlags);

  async run(): Promise<CleanupResult> {
    const { flags } = await this.parse(Cleanup);
    const options = this.fromFlags(() => cleanupOptions(flags));
    if (options.target.tls?.insecure) process.stderr.write(`warning: ${INSECURE_WARNING}\n`);
    const result = await runCleanup(options).catch((error: unknown) => this.failOn(error));
    if (!this.jsonEnabled()) for (const line of formatCleanup(result)) this.log(line);
    const failed = [...result.registrations, ...result.certificates].filter((r) => r.action === 'failed');
    if (failed.length)
      process.stderr.write(`Error: could not remove ${failed.map((r) => r.name).join(', ')}\n`);
    process.exitCode = result.exitCode;
    return result;
  }
}
