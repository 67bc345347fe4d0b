/**
 * bench: the same workload against a matrix of receive-side settings (the cartesian product of the --set lists),
 * each combination and repetition on a fresh embedded node started with those settings. Repetitions are
 * interleaved (every combination once, then again, in a rotated order) so that drift on the machine does not
 * favour one setting. Each setting is read back from the node (get_configuration): a key the node does not know
 * is reported as not applied, not compared as if it had been.
 */

import { flattenConfiguration } from '../harper/reconfigure.js';
import type { BenchCombination } from '../report/bench-analysis.js';
import type { ResolvedTarget } from './target.js';

/** bench.ndjson → bench-3.ndjson for run 3 (a name without an extension gets `-3` at its end). */
export function runSamplesPath(path: string, run: number): string {
  const match = /^(.*[^/\\])(\.[^./\\]+)$/.exec(path);
  return match ? `${match[1]}-${run}${match[2]}` : `${path}-${run}`;
}

/** The cartesian product of the --set lists, e.g. {A: [1, 2], B: [x]} → [{A:1,B:x}, {A:2,B:x}]. */
export function matrix(sets: Array<[string, string[]]>): BenchCombination[] {
  let combos: Array<Record<string, string>> = [{}];
  for (const [key, values] of sets) {
    combos = combos.flatMap((combo) => values.map((value) => ({ ...combo, [key]: value })));
  }
  return combos.map((set) => ({ set }));
}

/** Parses `KEY=v1,v2,…`. */
export function parseSet(text: string): [string, string[]] {
  const index = text.indexOf('=');
  if (index <= 0)
    throw new Error(`--set "${text}" is not KEY=v1,v2 (e.g. REPLICATION_RECORDCONCURRENCY=2,150)`);
  const key = text.slice(0, index).trim().toUpperCase();
  if (!/^[A-Z][A-Z0-9_]*$/.test(key)) throw new Error(`--set "${text}": "${key}" is not a Harper config key`);
  const values = text
    .slice(index + 1)
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
  if (!values.length) throw new Error(`--set "${text}" has no values`);
  return [key, values];
}

/** Run order: repetition by repetition, each one rotating the combinations (no setting always goes first). */
export function schedule(
  combinations: number,
  repeat: number,
): Array<{ combination: number; repetition: number }> {
  const order: Array<{ combination: number; repetition: number }> = [];
  for (let repetition = 0; repetition < repeat; repetition++) {
    for (let i = 0; i < combinations; i++)
      order.push({ combination: (i + repetition) % combinations, repetition });
  }
  return order;
}

/** Whether the node holds each requested value (numbers compared as numbers). */
export function appliedSettings(config: unknown, set: Record<string, string>): Record<string, boolean> {
  const flat = flattenConfiguration(config);
  return Object.fromEntries(
    Object.entries(set).map(([key, wanted]) => {
      const actual = flat[key];
      const ok =
        actual !== undefined &&
        (String(actual) === wanted || (Number.isFinite(Number(wanted)) && Number(actual) === Number(wanted)));
      return [key, ok];
    }),
  );
}

export async function readApplied(
  target: ResolvedTarget,
  set: Record<string, string>,
): Promise<Record<string, boolean>> {
  return appliedSettings(await target.client.getConfiguration(), set);
}
