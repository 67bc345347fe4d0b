/**
 * `cleanup --target URL`: finds what runs that were killed left on the node (a SIGKILL runs no remove_node):
 * their registrations in hdb_nodes, and with --listen-tls their CA and the certificate it signed for the target in
 * hdb_certificate; removes them (remove_node, remove_certificate), saying which. Only names the tool makes
 * (harper-replay-<host>-<pid>-<id>, a shard's with -r<run id>-s<i>: its reason names the shard) are looked at; one
 * whose pid still runs on this host is never removed, one from another host (or an older name without a pid) only
 * with --force. Tables are not touched: every synth and replay
 * run keeps what it wrote by design (data.harper_replay_synth, a capture's own tables), and nothing tells a killed
 * bench's per-run table from a live one's — except synth --like's scratch tables, named after their process and host.
 */
import { hostname } from 'node:os';
import { ExitCode, type ExitCodeValue } from '../common/errors.js';
import { registrationVerdict } from '../common/tool-node-name.js';
import { processAlive } from '../harper/node-watchdog.js';
import type { CertificateEntry } from '../harper/operations-types.js';
import { hostTag, SCRATCH_MARK } from './shaped-tables.js';
import { type TargetSpec, targetClient, targetError } from './target.js';

export interface CleanupOptions {
  target: TargetSpec & { url: string };
  /** Say what would be removed, remove nothing. */
  dryRun: boolean;
  /** Also remove registrations whose run cannot be checked from here (another host, an older name). */
  force: boolean;
  /** This host and how a pid is checked (defaults: os.hostname(), process.kill(pid, 0)). */
  host?: string;
  alive?: (pid: number) => boolean;
}

export type CleanupAction = 'removed' | 'would-remove' | 'kept' | 'failed';

export interface CleanupEntry {
  name: string;
  url?: string;
  action: CleanupAction;
  reason: string;
}

export interface CleanupResult {
  target: string;
  dryRun: boolean;
  registrations: CleanupEntry[];
  /** A --listen-tls run's CA (<name>-ca) and the target certificate it signed, in hdb_certificate. */
  certificates: CleanupEntry[];
  /** synth --like's scratch tables (<table>_hr_<pid>_<host tag>) a killed run, or --keep-table, left behind. */
  tables: CleanupEntry[];
  exitCode: ExitCodeValue;
}

type Here = { host: string; alive: (pid: number) => boolean };

export async function runCleanup(options: CleanupOptions): Promise<CleanupResult> {
  const client = targetClient(options.target, 15_000);
  const here = { host: options.host ?? hostname(), alive: options.alive ?? processAlive };
  const read = <T>(call: () => Promise<T>) =>
    call().catch((error: unknown) => {
      throw targetError(error);
    });
  const nodes = await read(() => client.hdbNodes());
  const registrations = await sweep(
    nodes.map((node) => ({ name: node.name, owner: node.name, ...(node.url ? { url: node.url } : {}) })),
    options,
    here,
    (name) => client.removeNode(name, 15_000),
  );
  const certificates = await sweep(
    (await read(() => client.listCertificates())).flatMap((entry) => {
      const owner = certificateOwner(entry);
      return owner ? [{ name: entry.name, owner }] : [];
    }),
    options,
    here,
    (name) => client.removeCertificate(name),
  );
  const tables = await sweepTables(client, options, here, read);
  const failed = [...registrations, ...certificates, ...tables].some((entry) => entry.action === 'failed');
  return {
    target: options.target.url,
    dryRun: options.dryRun,
    registrations,
    certificates,
    tables,
    exitCode: failed ? ExitCode.ERROR : ExitCode.OK,
  };
}

/** Whose a scratch table is: made on this host by a process that is gone (stale), still running, or elsewhere. */
export function scratchTableVerdict(
  table: string,
  here: Here,
): { kind: 'not-ours' | 'live' | 'stale' | 'unknown'; reason: string } {
  const match = SCRATCH_MARK.exec(table);
  if (!match) return { kind: 'not-ours', reason: '' };
  const pid = Number(match[1]);
  if (match[2] !== hostTag(here.host))
    return {
      kind: 'unknown',
      reason: 'a scratch table made on another host: its run cannot be checked from here',
    };
  if (here.alive(pid)) return { kind: 'live', reason: `pid ${pid} is still running on this host` };
  return { kind: 'stale', reason: `a scratch table of pid ${pid} on this host, which is gone` };
}

