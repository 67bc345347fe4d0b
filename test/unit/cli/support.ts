/** Parsing flags as a command does (oclif's parser with its relation checks), without a process or the environment. */
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { type Interfaces, Parser } from '@oclif/core';
import type { FlagValues } from '../../../src/cli/shared-flags.js';
import { ExitCode } from '../../../src/common/errors.js';

/** The variables flags read (env:); a developer's HARPER_PASSWORD must not make a test pass. */
const ENVIRONMENT = [
  'HARPER_TARGET',
  'HARPER_USER',
  'HARPER_PASSWORD',
  'HARPER_CA',
  'HARPER_TOKEN',
  'HARPER_SOURCE',
  'HARPER_REPLAY_SHARD',
  'HARPER_REPLAY_RUN_ID',
  'HARPER_REPLAY_START_AT',
];

/** Clears the variables flags read for the tests of this file, and puts them back afterwards. */
export function withoutHarperEnvironment(): void {
  const saved: Record<string, string | undefined> = {};
  before(() => {
    for (const name of ENVIRONMENT) {
      saved[name] = process.env[name];
      delete process.env[name];
    }
  });
  after(() => {
    for (const name of ENVIRONMENT) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });
}

/** The flag values `argv` gives, as `this.parse` would (also rejecting what the relations forbid). */
export async function parseFlags<T extends Interfaces.FlagInput>(
  flags: T,
  argv: string[],
): Promise<FlagValues<T>> {
  const output = await Parser.parse(argv, { flags, args: {}, strict: true });
  return output.flags as unknown as FlagValues<T>;
}

/** oclif refuses `argv` at parse time (exit 2), with a message matching `pattern`. */
export async function refuses(flags: Interfaces.FlagInput, argv: string[], pattern: RegExp): Promise<void> {
  await assert.rejects(
    Parser.parse(argv, { flags, args: {}, strict: true }),
    (error: Error & { oclif?: { exit?: number } }) => {
      assert.equal(error.oclif?.exit, ExitCode.USAGE, error.message);
      assert.match(error.message, pattern);
      return true;
    },
    argv.join(' '),
  );
}
