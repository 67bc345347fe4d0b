import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../src/cli/base-command.js';
import { withHelpGroups } from '../src/cli/help-groups.js';
import { forceFlag } from '../src/cli/shared-flags.js';
import { ExitCode, exitCodeHelp, inputFileError } from '../src/common/errors.js';
import { checkOutputs } from '../src/common/output-files.js';
import { writeHtmlReport } from '../src/report/html-report.js';
import { readNdjson } from '../src/report/ndjson-sink.js';
import { ResultBuilder, type RunResult } from '../src/report/result.js';
import { SeriesCollector } from '../src/report/series.js';
import { formatRunSummary } from '../src/report/text-summary.js';

export default class Report extends BaseCommand {
  static override summary = 'Rebuild the summary (and the HTML page) of a run from its --samples file.';

  static override description =
    `Reads the NDJSON a synth or replay run wrote with --samples and folds it exactly as the run did: the same summary, the same --json, the same threshold verdicts (exit 99 on a breach).

Exit codes: the stored run's own (as synth: 0, 1, 3, 4, 5, 7, 99, 130), or
${exitCodeHelp([ExitCode.USAGE, ExitCode.BAD_INPUT], '')}`;

  static override examples = [
    '<%= config.bin %> <%= command.id %> run.ndjson',
    '<%= config.bin %> <%= command.id %> run.ndjson --html run.html',
    '<%= config.bin %> <%= command.id %> run.ndjson --json | jq .pauses',
  ];

  static override enableJsonFlag = true;

  static override args = {
    samples: Args.string({ description: 'NDJSON samples file written by --samples', required: true }),
  };

  static override flags = withHelpGroups({
    html: Flags.string({ summary: 'Also write the self-contained HTML report.', helpValue: 'FILE' }),
    ...forceFlag,
  });

  async run(): Promise<RunResult> {
    const { args, flags } = await this.parse(Report);
    if (flags.html) {
      const html = flags.html;
      this.fromFlags(() => checkOutputs([{ flag: '--html', path: html }], [args.samples], flags.force));
    }
    const builder = new ResultBuilder();
    const series = new SeriesCollector();
    let result: RunResult;
    try {
      const cutOff = (message: string) => process.stderr.write(`warning: ${message}\n`);
      for await (const event of readNdjson(args.samples, cutOff)) {
        builder.sink(event);
        series.sink(event);
      }
      result = builder.build();
    } catch (error) {
      this.failOn(inputFileError(error, args.samples));
    }
    if (flags.html) await writeHtmlReport(flags.html, result, series.series(), flags.force);
    if (!this.jsonEnabled()) this.log(formatRunSummary(result));
    process.exitCode = result.exitCode;
    return result;
  }
}
