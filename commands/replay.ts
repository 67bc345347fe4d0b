import { Args } from '@oclif/core';
import { withHelpGroups } from '../src/cli/help-groups.js';
import { checkLoadOutputs, executeLoad, LoadCommand } from '../src/cli/load-command.js';
import { replayFlags, replayOptions, replayRunOptions } from '../src/cli/replay-options.js';
import { EXIT_CODE_HELP } from '../src/common/errors.js';
import { thresholdHelp } from '../src/report/thresholds.js';
import { type DryRunResult, dryRun, formatDryRun, openReplaySource } from '../src/run/replay-dry-run.js';
import { type ReplayResult, type ReplayRunOptions, runReplay } from '../src/run/replay-run.js';

export default class Replay extends LoadCommand {
  static override summary = 'Replay a capture into a target node: at the captured pace, faster, or flat out.';

  static override description =
    `Every connection of the capture that carries data is replayed at once, each its own stream into the database it subscribed to (a proxy capture holds one connection per database), on one clock so their captured interleaving and pacing hold; --connection N replays just that one. Two connections of one database (a reconnect) replay the busier; the other is named.

The replayer performs its own handshake with the target (peer or push, as synth), re-sends the captured node-id map, table structures, residency lists and blob chunks, and the source's transaction frames; the captured acks are not sent (their timing is the "original ack latency" in the report).

Timing: --speed 1x follows the capture's clock (no drift: each frame is scheduled from its captured offset; the report says how far behind schedule the replay ran), 4x a quarter of it, max as fast as the target reads; --rate spaces frames evenly instead (not with a --speed other than max); --max-gap caps idle gaps; --loop repeats.

Rewrite: by default every frame gets a new, increasing version (order preserved), so a target that already has the data applies it again; --no-retime sends the originals (a second pass is then acknowledged but changes nothing). Every frame gets a fresh sequence tail for ack tracking. --origin capture keeps the captured origin node names; self or NAME attributes every record to the tool or to NAME. --database replays into another database; --tables / --exclude-tables drop entries of other tables.

Report: as synth (pauses, memory, workers, acks, thresholds, --samples, --html), plus replay.behindScheduleMs and the original vs the replayed ack latency.

Threshold metrics:
${thresholdHelp()}

Exit codes:
${EXIT_CODE_HELP}`;

  static override examples = [
    {
      description:
        'What would be sent (frames, records, bytes with blob chunks) and how long it would take at least: exactly what the run sends, after the same checks',
      command: '<%= config.bin %> <%= command.id %> captures/catchup-40x500.hrcap --dry-run',
    },
    {
      description: 'Into an embedded node, flat out',
      command: '<%= config.bin %> <%= command.id %> captures/catchup-40x500.hrcap --speed max',
    },
    {
      description: 'Into a staging node, four times faster, twice',
      command:
        'HARPER_PASSWORD=… <%= config.bin %> <%= command.id %> incident.hrcap --target http://staging:9925 --speed 4x --loop 2',
    },
  ];

  static override args = { file: Args.string({ description: 'capture file', required: true }) };

  static override flags = withHelpGroups(replayFlags);

  async run(): Promise<ReplayResult | DryRunResult> {
    const { args, flags } = await this.parse(Replay);
    const replay = this.fromFlags(() => {
      checkLoadOutputs(flags, [args.file]);
      return replayOptions(flags);
    });
    const capture = await openReplaySource(args.file, replay).catch((error: unknown) => this.failOn(error));
    if (capture.truncated)
      process.stderr.write(`warning: ${args.file} is truncated; replaying its complete records\n`);
    // The dry run builds the same options and runs the same checks as the run; it only touches no node.
    let options: ReplayRunOptions;
    try {
      options = replayRunOptions(flags, args.file, capture, replay);
    } catch (error) {
      await capture.close();
      this.usage(error as Error);
    }
    if (flags['dry-run']) {
      const warn = (message: string) => process.stderr.write(`warning: ${message}\n`);
      // A damaged frame is found when it is built (its checksum is checked then): bad input, exit 6.
      const result = await dryRun(options, capture, warn).catch((error: unknown) => this.failOn(error));
      if (!this.jsonEnabled()) this.log(formatDryRun(result));
      return result;
    }
    return executeLoad(
      flags,
      this.jsonEnabled(),
      options,
      (o) => runReplay({ ...options, ...o }, capture),
      (line) => this.log(line),
    );
  }
}
