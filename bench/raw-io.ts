/**
 * The disk anchors for replay and capture (fresh process): `node raw-io.js read FILE` reads FILE sequentially in
 * 1 MiB chunks into one buffer and discards them; `node raw-io.js write FILE OUT` writes as many bytes as FILE
 * holds to OUT in 1 MiB chunks (FILE's first 16 MiB, over and over, read before the clock starts) and fsyncs at
 * the end. The file was just written, so a read comes mostly from the page cache, as replay's does. Prints one
 * JSON line.
 */

import { closeSync, createWriteStream, fsyncSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';

const MiB = 1024 * 1024;
const [mode, file, out] = process.argv.slice(2) as ['read' | 'write', string, string | undefined];
const size = statSync(file).size;

/**
 * Asynchronous reads (as replay's) into one reused buffer: what reading the file can do. A stream's fresh 1 MiB
 * buffer per chunk measured 0.3 GB/s on a machine where this reads 9–13 GB/s from the page cache.
 */
async function read(): Promise<{ bytes: number; wallMs: number }> {
  const handle = await open(file, 'r');
  const buffer = Buffer.allocUnsafe(MiB);
  const started = performance.now();
  let bytes = 0;
  for (let got = 1; got > 0; bytes += got) ({ bytesRead: got } = await handle.read(buffer, 0, MiB, bytes));
  const wallMs = performance.now() - started;
  await handle.close();
  return { bytes, wallMs };
}

/** FILE's first 16 MiB, in 1 MiB chunks (read before the clock starts). */
function firstChunks(): Buffer[] {
  const chunks: Buffer[] = [];
  const fd = openSync(file, 'r');
  for (let i = 0; i < Math.min(16, Math.ceil(size / MiB)); i++) {
    const chunk = Buffer.allocUnsafe(MiB);
    chunks.push(chunk.subarray(0, readSync(fd, chunk, 0, MiB, i * MiB)));
  }
  closeSync(fd);
  return chunks;
}

async function write(target: string): Promise<{ bytes: number; wallMs: number }> {
  const chunks = firstChunks();
  const started = performance.now();
  const stream = createWriteStream(target);
  let bytes = 0;
  for (let i = 0; bytes < size; i++) {
    const chunk = chunks[i % chunks.length]!.subarray(0, size - bytes);
    bytes += chunk.length;
    if (!stream.write(chunk)) await new Promise<void>((resolve) => stream.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) => {
    stream.once('error', reject);
    stream.end(() => resolve());
  });
  const fd = openSync(target, 'r+');
  fsyncSync(fd);
  closeSync(fd);
  return { bytes, wallMs: performance.now() - started };
}

const { bytes, wallMs } = mode === 'read' ? await read() : await write(out!);
if (out) rmSync(out, { force: true });
process.stdout.write(
  `${JSON.stringify({
    variant: `raw-${mode}`,
    bytes,
    wallMs: Math.round(wallMs),
    mbPerSec: Math.round((bytes / 1e3 / wallMs) * 10) / 10,
  })}\n`,
);
