/**
 * Reconfiguring a node the user owns: set_configuration, then restart, then wait until it serves again.
 * On 4.7.29 settings such as replication.recordConcurrency are read when a connection is set up from the config
 * loaded at start, so a setting takes effect only after the restart; get_configuration reads the file and shows a
 * new value before that. Keys the node does not know are dropped by set_configuration without an error.
 */
import { OperationsApiError, type OperationsClient } from './operations-client.js';

/** Flattens a Harper configuration to UPPER_SNAKE keys, the form of its env overrides. */
export function flattenConfiguration(
  config: unknown,
  prefix = '',
  out: Record<string, unknown> = {},
): Record<string, unknown> {
  if (config && typeof config === 'object' && !Array.isArray(config)) {
    for (const [key, value] of Object.entries(config)) {
      flattenConfiguration(value, prefix ? `${prefix}_${key}` : key, out);
    }
  } else if (prefix) {
    out[prefix.toUpperCase()] = config;
  }
  return out;
}

export class RestartError extends Error {
  override name = 'RestartError';
}

/** "2" → 2, "true" → true, "null" → null: the types the node's YAML would hold. */
export function configValue(text: string): unknown {
  if (text === 'null') return null;
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  return text;
}

/**
 * The values to put back after a bench: the node's own value per key, or null where it had none (4.7.29 reads
 * an unset or null setting as its default, e.g. `recordConcurrency ?? 150`).
 */
export function originalSettings(config: unknown, keys: string[]): Record<string, unknown> {
  const flat = flattenConfiguration(config);
  return Object.fromEntries(keys.map((key) => [key, flat[key] === undefined ? null : flat[key]]));
}

/** set_configuration with UPPER_SNAKE keys (the node maps them case-insensitively to its config paths). */
export async function setConfiguration(
  client: OperationsClient,
  values: Record<string, unknown>,
): Promise<void> {
  await client.call({ operation: 'set_configuration', ...values });
}

export interface RestartOptions {
  /** How long to wait for the node to go away after accepting `restart`. */
  downTimeoutMs?: number;
  /** How long to wait for it to serve again. */
  upTimeoutMs?: number;
  pollMs?: number;
  signal?: AbortSignal;
}

/** Polls `done` until it holds; a RestartError saying `what` after `timeoutMs`, or when interrupted. */
async function pollUntil(
  done: () => Promise<boolean>,
  options: { timeoutMs: number; pollMs: number; signal?: AbortSignal; what: string },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  while (!(await done())) {
    if (options.signal?.aborted) throw new RestartError('interrupted while waiting for the restart');
    if (Date.now() > deadline) throw new RestartError(`${options.what} within ${options.timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, options.pollMs));
  }
}

/** Runs a call that fails while the node restarts: undefined then, but wrong credentials stay an error. */
async function duringRestart<T>(call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof OperationsApiError && error.kind === 'unauthorized') throw error;
    return undefined;
  }
}

/**
 * `restart`, then wait for the operations API to refuse (the old process is gone) and to answer again (the new
 * one serves). A node that never goes away did not restart: an error, not a silent run on the old settings.
 */
export async function restartAndWait(
  client: OperationsClient,
  options: RestartOptions = {},
): Promise<number> {
  const pollMs = options.pollMs ?? 50;
  const started = Date.now();
  await client.call({ operation: 'restart' });
  const answers = async () =>
    (await duringRestart(() => client.call({ operation: 'user_info' }, 2_000))) !== undefined;
  await pollUntil(async () => !(await answers()), {
    timeoutMs: options.downTimeoutMs ?? 15_000,
    pollMs,
    signal: options.signal,
    what: `${client.url} accepted restart but did not go down`,
  });
  await pollUntil(answers, {
    timeoutMs: options.upTimeoutMs ?? 90_000,
    pollMs,
    signal: options.signal,
    what: `${client.url} did not come back after restart`,
  });
  return Date.now() - started;
}

/**
 * `restart_service http_workers`: the worker threads are replaced one by one in the same process (same pid, the
 * operations API keeps answering from the others) and each new worker loads the configuration file. Cheaper and
 * safer than a process restart, which on 4.7.29 launches a new detached process that can lose the race for the
 * ports to the exiting one under load. Waits until none of the threads from before is left.
 */
export async function restartWorkersAndWait(
  client: OperationsClient,
  options: RestartOptions = {},
): Promise<number> {
  const started = Date.now();
  const threadIds = async () =>
    (await duringRestart(() => client.systemInformation(['threads'], 2_000)))?.threads?.map(
      (thread) => thread.threadId,
    );
  const before = new Set((await threadIds()) ?? []);
  await client.call({ operation: 'restart_service', service: 'http_workers' });
  await pollUntil(
    async () => {
      const now = await threadIds();
      return Boolean(now?.length) && now!.every((id) => !before.has(id));
    },
    {
      timeoutMs: options.upTimeoutMs ?? 90_000,
      pollMs: options.pollMs ?? 100,
      signal: options.signal,
      what: `${client.url}: its worker threads were not replaced`,
    },
  );
  return Date.now() - started;
}

/** Settings a worker restart does not apply (the process decides them): these need a process restart. */
export function needsProcessRestart(keys: string[]): boolean {
  return keys.some((key) =>
    /^(THREADS_|OPERATIONSAPI_NETWORK|HTTP_|REPLICATION_(PORT|SECUREPORT|URL|HOSTNAME)|ROOTPATH)/.test(key),
  );
}
