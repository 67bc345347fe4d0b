/**
 * The anchor "Harper's own sender": an embedded harperdb 4.7.29 node holding N records of the synth shape
 * ({id, generation, payload}, ~256 B) in data.bench, loaded once through the operations API (timed, not counted),
 * then copied in full (subscription from version 0) to a receiver in a fresh process per run (full-copy-receive.ts).
 */
import { fork } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EmbeddedNode } from '../src/harper/embedded-node.js';
import type { FullCopyJob } from './full-copy-receive.js';

export interface FullCopyResult {
  variant: 'discard' | 'file';
  records: number;
  frames: number;
  bytes: number;
  /** First data frame to last (the rate's clock). */
  wallMs: number;
  /** The whole job, connecting included. */
  jobMs: number;
  dataFrames: number;
  recordsPerSec: number;
  mbPerSec: number;
  cpuSec: number;
  cores: number;
  peakRssMiB: number;
  fileMB: number | null;
  /** CPU the harperdb process (all its threads) spent during the copy: near the wall time, its sender is busy. */
  harperCpuSec?: number;
}

/** CPU seconds (user + system, all threads) of process `pid`, from /proc (Linux; NaN elsewhere). */
function processCpuSec(pid: number): number {
  try {
    // The fields after the command's closing parenthesis; utime and stime are the 12th and 13th of them.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

const BATCH = 10_000;
const receiver = fileURLToPath(new URL('./full-copy-receive.js', import.meta.url));

export class HarperSender {
  private constructor(
    private readonly node: EmbeddedNode,
    readonly records: number,
    readonly loadMs: number,
    readonly startMs: number,
  ) {}

  /** Starts the node and loads `records` records of `payloadLength` characters each. */
  static async start(records: number, payloadLength: number): Promise<HarperSender> {
    const started = Date.now();
    const node = await EmbeddedNode.start({ readyTimeoutMs: 120_000 });
    const startMs = Date.now() - started;
    try {
      const client = node.client(300_000);
      await client.createTable('data', 'bench', 'id');
      const text = 'abcdefghijklmnopqrstuvwxyz'.repeat(Math.ceil((payloadLength + 64) / 26));
      const loading = Date.now();
      for (let first = 1; first <= records; first += BATCH) {
        const batch = Array.from({ length: Math.min(BATCH, records - first + 1) }, (_, i) => ({
          id: first + i,
          generation: 0,
          payload: text.slice((first + i) % 26, ((first + i) % 26) + payloadLength),
        }));
        await client.call({ operation: 'insert', database: 'data', table: 'bench', records: batch });
      }
      return new HarperSender(node, records, Date.now() - loading, startMs);
    } catch (error) {
      await node.stop();
      throw error;
    }
  }

  /** One full copy into a fresh receiver process: discarded (the anchor) or written to a capture file in `dir`. */
  async copy(mode: FullCopyJob['mode'], dir: string): Promise<FullCopyResult> {
    const out = join(dir, 'full-copy.hrcap');
    const child = fork(receiver, [], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    let stdout = '';
    child.stdout!.on('data', (chunk) => {
      stdout += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const job: FullCopyJob = {
      mode,
      replicationUrl: this.node.replicationUrl,
      credentials: this.node.credentials,
      records: this.records,
      out,
    };
    const cpuBefore = processCpuSec(this.node.pid);
    child.send(job);
    const code = await exited;
    const harperCpuSec = Math.round((processCpuSec(this.node.pid) - cpuBefore) * 100) / 100;
    rmSync(out, { force: true });
    if (code !== 0) throw new Error(`full copy (${mode}) exited with ${code}`);
    return { ...(JSON.parse(stdout) as FullCopyResult), harperCpuSec };
  }

  stop(): Promise<void> {
    return this.node.stop();
  }
}
