/**
 * `npm run bench -- --presets a,b` (or `all`): each named synth preset once, against its own embedded harperdb
 * node, in a fresh CLI process; prints the wall time (node start and stop included, the 60 s goal of issue 13) and
 * what the preset is about. Not part of the default bench: each preset starts a node and takes 10–60 s.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { presetNames } from '../src/workload/presets.js';

const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url));
const MiB = 1024 * 1024;

interface PresetResult {
  outcome: string;
  committed: { frames: number; allFrames: boolean };
  memory: { external: { growthThread: number | null } };
  workers: {
    deaths: number;
    reconnects: number;
    targetFaultsFired: number | null;
    logErrors: { uncaught: number };
  };
  herd: { deaths: Array<{ dropped: number; resubscribed: number }> };
}

/** The presets `--presets LIST` names (`all`: every preset); throws on an unknown name. */
export function selectPresets(list: string): string[] {
  if (list === 'all') return presetNames();
  const names = list
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  for (const name of names) {
    if (!presetNames().includes(name))
      throw new Error(`unknown preset "${name}"; choose from: ${presetNames().join(', ')}, or all`);
  }
  return names;
}

function describeResult(result: PresetResult): string {
  const { external } = result.memory;
  const herd = result.herd.deaths.map((d) => `${d.resubscribed}/${d.dropped}`).join(', ');
  return [
    `${result.outcome}, all frames acked ${result.committed.allFrames}`,
    `external growth ${external.growthThread === null ? '–' : `${(external.growthThread / MiB).toFixed(1)} MiB`}`,
    `deaths ${result.workers.deaths}, reconnects ${result.workers.reconnects}`,
    herd ? `herd re-subscribed ${herd}` : '',
    result.workers.targetFaultsFired === null ? '' : `fault fired ${result.workers.targetFaultsFired}`,
    `uncaught ${result.workers.logErrors.uncaught}`,
  ]
    .filter(Boolean)
    .join('; ');
}

/** Runs each preset once and prints its time; a preset's threshold breach (exit 99) is reported, not fatal. */
export function timePresets(names: string[]): void {
  console.log(`\npresets, each once on its own embedded node (wall time includes the node's start and stop)`);
  for (const name of names) {
    const started = performance.now();
    const run = spawnSync(process.execPath, [BIN, 'synth', '--preset', name, '--json'], {
      encoding: 'utf8',
      maxBuffer: 64 * MiB,
    });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    let detail: string;
    try {
      detail = describeResult(JSON.parse(run.stdout) as PresetResult);
    } catch {
      detail = `no result: ${run.stderr.trim().split('\n').at(-1) ?? `exit ${run.status}`}`;
    }
    console.log(`  ${name.padEnd(20)} ${seconds.padStart(6)} s  exit ${run.status}  ${detail}`);
  }
}
