import { benchFlags, benchOptions } from '../src/cli/bench-options.js';
import { withHelpGroups } from '../src/cli/help-groups.js';
import { LoadCommand } from '../src/cli/load-command.js';
import { BENCH_SHAPE_FLAGS, presetDefaultsTable } from '../src/cli/preset-help.js';
import { BENCH_EXIT_CODE_HELP } from '../src/common/errors.js';
import { benchSuites, writeJunit } from '../src/report/junit.js';
import { type BenchResult, runBench } from '../src/run/bench-run.js';

export default class Bench extends LoadCommand {
  static override summary =
    'Compare receive-side settings on the same workload: a matrix of settings, repeated.';

  static override description =
    `Runs the same workload (synth flags or --capture FILE for a replay) once per combination of the --set lists and repetition, each on a fresh embedded harperdb 4.7.29 started with those settings (Harper env overrides). With --target URL the runs go to your node instead: before every run it is reconfigured (set_configuration) and its worker threads restarted (restart_service http_workers; a full restart for thread counts and ports), so each run starts on fresh workers; synth loads a table of its own per run and drops it afterwards, and at the end — also after Ctrl-C — the original values are put back and the workers restarted once more. Repetitions are interleaved, in a rotated order, so that noise does not favour one setting. Every setting is read back from the node (get_configuration): a key the node does not know is reported as not applied.

${presetDefaultsTable(BENCH_SHAPE_FLAGS)}

With --search KEY=LOW..HIGH --until EXPR it finds a limit instead: per combination of the --set lists (or once on the node's defaults), a bisection over fresh nodes for the largest value of KEY (records-per-frame, rate, blob-size, record-size) whose run does not meet EXPR, to --resolution; values near the boundary are probed --search-repeat times and a disagreement makes the result "noisy". Every probe is reported (--json: search[].probes); --html draws each search's probes. Failing probes are what a search looks for: it exits 0 once it has concluded.

Output: a comparison table (median and min–max of peak RSS, pauses, paused time, committed records/s, ack p99, worker deaths; * marks the best per column) and how noisy the repetitions were; --json with every run's full result; --html with the comparison as charts.

Exit codes:
${BENCH_EXIT_CODE_HELP}`;

  static override examples = [
    '<%= config.bin %> <%= command.id %> --set REPLICATION_RECORDCONCURRENCY=2,150 --repeat 3 --frames 300 --records-per-frame 1000',
    '<%= config.bin %> <%= command.id %> --set REPLICATION_RECORDCONCURRENCY=2,20,150 --set THREADS_COUNT=1,2 --preset oversized-10k --html bench.html',
    '<%= config.bin %> <%= command.id %> --set REPLICATION_BLOBCONCURRENCY=1,5 --capture captures/blobs-12x50k.hrcap',
    "<%= config.bin %> <%= command.id %> --search records-per-frame=10000..300000 --until 'oomEvents>0' --set THREADS_MAXHEAPMEMORY=300,600 --frames 1",
  ];

  static override flags = withHelpGroups(benchFlags);

  async run(): Promise<BenchResult> {
    const { flags } = await this.parse(Bench);
    const options = this.fromFlags(() => benchOptions(flags));
    const outcome = await runBench(options).catch((error: unknown) => this.failOn(error));
    if (flags.junit) {
      const { settings, runs } = outcome.result;
      await writeJunit(flags.junit, benchSuites(settings, runs), flags.force)
        .then(() => process.stderr.write(`JUnit report written to ${flags.junit}\n`))
        .catch((error: Error) =>
          process.stderr.write(`warning: cannot write ${flags.junit}: ${error.message}\n`),
        );
    }
    if (!this.jsonEnabled()) this.log(outcome.table);
    const { result } = outcome;
    if (result.search && outcome.exitCode && result.error) process.stderr.write(`Error: ${result.error}\n`);
    if (outcome.breaches.length)
      process.stderr.write(`Error: threshold breached: ${outcome.breaches.join(', ')}\n`);
    process.exitCode = outcome.exitCode;
    return outcome.result;
  }
}