async function sweepTables(
  client: ReturnType<typeof targetClient>,
  options: CleanupOptions,
  here: Here,
  read: <T>(call: () => Promise<T>) => Promise<T>,
): Promise<CleanupEntry[]> {
  const all = await read(() => client.describeAll());
  const entries: CleanupEntry[] = [];
  for (const [database, tables] of Object.entries(all)) {
    for (const table of Object.keys(tables)) {
      const verdict = scratchTableVerdict(table, here);
      if (verdict.kind === 'not-ours') continue;
      const name = `${database}.${table}`;
      const removable = verdict.kind === 'stale' || (verdict.kind === 'unknown' && options.force);
      if (!removable) {
        const hint = verdict.kind === 'unknown' ? ' (--force drops it)' : '';
        entries.push({ name, action: 'kept', reason: `${verdict.reason}${hint}` });
      } else if (options.dryRun) {
        entries.push({ name, action: 'would-remove', reason: verdict.reason });
      } else {
        try {
          await client.dropTable(database, table);
          entries.push({ name, action: 'removed', reason: verdict.reason });
        } catch (error) {
          entries.push({ name, action: 'failed', reason: targetError(error).message });
        }
      }
    }
  }
  return entries;
}

/** The tool name a certificate belongs to: a run's CA is named <tool name>-ca, what it signed is issued by it. */
export function certificateOwner(entry: CertificateEntry): string | undefined {
  const issuer = /^CN=([^ ,]+)/.exec(entry.details?.issuer ?? '')?.[1];
  for (const name of [entry.name, issuer]) {
    const owner = name?.endsWith('-ca') ? name.slice(0, -3) : undefined;
    if (owner && registrationVerdict(owner, { host: '', alive: () => true }).kind !== 'not-ours')
      return owner;
  }
  return undefined;
}

/** Each item of the tool's judged by its owner's verdict; removed (or not, or would be) as the options say. */
async function sweep(
  items: Array<{ name: string; owner: string; url?: string }>,
  options: CleanupOptions,
  here: Here,
  remove: (name: string) => Promise<unknown>,
): Promise<CleanupEntry[]> {
  const entries: CleanupEntry[] = [];
  for (const { owner, ...entry } of items) {
    const verdict = registrationVerdict(owner, here);
    if (verdict.kind === 'not-ours') continue;
    const removable = verdict.kind === 'stale' || (verdict.kind === 'unknown' && options.force);
    if (!removable) {
      const hint = verdict.kind === 'unknown' ? ' (--force removes it)' : '';
      entries.push({ ...entry, action: 'kept', reason: `${verdict.reason}${hint}` });
    } else if (options.dryRun) {
      entries.push({ ...entry, action: 'would-remove', reason: verdict.reason });
    } else {
      try {
        await remove(entry.name);
        entries.push({ ...entry, action: 'removed', reason: verdict.reason });
      } catch (error) {
        entries.push({ ...entry, action: 'failed', reason: targetError(error).message });
      }
    }
  }
  return entries;
}

const VERBS: Record<CleanupAction, string> = {
  removed: 'removed',
  'would-remove': 'would remove',
  kept: 'kept',
  failed: 'FAILED to remove',
};

/** One line per registration or certificate of the tool's, then what was (or would be) done. */
export function formatCleanup(result: CleanupResult): string[] {
  const all = [
    ...result.registrations.map((r) => ({ ...r, kind: 'registration' })),
    ...result.certificates.map((c) => ({ ...c, kind: 'certificate' })),
    ...(result.tables ?? []).map((t) => ({ ...t, kind: 'scratch table' })),
  ];
  const lines = all.map(
    (r) => `${VERBS[r.action]} ${r.kind} ${r.name}${r.url ? ` (${r.url})` : ''}: ${r.reason}`,
  );
  const count = (action: CleanupAction) => all.filter((r) => r.action === action).length;
  if (!all.length) {
    lines.push(`no harper-replay registrations or certificates on ${result.target}`);
  } else if (result.dryRun) {
    lines.push(`dry run: would remove ${count('would-remove')}, keep ${count('kept')}; nothing was changed`);
  } else {
    const failed = count('failed');
    lines.push(
      `removed ${count('removed')}, kept ${count('kept')}${failed ? `, failed ${failed}` : ''} on ${result.target}`,
    );
  }
  return lines;
}
