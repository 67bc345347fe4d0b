/**
 * Where each flag appears in --help: one table for every command, so a flag has the same group wherever it is, and
 * 50 flags read as a handful of short lists instead of one alphabetical one. A flag not named here stays under FLAGS
 * (what the command itself is about: its workload, its input, its stop conditions).
 */

const GROUPS = {
  TARGET: [
    'target',
    'user',
    'password',
    'token',
    'replication',
    'via',
    'listen',
    'fan-out',
    'member',
    'node-config',
    'threads',
    'keep-node',
    'target-fault',
    'source',
    'upstream',
    'proxy',
  ],
  TLS: [
    'ca',
    'cert',
    'key',
    'insecure',
    'servername',
    'ca-from-target',
    'listen-tls',
    'listen-cert',
    'listen-key',
  ],
  FLOW: [
    'ack-timeout',
    'subscribe-timeout',
    'high-water-mark',
    'max-reconnects',
    'until-resubscribed',
    'rate',
    'duration',
    'stages',
    'pace-by',
  ],
  REPORT: [
    'threshold',
    'pause-threshold',
    'blocked-after',
    'sample-interval',
    'cluster-status-interval',
    'samples',
    'html',
    'junit',
    'prometheus-rw',
    'baseline',
    'progress',
  ],
  SHARD: ['shard', 'run-id', 'start-at'],
  SHAPE: ['template', 'like', 'scale', 'keep-table', 'into-source-table', 'mix', 'keys', 'dependency-wait'],
  OUTPUT: ['force', 'verbose'],
} as const;

const GROUP_OF = new Map<string, string>(
  Object.entries(GROUPS).flatMap(([group, names]) => names.map((name) => [name, group] as const)),
);

/** The same flags, each with its help group. */
export function withHelpGroups<T extends Record<string, object>>(flags: T): T {
  return Object.fromEntries(
    Object.entries(flags).map(([name, definition]) => {
      const group = GROUP_OF.get(name);
      return [name, group ? { ...definition, helpGroup: group } : definition];
    }),
  ) as T;
}
