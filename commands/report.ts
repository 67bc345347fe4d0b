import { Args, Flags } from '@oclif/core';
import { BaseCommand, UsageError } from '../src/cli/base-command.js';
import { withHelpGroups } from '../src/cli/help-groups.js';
import { flagValue, forceFlag } from '../src/cli/shared-flags.js';
import { ExitCode, exitCodeHelp } from '../src/common/errors.js';
import { checkOutputs, type PlannedOutput } from '../src/common/output-files.js';
import { formatComparison } from '../src/report/comparison.js';
import type { RunResult } from '../src/report/result.js';
import { formatRunSummary } from '../src/report/text-summary.js';
import { parseThreshold } from '../src/report/thresholds.js';
import { runReport } from '../src/run/report-run.js';

export default class Report extends BaseCommand {
  static override summary = 'Rebuild the summary (and the HTML page) of a run from its --samples file.';

  static override description =
    `Reads the NDJSON a synth or replay run wrote with --samples and folds it exactly as the run did: the same summary, the same --json, the same threshold verdicts (exit 99 on a breach).

--threshold re-judges the stored run with these thresholds instead of its own. --baseline compares it with a baseline run: every metric side by side with the change (absolute and %), and delta thresholds ('peakRss<+10%', 'ackP99<+200ms': a signed limit is a change against the baseline's median) gate a CI job. With repetitions on both sides (several RUN files, several --baseline files) each change gets a bootstrap 95 % confidence interval of the difference of medians (seeded: the same files give the same interval); an interval that holds 0 is "no significant difference".

--merge folds the samples files of one run's shards (synth/replay --shard i/n, one process each, e.g. the pods of a Kubernetes Indexed Job) into ONE result: it checks they are shards 0…n-1 of one --run-id (a missing or duplicate shard, another run's file, a file that is not a shard, or a shard that ended without its run-end — killed — gives an incomplete result and exit 9, naming the missing shards and the killed shard's peer registration), then counts are summed and latency percentiles come from every shard's frames in one histogram (exact, never averaged); the outcome is the worst shard's. Per-shard figures and the clock skew between the shards' first frames are shown (warned, not corrected); thresholds judge the merged result only. A directory stands for every *.ndjson in it.

Exit codes: the stored run's own (as synth: 0, 1, 3, 4, 5, 7, 99, 130), or
${exitCodeHelp([ExitCode.USAGE, ExitCode.BAD_INPUT, ExitCode.SHARDS_INCOMPLETE], '')}`;

  static override examples = [
    '<%= config.bin %> <%= command.id %> run.ndjson',
    '<%= config.bin %> <%= command.id %> run.ndjson --html run.html',
    '<%= config.bin %> <%= command.id %> run.ndjson --json | jq .pauses',
    "<%= config.bin %> <%= command.id %> run.ndjson --baseline main.ndjson --threshold 'peakRss<+10%' --threshold 'ackP99<+200ms' --junit thresholds.xml",
    '<%= config.bin %> <%= command.id %> --merge shard-0.ndjson shard-1.ndjson shard-2.ndjson',
    '<%= config.bin %> <%= command.id %> --merge /results --json',
    '<%= config.bin %> <%= command.id %> new-1.ndjson new-2.ndjson new-3.ndjson --baseline old-1.ndjson --baseline old-2.ndjson --baseline old-3.ndjson',
  ];

  static override enableJsonFlag = true;

  // Several RUN files: repetitions of the run (the summary is the first one's).
  static override strict = false;

  static override args = {
    samples: Args.string({
      description:
        'NDJSON samples file written by --samples (more: repetitions of the same run; with --merge: the shards, files or directories)',
      required: true,
    }),
  };

  static override flags = withHelpGroups({
    html: Flags.string({ summary: 'Also write the self-contained HTML report.', helpValue: 'FILE' }),
    baseline: Flags.string({
      summary:
        'Samples file of a baseline run, repeatable (repetitions): compare with it, side by side with deltas.',
      multiple: true,
      helpValue: 'FILE',
    }),
    threshold: Flags.string({
      summary:
        "Re-judge with this threshold instead of the run's own, repeatable: 'peakRss<1.5GiB', or against --baseline 'peakRss<+10%', 'ackP99<+200ms'. Exit 99 on a breach.",
      multiple: true,
      helpValue: 'EXPR',
    }),
    merge: Flags.boolean({
      summary:
        "The files (or directories of *.ndjson) are the shards of one run (--shard i/n): fold them into one result. Exit 9 if a shard is missing, duplicated, another run's or killed.",
    }),
    junit: Flags.string({
      summary: 'Write the threshold verdicts as JUnit XML (one test case per threshold).',
      helpValue: 'FILE',
    }),
    ...forceFlag,
  });

  async run(): Promise<RunResult> {
    const { argv, flags } = await this.parse(Report);
    const runs = argv as string[];
    const baselines = flags.baseline ?? [];
    const thresholds = this.fromFlags(() => {
      const parsed = (flags.threshold ?? []).map((text) => flagValue('threshold', text, parseThreshold));
      const delta = parsed.find((t) => t.delta);
      if (delta && !baselines.length)
        throw new UsageError(
          `--threshold "${delta.expression}" is a change against a baseline: add --baseline FILE`,
        );
      const outputs: PlannedOutput[] = [];
      if (flags.html) outputs.push({ flag: '--html', path: flags.html });
      if (flags.junit) outputs.push({ flag: '--junit', path: flags.junit });
      checkOutputs(outputs, [...runs, ...baselines], flags.force);
      return parsed.map((t) => t.expression);
    });
    const warn = (message: string) => process.stderr.write(`warning: ${message}\n`);
    const result = await runReport({
      runs,
      baselines,
      ...(thresholds.length ? { thresholds } : {}),
      html: flags.html,
      junit: flags.junit,
      merge: flags.merge,
      force: flags.force,
      warn,
    }).catch((error: unknown) => this.failOn(error));
    if (!this.jsonEnabled()) {
      this.log(formatRunSummary(result));
      if (result.comparison) this.log(`\n${formatComparison(result.comparison)}`);
    }
    if (result.merge && !result.merge.complete) process.stderr.write(`Error: ${result.error}\n`);
    const breached = result.thresholds.filter((t) => t.ok === false).map((t) => t.expression);
    if (breached.length) process.stderr.write(`Error: threshold breached: ${breached.join(', ')}\n`);
    process.exitCode = result.exitCode;
    return result;
  }
}
