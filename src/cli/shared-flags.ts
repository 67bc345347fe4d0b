/** Flags every command that talks to a target shares: where it is, how to log in, the embedded node's settings. */
import { Flags } from '@oclif/core';
import { parseKeyValue } from './units.js';

export const targetFlags = {
  target: Flags.string({
    summary:
      "Target node's operations API URL. Without it an embedded harperdb 4.7.29 is started and removed.",
    env: 'HARPER_TARGET',
    helpValue: 'URL',
  }),
  replication: Flags.string({
    summary: "Target's replication WebSocket URL (default: derived from the target's get_configuration).",
    helpValue: 'URL',
  }),
  user: Flags.string({
    summary: 'Target user (super_user for peer mode).',
    env: 'HARPER_USER',
    default: 'admin',
  }),
  password: Flags.string({
    summary: 'Target password. Never printed or written anywhere.',
    env: 'HARPER_PASSWORD',
  }),
  'node-config': Flags.string({
    summary:
      'Embedded node setting as a Harper env override, repeatable (e.g. REPLICATION_RECORDCONCURRENCY=2).',
    multiple: true,
    helpValue: 'KEY=VALUE',
  }),
  threads: Flags.integer({ summary: "Embedded node's THREADS_COUNT.", default: 1, min: 1 }),
  'keep-node': Flags.boolean({
    summary: "Keep the embedded node's temp dir after the run (for post-mortems).",
  }),
  verbose: Flags.boolean({ summary: 'Print stack traces of errors.' }),
};

export function nodeConfig(entries: string[] | undefined): Record<string, string> {
  return Object.fromEntries((entries ?? []).map(parseKeyValue));
}
