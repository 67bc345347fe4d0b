/**
 * bench --target: a node the user owns, reconfigured for every run (set_configuration + restart, so each run
 * starts on a freshly started process with the same memory baseline) and put back as it was at the end — also
 * after Ctrl-C or a failed run.
 */
import type { OperationsClient } from '../harper/operations-client.js';
import {
  configValue,
  needsProcessRestart,
  originalSettings,
  restartAndWait,
  restartWorkersAndWait,
  setConfiguration,
} from '../harper/reconfigure.js';

export class OwnedTarget {
  private changed = false;

  private constructor(
    readonly client: OperationsClient,
    /** The node's values before the bench (null: it had none, its default applied). */
    readonly original: Record<string, unknown>,
  ) {}

  static async open(client: OperationsClient, keys: string[]): Promise<OwnedTarget> {
    return new OwnedTarget(client, originalSettings(await client.getConfiguration(), keys));
  }

  /** Sets one combination and restarts; resolves with the restart time in ms. */
  async apply(set: Record<string, string>, signal?: AbortSignal): Promise<number> {
    this.changed = true;
    await setConfiguration(
      this.client,
      Object.fromEntries(Object.entries(set).map(([key, value]) => [key, configValue(value)])),
    );
    return this.restart(Object.keys(set), signal);
  }

  /** Worker threads only, unless a key is one the process itself decides (thread count, ports). */
  private restart(keys: string[], signal?: AbortSignal): Promise<number> {
    return needsProcessRestart(keys)
      ? restartAndWait(this.client, { signal })
      : restartWorkersAndWait(this.client, { signal });
  }

  /** Puts the original values back and restarts once more; a no-op if nothing was changed. */
  async restore(): Promise<{ restored: Record<string, unknown>; restartMs: number } | undefined> {
    if (!this.changed) return undefined;
    await setConfiguration(this.client, this.original);
    const restartMs = await this.restart(Object.keys(this.original));
    this.changed = false;
    return { restored: this.original, restartMs };
  }
}
