/**
 * The embedded node's watchdog: a tiny detached Node process started beside harperdb, so that the node never
 * outlives the tool — not even a SIGKILL of the tool, which runs no exit handler. It holds the read end of a pipe
 * from the tool: EOF without a "disarm" line (the kernel closes the write end when the tool dies, however it dies)
 * or the tool's pid gone means the tool died without stopping its node; the watchdog then stops harperdb's
 * process group (SIGTERM, SIGKILL after a grace) and any process a `restart` left behind, and removes the temp
 * dir. A normal stop disarms it first and it exits. Portable: no prctl(PR_SET_PDEATHSIG).
 * Run as a script with one argument, the plan as JSON (see startWatchdog).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface WatchdogPlan {
  /** The tool's process: when it is gone, the node goes. */
  toolPid: number;
  /** harperdb as spawned: the leader of its own process group (spawned detached). */
  nodePid: number;
  /** The node's temp dir (its root is <baseDir>/hdb); removed unless `keep`. */
  baseDir: string;
  keep: boolean;
  /** How long harperdb gets after SIGTERM before SIGKILL. */
  graceMs: number;
}

/** Only a dir the embedded node made is the watchdog's to remove (harper-replay-node-* as mkdtemp names it). */
export const NODE_DIR_PREFIX = 'harper-replay-node-';
const DISARM = 'disarm\n';
const POLL_MS = 500;

export function rootDirOf(baseDir: string): string {
  return join(baseDir, 'hdb');
}

/** The plan from the watchdog's argument; throws on anything else (it never acts on a plan it cannot trust). */
export function parseWatchdogPlan(text: string | undefined): WatchdogPlan {
  let plan: Partial<WatchdogPlan>;
  try {
    plan = JSON.parse(text ?? '');
  } catch {
    throw new Error('watchdog: the argument is not a JSON plan');
  }
  const pid = (value: unknown) => Number.isInteger(value) && (value as number) > 1;
  if (!pid(plan.toolPid) || !pid(plan.nodePid)) throw new Error('watchdog: toolPid and nodePid must be pids');
  if (
    typeof plan.baseDir !== 'string' ||
    !isAbsolute(plan.baseDir) ||
    !basename(plan.baseDir).startsWith(NODE_DIR_PREFIX)
  ) {
    throw new Error(`watchdog: baseDir must be an absolute ${NODE_DIR_PREFIX}* dir`);
  }
  if (typeof plan.keep !== 'boolean') throw new Error('watchdog: keep must be a boolean');
  if (!Number.isInteger(plan.graceMs) || (plan.graceMs as number) < 0)
    throw new Error('watchdog: graceMs must be a non-negative integer');
  return plan as WatchdogPlan;
}

/** Alive or not ours to signal (EPERM): either way not gone. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid in <root>/hdb.pid: a `restart` operation makes harperdb start a new detached process and exit. */
export function restartedPid(rootDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(rootDir, 'hdb.pid'), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Only a process whose environment names this root is ours to stop (a pid file may outlive its process). */
export function isOurHarper(pid: number, rootDir: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`ROOTPATH=${rootDir}`);
  } catch {
    return false;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {}
}

/** The node's processes now: its group (while its leader is still our harperdb) and a restarted one. */
function nodeTargets(plan: WatchdogPlan): number[] {
  const root = rootDirOf(plan.baseDir);
  const targets: number[] = [];
  if (isOurHarper(plan.nodePid, root)) targets.push(-plan.nodePid);
  const restarted = restartedPid(root);
  if (restarted !== undefined && restarted !== plan.nodePid && isOurHarper(restarted, root))
    targets.push(restarted);
  return targets;
}

/** SIGTERM to every process of the node, SIGKILL to what is left after the grace, then the temp dir. */
export async function stopOrphanedNode(plan: WatchdogPlan): Promise<void> {
  const first = nodeTargets(plan);
  for (const target of first) signal(target, 'SIGTERM');
  const deadline = Date.now() + plan.graceMs;
  while (nodeTargets(plan).length && Date.now() < deadline) await sleep(50);
  // Also the groups signalled first: a harperdb child left in the group outlives its leader otherwise.
  for (const target of new Set([...first, ...nodeTargets(plan)])) signal(target, 'SIGKILL');
  if (!plan.keep) rmSync(plan.baseDir, { recursive: true, force: true });
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

export interface Watchdog {
  readonly pid: number;
  /** The node was stopped in order: the watchdog exits without touching anything. */
  disarm(): void;
  readonly process: ChildProcess;
}

const SCRIPT = fileURLToPath(import.meta.url);

/** Starts the watchdog for a node; it neither keeps the tool's event loop alive nor shares its terminal. */
export function startWatchdog(plan: WatchdogPlan): Watchdog {
  const child = spawn(process.execPath, [SCRIPT, JSON.stringify(plan)], {
    // Own session: a Ctrl-C or hang-up of the tool's terminal does not reach it.
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  child.unref();
  const stdin = child.stdin!;
  (stdin as unknown as { unref(): void }).unref();
  // The watchdog may already be gone (it found the tool dead): nothing to disarm then.
  stdin.on('error', () => {});
  return {
    pid: child.pid ?? -1,
    disarm: () => {
      if (!stdin.destroyed) stdin.end(DISARM);
    },
    process: child,
  };
}

/** The watchdog process: wait for EOF or the tool's death; act unless disarmed. */
function watch(plan: WatchdogPlan): void {
  for (const name of ['SIGINT', 'SIGHUP'] as const) process.on(name, () => {});
  let received = '';
  let acting = false;
  const act = async (disarmed: boolean) => {
    if (acting) return;
    acting = true;
    if (!disarmed) await stopOrphanedNode(plan);
    process.exit(0);
  };
  process.stdin.on('data', (chunk) => {
    received += chunk.toString();
  });
  process.stdin.on('end', () => void act(received.includes(DISARM)));
  process.stdin.on('error', () => void act(received.includes(DISARM)));
  setInterval(() => {
    if (!processAlive(plan.toolPid)) void act(received.includes(DISARM));
  }, POLL_MS);
}

if (process.argv[1] && resolve(process.argv[1]) === SCRIPT) watch(parseWatchdogPlan(process.argv[2]));
