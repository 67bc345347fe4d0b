import { withHelpGroups } from '../src/cli/help-groups.js';
import { checkLoadOutputs, executeLoad, LoadCommand } from '../src/cli/load-command.js';
import { presetDefaultsTable, SYNTH_SHAPE_FLAGS } from '../src/cli/preset-help.js';
import { synthFlags, synthOptions } from '../src/cli/workload-flags.js';
import { EXIT_CODE_HELP } from '../src/common/errors.js';
import { thresholdHelp } from '../src/report/thresholds.js';
import { runSynth, type SynthResult } from '../src/run/synth-run.js';
import { KEYS_HELP } from '../src/workload/key-distribution.js';
import { DEFAULT_PRESET, PRESETS, presetNames } from '../src/workload/presets.js';

export default class Synth extends LoadCommand {
  static override summary =
    'Stream synthetic replication batches (oversized frames, blobs) into a Harper node as a replication peer.';

  static override description =
    `The tool acts as a replication peer and pushes a synthetic backlog into the target, then checks that every record landed.

--via peer (default): the tool listens, calls add_node on the target, and streams when the target subscribes — Harper's own flow; remove_node at the end, also on Ctrl-C. --via push: the tool dials the target's replication port with the credentials and sends unsolicited.

The workload is a preset (default ${DEFAULT_PRESET}) with any of --frames, --records-per-frame, --record-size, --blob-size, --blobs-per-frame overriding it. Records are {id, generation, payload[, blob]} with ids 1…N, deterministic from --seed (generation 0 = the insert, 1 = the first update, …). --mix insert=70,update=25,delete=5 makes entries updates (a present id rewritten with its next generation) and deletes (Harper's delete entry); --keys picks which present id they touch: ${KEYS_HELP} Verification then counts the present ids and reads back 200 sampled ids' values (declaring the attributes it reads, unindexed). Presets:
${presetNames()
  .map((name) => `  ${name.padEnd(16)} ${PRESETS[name]!.description}`)
  .join('\n')}

${presetDefaultsTable(SYNTH_SHAPE_FLAGS)}

Report: stall episodes (when the target stopped reading, and whether it was flow control or a blocked event loop), the target's memory (/proc every 20 ms for a local node, system_information for any), worker deaths, OOMs and reconnects. --samples writes every event as NDJSON, --html a self-contained page with charts; \`report\` rebuilds both from a samples file.

Threshold metrics (--threshold 'metric op value', op one of < <= > >= == !=):
${thresholdHelp()}

Exit codes:
${EXIT_CODE_HELP}`;

  static override examples = [
    {
      description: 'Run the default preset against an embedded throwaway node',
      command: '<%= config.bin %> <%= command.id %>',
    },
    {
      description: 'The catch-up scenario of PR #150',
      command: '<%= config.bin %> <%= command.id %> --preset catchup-40x500',
    },
    {
      description: 'A staging node, push mode, 3 frames of 100k records',
      command:
        'HARPER_PASSWORD=… <%= config.bin %> <%= command.id %> --target http://staging:9925 --via push --frames 3 --records-per-frame 100000',
    },
    {
      description:
        'A catch-up of updates: 70 % inserts, 25 % updates, 5 % deletes, hot keys zipf-distributed',
      command:
        '<%= config.bin %> <%= command.id %> --mix insert=70,update=25,delete=5 --keys zipf:1.1 --frames 40 --records-per-frame 500',
    },
    {
      description: 'Embedded node with a low commit backlog limit',
      command:
        '<%= config.bin %> <%= command.id %> --node-config REPLICATION_RECORDCONCURRENCY=2 --frames 300 --records-per-frame 1000',
    },
  ];

  static override flags = withHelpGroups(synthFlags);

  async run(): Promise<SynthResult> {
    const { flags } = await this.parse(Synth);
    const options = this.fromFlags(() => {
      checkLoadOutputs(flags, []);
      return synthOptions(flags);
    });
    return executeLoad(
      flags,
      this.jsonEnabled(),
      options,
      (o) => runSynth({ ...options, ...o }),
      (line) => this.log(line),
    );
  }
}
