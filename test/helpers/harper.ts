/** Test helpers: a real embedded harperdb per test file, the CLI as a child process, read-back of records. */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import { decode as decodeCbor } from 'cbor-x';
import { EmbeddedNode, type EmbeddedNodeOptions } from '../../src/harper/embedded-node.js';
import type { OperationsClient } from '../../src/harper/operations-client.js';
import { assertJsonDocument } from './json-schema.js';

export const BIN = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));

let exitOnSignal = false;

export async function startNode(
  config: Record<string, string> = {},
  options: Omit<EmbeddedNodeOptions, 'config'> = {},
): Promise<EmbeddedNode> {
  // A test file killed by a signal would skip 'exit' and leave its detached nodes running; exiting runs the
  // nodes' exit guards, which kill them.
  if (!exitOnSignal) {
    exitOnSignal = true;
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
  }
  return EmbeddedNode.start({ config, readyTimeoutMs: 120_000, ...options });
}

/**
 * One node shared by every test of a file (a node costs ~7 s to start): started in the file's before() hook, stopped
 * in its after(). Call it at the top level; the function it returns gives the node inside a test or a later hook.
 * A test that needs a fresh node (an OOM, a kill, other settings) starts its own with startNode().
 */
export function nodeForFile(
  config: Record<string, string> = {},
  options: Omit<EmbeddedNodeOptions, 'config'> = {},
): () => EmbeddedNode {
  let node: EmbeddedNode | undefined;
  before(async () => {
    node = await startNode(config, options);
  });
  after(async () => {
    await node?.stop();
  });
  return () => {
    if (!node) throw new Error('nodeForFile: no node yet (it starts in the before() hook of the file)');
    return node;
  };
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  child: ChildProcess;
}

/** Runs the CLI; `onStart` sees the child (e.g. to send SIGINT). Never inherits the developer's HARPER_* env. */
export function runCli(
  args: string[],
  options: {
    env?: Record<string, string>;
    onStart?: (child: ChildProcess, output: { stderr: () => string }) => void;
    timeoutMs?: number;
  } = {},
): Promise<CliRun> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    CI: 'true',
    ...options.env,
  };
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
  });
  options.onStart?.(child, { stderr: () => stderr });
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000);
  return new Promise((resolve, reject) => {
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      // A process killed by a signal has no output contract; any other --json run is checked against its schema.
      if (args.includes('--json') && signal === null && args[0]) {
        try {
          assertJsonDocument(args[0], stdout);
        } catch (error) {
          reject(new Error(`${(error as Error).message}\nstderr:\n${stderr.slice(-2000)}`));
          return;
        }
      }
      resolve({ code, signal, stdout, stderr, child });
    });
  });
}

/** Makes non-key attributes of a dynamically created table readable (replicated records do not declare them). */
export async function declareAttributes(
  client: OperationsClient,
  database: string,
  table: string,
  names: string[],
) {
  const info = await client.describeTable(database, table);
  const known = new Set(info.attributes.map((a) => a.attribute));
  for (const attribute of names) {
    if (!known.has(attribute))
      await client.call({ operation: 'create_attribute', database, table, attribute });
  }
}

/** Reads records through the operations API in CBOR, which carries blob contents as bytes (JSON cannot). */
export async function readRecordsCbor(
  node: EmbeddedNode,
  database: string,
  table: string,
  ids: number[],
  attributes: string[],
): Promise<Array<Record<string, unknown>>> {
  const { user, password } = node.credentials;
  const response = await fetch(`${node.operationsUrl}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/cbor',
      authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
    },
    body: JSON.stringify({ operation: 'search_by_id', database, table, ids, get_attributes: attributes }),
  });
  if (!response.ok) throw new Error(`search_by_id: HTTP ${response.status} ${await response.text()}`);
  return decodeCbor(Buffer.from(await response.arrayBuffer())) as Array<Record<string, unknown>>;
}

/** Names in the target's hdb_nodes table. */
export async function hdbNodeNames(client: OperationsClient): Promise<string[]> {
  const rows = await client.sql<{ name: string }>('SELECT name FROM system.hdb_nodes');
  return rows.map((row) => row.name);
}

/** Running (a zombie waiting for init to reap it counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Temp dirs the embedded launcher creates. */
export function embeddedDirs(): string[] {
  return readdirSync(tmpdir()).filter((name) => name.startsWith('harper-replay-node-'));
}

export function readText(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

export const tmp = (name: string) => join(tmpdir(), name);

/**
 * For runCli's onStart: once the run is streaming (its log says it was added to the target), do `act` after
 * `afterMs` — SIGINT the tool, SIGKILL its embedded target, … `firedAt()` says when (0 if it never happened).
 */
export function whenStreaming(
  afterMs: number,
  act: (child: ChildProcess, targetPid: number | undefined) => void,
): { onStart: (child: ChildProcess, output: { stderr: () => string }) => void; firedAt: () => number } {
  let firedAt = 0;
  return {
    firedAt: () => firedAt,
    onStart: (child, output) => {
      const poll = setInterval(() => {
        if (!/added to/.test(output.stderr())) return;
        clearInterval(poll);
        const pid = /target node \S+ \(pid (\d+)/.exec(output.stderr())?.[1];
        setTimeout(() => {
          firedAt = Date.now();
          act(child, pid ? Number(pid) : undefined);
        }, afterMs);
      }, 50);
      child.once('close', () => clearInterval(poll));
    },
  };
}

/** SIGKILL the run's embedded target `afterMs` after it started streaming. */
export function killEmbeddedTargetWhenStreaming(afterMs: number) {
  const trigger = whenStreaming(afterMs, (_child, pid) => {
    if (pid) process.kill(pid, 'SIGKILL');
  });
  return { onStart: trigger.onStart, killedAt: trigger.firedAt };
}
