/**
 * The name the tool registers under on a target (add_node → hdb_nodes): harper-replay-<host>-<pid>-<id>. The
 * prefix says it is this tool's; the host and pid say which process made it, so `cleanup` can tell a run that was
 * killed (its pid is gone on this host) from one still running, and never removes the latter. The name is also the
 * listener certificate's DNS name: lower-case letters, digits and dashes only, at most 63 of them. A shard of a
 * sharded run appends -r<run id>-s<i>, so the registration a killed shard left says whose it was; to stay a label,
 * the host is then cut to 8 characters and a long run id to what is left (21 characters at worst).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

export const TOOL_NODE_PREFIX = 'harper-replay-';
const MAX_HOST_LABEL = 24;
const NAME = /^harper-replay-([a-z0-9-]+)-(\d+)-([0-9a-f]{6})(?:-r([a-z0-9-]+)-s(\d+))?$/;
const MAX_LABEL = 63;
/** A sharded name's host is cut to this many characters (the run id needs the room). */
const SHARD_HOST_LABEL = 8;
/** What versions before the host and pid were added registered under: whose run it was cannot be told. */
const LEGACY_NAME = /^harper-replay-[0-9a-f]{8}$/;

/** A host name as a DNS label: lower case, anything else a dash, at most 24 characters. */
export function hostLabel(host: string): string {
  const label = host
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .slice(0, MAX_HOST_LABEL)
    .replace(/^-+|-+$/g, '');
  return label || 'host';
}

/** A shard of a sharded run (--shard, --run-id): its name says which, so a dead shard's registration is found. */
export interface ShardOfRun {
  runId: string;
  index: number;
}

export function newToolNodeName(
  run: { host?: string; pid?: number; id?: string; shard?: ShardOfRun } = {},
): string {
  const host = hostLabel(run.host ?? hostname());
  const tail = `${run.pid ?? process.pid}-${run.id ?? randomBytes(3).toString('hex')}`;
  if (!run.shard) return `${TOOL_NODE_PREFIX}${host}-${tail}`;
  const runId = run.shard.runId.toLowerCase();
  const room = MAX_LABEL - `${TOOL_NODE_PREFIX}-${tail}-r-s${run.shard.index}`.length;
  const hostRoom = Math.min(host.length, Math.max(SHARD_HOST_LABEL, room - runId.length));
  const cut = (text: string, length: number) => text.slice(0, length).replace(/-+$/, '') || 'x';
  return `${TOOL_NODE_PREFIX}${cut(host, hostRoom)}-${tail}-r${cut(runId, room - hostRoom)}-s${run.shard.index}`;
}

export interface ToolNodeName {
  host: string;
  pid: number;
  id: string;
  /** A sharded run's shard (its run id lower-cased, as the name holds it). */
  shard?: ShardOfRun;
}

/** The parts of a name the tool made; 'legacy' for an older name of the tool's; undefined for anyone else's. */
export function parseToolNodeName(name: string): ToolNodeName | 'legacy' | undefined {
  const match = NAME.exec(name);
  if (match)
    return {
      host: match[1]!,
      pid: Number(match[2]),
      id: match[3]!,
      ...(match[4] ? { shard: { runId: match[4], index: Number(match[5]) } } : {}),
    };
  return LEGACY_NAME.test(name) ? 'legacy' : undefined;
}

export type RegistrationVerdict =
  /** The tool's, made on this host by a process that is gone: a killed run's leftover. */
  | { kind: 'stale'; reason: string }
  /** The tool's, but its run may still be going (or this host cannot tell): kept unless forced. */
  | { kind: 'unknown'; reason: string }
  /** The tool's and its process is alive on this host: never removed. */
  | { kind: 'live'; reason: string }
  | { kind: 'not-ours' };

/**
 * Whether a registration is a killed run's. Conservative: a live pid on this host is a live run (even if the pid
 * was reused since); another host's or an older name's run cannot be checked from here.
 */
export function registrationVerdict(
  name: string,
  here: { host: string; alive: (pid: number) => boolean },
): RegistrationVerdict {
  const parsed = parseToolNodeName(name);
  if (parsed === undefined) return { kind: 'not-ours' };
  if (parsed === 'legacy')
    return {
      kind: 'unknown',
      reason: 'an older harper-replay name without host and pid: its run cannot be checked',
    };
  const of = parsed.shard ? `shard ${parsed.shard.index} of run ${parsed.shard.runId}: ` : '';
  // A shard's name holds its host cut short: this host made it if its label starts so.
  const hereLabel = hostLabel(here.host);
  const sameHost = parsed.shard
    ? hereLabel.slice(0, parsed.host.length).replace(/-+$/, '') === parsed.host
    : parsed.host === hereLabel;
  if (!sameHost)
    return {
      kind: 'unknown',
      reason: `${of}made on host ${parsed.host}: its run cannot be checked from here`,
    };
  if (here.alive(parsed.pid))
    return { kind: 'live', reason: `${of}pid ${parsed.pid} is still running on this host` };
  return { kind: 'stale', reason: `${of}pid ${parsed.pid} on this host is gone` };
}
