/** A tiny command on BaseCommand, run as its own process by base-command.test.ts (argv → one outcome). */
import { Config, Flags } from '@oclif/core';
import { BaseCommand } from '../../../src/cli/base-command.js';
import { ExitCode, HarperReplayError } from '../../../src/common/errors.js';

class Probe extends BaseCommand {
  static override enableJsonFlag = true;
  static override flags = {
    mode: Flags.string({
      options: ['ok', 'usage', 'bad-input', 'thrown', 'from-flags', 'flood'],
      required: true,
    }),
  };

  async run(): Promise<{ ok: true }> {
    const { flags } = await this.parse(Probe);
    if (flags.mode === 'usage') this.usage('--rate must be above 0');
    if (flags.mode === 'bad-input')
      this.failOn(new HarperReplayError('x.hrcap: not a capture', ExitCode.BAD_INPUT));
    if (flags.mode === 'thrown') throw new Error('boom\nsecond line');
    if (flags.mode === 'from-flags')
      this.fromFlags(() => {
        throw new Error('--listen 99999 is not a port');
      });
    if (flags.mode === 'flood') {
      // Lines to a stdout that fails (a full disk): the failure must be one line, not an uncaught stack.
      for (let i = 0; i < 1000; i++) process.stdout.write(`${'x'.repeat(1000)}\n`);
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
    return { ok: true };
  }
}

const config = await Config.load(new URL('../../../../', import.meta.url).pathname);
await Probe.run(process.argv.slice(2), config).catch(async (error: unknown) => {
  // What bin/run.js does with an error oclif's run lets through: its handler prints and exits.
  const { handle } = await import('@oclif/core');
  await handle(error as Error);
});
