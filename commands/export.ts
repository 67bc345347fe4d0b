import { Args } from '@oclif/core';
import cliProgress from 'cli-progress';
import { BaseCommand } from '../src/cli/base-command.js';
import { exportFlags, exportOptions } from '../src/cli/export-options.js';
import { withHelpGroups } from '../src/cli/help-groups.js';
import { ExitCode, exitCodeHelp } from '../src/common/errors.js';
import { formatBytes, formatCount } from '../src/common/units.js';
import { type ExportResult, exportCapture } from '../src/run/export-run.js';
import { interruptible } from '../src/run/interrupt.js';

export default class Export extends BaseCommand {
  static override summary = 'Convert a capture to pcapng (Wireshark) or JSON lines.';

  static override description =
    `pcapng: every recorded connection becomes a TCP conversation on raw IPv4 — handshake, the HTTP upgrade (never an Authorization header), one WebSocket frame per message (the receiver's masked, as a client's are), the close — stamped with the capture's times, each packet commented with its connection, direction and frame type (TRANSACTION, NODE_NAME, COMMITTED_UPDATE, …). Wireshark and tshark follow the stream and decode the WebSocket layer; the payload is Harper's msgpack. Addresses and ports come from the capture (the source's URL, the receiver's address), else 10.0.0.1/10.0.0.2. Segments are at most 65,495 bytes; nothing the capture did not record is invented (no retransmissions, no compression). If Wireshark shows plain TCP, use Decode As… → HTTP on the source's port.

jsonl: the header, then one line per record: kind, time, connection, direction, opcode, frame type, bytes and the message in base64 (--no-payload leaves it out).

The capture is streamed (constant memory). A torn capture is exported up to its last complete record (warned); a corrupt one up to the damage, then exit 6 naming the byte offset. Ctrl-C stops and leaves a valid file of what was exported (exit 130).

Exit codes:
${exitCodeHelp([ExitCode.OK, ExitCode.ERROR, ExitCode.USAGE, ExitCode.BAD_INPUT, ExitCode.HANGUP, ExitCode.INTERRUPTED], 'exported')}`;

  static override examples = [
    '<%= config.bin %> <%= command.id %> captures/catchup-40x500.hrcap --out catchup.pcapng && wireshark catchup.pcapng',
    '<%= config.bin %> <%= command.id %> incident.hrcap --format jsonl --no-payload --out - | jq -c "select(.type==\\"TRANSACTION\\") | {time, bytes}"',
    '<%= config.bin %> <%= command.id %> incident.hrcap --format pcapng --out - | tshark -r - -Y websocket',
  ];

  static override enableJsonFlag = true;

  static override args = { file: Args.string({ description: 'capture file', required: true }) };

  static override flags = withHelpGroups(exportFlags);

  async run(): Promise<ExportResult> {
    const { args, flags } = await this.parse(Export);
    const options = this.fromFlags(() => exportOptions(args.file, flags, this.jsonEnabled()));
    const { out } = options;
    const bar =
      flags.progress && !this.jsonEnabled() && out !== '-' && process.stderr.isTTY
        ? new cliProgress.SingleBar(
            { stream: process.stderr, format: ' {bar} {percentage}% | {value}/{total} bytes', fps: 4 },
            cliProgress.Presets.shades_classic,
          )
        : undefined;
    const onProgress = (read: number, size: number) => {
      if (!bar) return;
      if (!bar.getTotal()) bar.start(size, 0);
      bar.update(read);
    };
    const interrupted = () => {
      bar?.stop();
      process.stderr.write(
        'interrupted: stopping; the output keeps what was exported (Ctrl-C again to force)\n',
      );
    };
    const result = await interruptible(
      (signal) => exportCapture({ ...options, signal, onProgress }),
      interrupted,
    )
      .catch((error: unknown) => {
        bar?.stop();
        return this.failOn(error);
      })
      .finally(() => bar?.stop());
    if (result.truncated) {
      process.stderr.write(
        `warning: ${args.file} is truncated at byte ${result.truncatedAt} (the capture did not finish); exported up to its last complete record\n`,
      );
    }
    if (result.leftOutAfterClose) {
      process.stderr.write(
        `warning: ${result.leftOutAfterClose} message(s) were recorded after their connection closed and are not in the pcapng (the jsonl export has them)\n`,
      );
    }
    if (result.error) process.stderr.write(`Error: ${result.error}\n`);
    if (out !== '-' && !this.jsonEnabled()) {
      this.log(
        `${result.interrupted ? 'interrupted: ' : ''}${formatCount(result.messages)} messages (${formatCount(result.records)} records${result.packets === undefined ? '' : `, ${formatCount(result.packets)} packets`}) → ${out}, ${formatBytes(result.bytesWritten)}`,
      );
    }
    process.exitCode = result.exitCode;
    return result;
  }
}
