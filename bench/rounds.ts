/**
 * The bench's measuring: one capture file and (unless skipped) one embedded harperdb node with N records, made
 * once; then rounds, each running every variant once in a fresh process; then the large runs and the encoders'
 * extra figures (shaped records, export).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SyntheticWorkload } from '../src/workload/synthetic.js';
import { generateCapture } from './generate-capture.js';
import { HarperSender } from './harper-sender.js';
import { type Measured, type Round, runScript } from './measure.js';
import { type RatioRow, ratioRows, type VariantRow, variantRows } from './ratios.js';

export interface BenchSettings {
  records: number;
  repeats: number;
  captureMB: number;
  /** 0: no embedded node (no Harper anchor, no capture variant). */
  harperRecords: number;
  large: boolean;
}

export interface Measurements {
  harper: { version: string; records: number; startMs: number; loadMs: number } | null;
  captureMB: number;
  variants: VariantRow[];
  ratios: RatioRow[];
  large: Measured[];
  shapes: unknown;
  export: unknown;
}

const SYNTH_VARIANTS = [
  'ceiling-client',
  'ceiling-server',
  'naive-client',
  'encode',
  'encode-mix',
  'client',
  'server',
];

/**
 * The socket variants measured again with the `ws` discarding peer (`@ws`): the peer issue 19's first figures were
 * measured with, which on 2 cores spends as much CPU as the sender (see discard-sink.ts).
 */
const WS_PEER_VARIANTS = ['ceiling-client', 'ceiling-server', 'client', 'server'];
const WS_PEER = { BENCH_PEER: 'ws' };

/** The fixed records' payload length, so Harper holds records of the synth size. */
function payloadLength(): number {
  return new SyntheticWorkload({
    frames: 1,
    recordsPerFrame: 1,
    recordSize: 256,
    blobSize: 0,
    seed: 1,
    tableName: 'bench',
    originName: 'bench',
    baseVersion: 1,
    baseSequence: 1,
  }).payloadLength;
}

async function oneRound(
  settings: BenchSettings,
  index: number,
  dir: string,
  capture: { path: string; frames: number },
  harper: HarperSender | null,
) {
  const round: Round = {};
  for (const variant of SYNTH_VARIANTS)
    round[variant] = runScript('synth-send.js', [variant, String(settings.records)]);
  for (const variant of WS_PEER_VARIANTS)
    round[`${variant}@ws`] = runScript('synth-send.js', [variant, String(settings.records)], WS_PEER);
  round['raw-read'] = runScript('raw-io.js', ['read', capture.path]);
  const replayCeiling = ['ceiling-client', String(capture.frames * 10_000)];
  round['ceiling-replay'] = runScript('synth-send.js', replayCeiling);
  round.replay = runScript('replay-send.js', [capture.path]);
  round['ceiling-replay@ws'] = runScript('synth-send.js', replayCeiling, WS_PEER);
  round['replay@ws'] = runScript('replay-send.js', [capture.path], WS_PEER);
  round['raw-write'] = runScript('raw-io.js', ['write', capture.path, join(dir, 'raw-write.bin')]);
  if (harper) {
    // Alternate which copy goes first: the node's first copy after a pause may find colder pages.
    const order = index % 2 ? (['file', 'discard'] as const) : (['discard', 'file'] as const);
    for (const mode of order) round[mode === 'discard' ? 'harper' : 'capture'] = await harper.copy(mode, dir);
  }
  return round;
}

/** 10 M synthetic records sent as client, and a 1 GB capture replayed: the memory bound at size. */
async function largeRuns(dir: string, log: (line: string) => void): Promise<Measured[]> {
  log('large: 10,000,000 synthetic records as client …');
  const synth = { ...runScript('synth-send.js', ['client', '10000000']), variant: 'client-10M-records' };
  const path = join(dir, 'large.hrcap');
  const generating = Date.now();
  await generateCapture(path, 1024e6, 4);
  log(`large: 1 GB capture generated in ${((Date.now() - generating) / 1000).toFixed(0)} s, replaying …`);
  const replay = { ...runScript('replay-send.js', [path]), variant: 'replay-1GB-capture' };
  rmSync(path, { force: true });
  return [synth, replay];
}

export async function runBench(settings: BenchSettings, log: (line: string) => void): Promise<Measurements> {
  const dir = mkdtempSync(join(tmpdir(), 'harper-replay-bench-'));
  let harper: HarperSender | null = null;
  try {
    const path = join(dir, 'bench.hrcap');
    const capture = { path, frames: await generateCapture(path, settings.captureMB * 1e6, 2) };
    if (settings.harperRecords > 0) {
      log(
        `starting an embedded harperdb 4.7.29 and loading ${settings.harperRecords.toLocaleString('en-US')} records …`,
      );
      harper = await HarperSender.start(settings.harperRecords, payloadLength());
      log(
        `  node started in ${(harper.startMs / 1000).toFixed(1)} s, records loaded in ${(harper.loadMs / 1000).toFixed(1)} s (not counted)`,
      );
    }
    const rounds: Round[] = [];
    for (let i = 0; i < settings.repeats; i++) {
      const began = Date.now();
      rounds.push(await oneRound(settings, i, dir, capture, harper));
      log(`round ${i + 1}/${settings.repeats} done in ${((Date.now() - began) / 1000).toFixed(0)} s`);
    }
    const harperInfo = harper
      ? { version: '4.7.29', records: harper.records, startMs: harper.startMs, loadMs: harper.loadMs }
      : null;
    await harper?.stop();
    harper = null;
    const large = settings.large ? await largeRuns(dir, log) : [];
    log('shaped records and export …');
    return {
      harper: harperInfo,
      captureMB: settings.captureMB,
      variants: variantRows(rounds),
      ratios: ratioRows(rounds, large),
      large,
      shapes: runScript('shape-encode.js', ['500000', String(settings.repeats)]) as unknown,
      export: runScript('export-capture.js', []) as unknown,
    };
  } finally {
    await harper?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
