/**
 * `cleanup --target URL`: finds the registrations runs that were killed left in the node's hdb_nodes (a SIGKILL
 * runs no remove_node) and removes them with remove_node, saying which. Only names the tool makes
 * (harper-replay-<host>-<pid>-<id>) are looked at; a registration whose pid still runs on this host is never
 * removed, and one from another host (or an older name without a pid) only with --force. Tables are not touched:
 * synth and replay write into tables with ordinary names the user chose (data.synth, a capture's own tables), so
 * nothing marks them as a killed run's.
 */
import { hostname } from 'node:os';
import { ExitCode, type ExitCodeValue } from '../common/errors.js';
import { registrationVerdict } from '../common/tool-node-name.js';
import { processAlive } from '../harper/node-watchdog.js';
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
  exitCode: ExitCodeValue;
}

export async function runCleanup(options: CleanupOptions): Promise<CleanupResult> {
  const client = targetClient(options.target, 15_000);
  const here = { host: options.host ?? hostname(), alive: options.alive ?? processAlive };
  const nodes = await client.hdbNodes().catch((error: unknown) => {
    throw targetError(error);
  });
  const registrations: CleanupEntry[] = [];
  for (const node of nodes) {
    const verdict = registrationVerdict(node.name, here);
    if (verdict.kind === 'not-ours') continue;
    const entry = { name: node.name, ...(node.url ? { url: node.url } : {}) };
    const removable = verdict.kind === 'stale' || (verdict.kind === 'unknown' && options.force);
    if (!removable) {
      const hint = verdict.kind === 'unknown' ? ' (--force removes it)' : '';
      registrations.push({ ...entry, action: 'kept', reason: `${verdict.reason}${hint}` });
    } else if (options.dryRun) {
      registrations.push({ ...entry, action: 'would-remove', reason: verdict.reason });
    } else {
      try {
        await client.removeNode(node.name, 15_000);
        registrations.push({ ...entry, action: 'removed', reason: verdict.reason });
      } catch (error) {
        registrations.push({ ...entry, action: 'failed', reason: targetError(error).message });
      }
    }
  }
  return {
    target: options.target.url,
    dryRun: options.dryRun,
    registrations,
    exitCode: registrations.some((r) => r.action === 'failed') ? ExitCode.ERROR : ExitCode.OK,
  };
}

const VERBS: Record<CleanupAction, string> = {
  removed: 'removed',
  'would-remove': 'would remove',
  kept: 'kept',
  failed: 'FAILED to remove',
};

/** One line per registration of the tool's, then what was (or would be) done. */
export function formatCleanup(result: CleanupResult): string[] {
  const lines = result.registrations.map(
    (r) => `${VERBS[r.action]} ${r.name}${r.url ? ` (${r.url})` : ''}: ${r.reason}`,
  );
  const count = (action: CleanupAction) => result.registrations.filter((r) => r.action === action).length;
  if (!result.registrations.length) {
    lines.push(`no harper-replay registrations on ${result.target}`);
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
