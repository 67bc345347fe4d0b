/** cleanup's flags: the node to clean (required), how to log in, and whether to change anything. */
import { Flags } from '@oclif/core';
import type { CleanupOptions } from '../run/cleanup-run.js';
import { UsageError } from './base-command.js';
import { checkUrl, type FlagValues, targetFlags, tlsFlags } from './shared-flags.js';
import { resolveTlsFlags } from './tls-options.js';

export const cleanupFlags = {
  target: Flags.string({
    summary: "The node's operations API URL.",
    env: 'HARPER_TARGET',
    helpValue: 'URL',
    required: true,
  }),
  user: targetFlags.user,
  password: targetFlags.password,
  // Only the operations API is used: --ca-from-target (a replication setting) does not apply.
  ca: tlsFlags.ca,
  cert: tlsFlags.cert,
  key: tlsFlags.key,
  servername: tlsFlags.servername,
  insecure: tlsFlags.insecure,
  token: tlsFlags.token,
  'dry-run': Flags.boolean({ summary: 'Say what would be removed; remove nothing.' }),
  force: Flags.boolean({
    summary:
      'Also remove registrations whose run cannot be checked from this host (made on another host, or an older name without a pid). Never one whose pid runs here.',
  }),
};

export type CleanupFlagValues = FlagValues<typeof cleanupFlags>;

/** Throws UsageError (or a HarperReplayError for a bad --ca/--cert file) on a bad value. */
export function cleanupOptions(flags: CleanupFlagValues): CleanupOptions {
  const security = resolveTlsFlags(flags, flags.password);
  if (flags.password === undefined && security.token === undefined) {
    throw new UsageError(
      'cleanup needs credentials: --password or HARPER_PASSWORD (and --user / HARPER_USER), or --token / HARPER_TOKEN',
    );
  }
  let url: string;
  try {
    url = checkUrl('target', flags.target);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return {
    target: {
      url,
      ...(security.token === undefined
        ? { credentials: { user: flags.user, password: flags.password ?? '' } }
        : { token: security.token }),
      ...(security.tls ? { tls: security.tls } : {}),
    },
    dryRun: flags['dry-run'] ?? false,
    force: flags.force ?? false,
  };
}
