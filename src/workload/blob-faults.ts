/**
 * Sender-side blob faults (PR #150's scenario, from the sender's end): every Nth blob of a run is sent wrong in one
 * of four ways, deterministically (blob n, 1-based in record order, gets the first kind whose N divides n):
 *
 *   error     its last BLOB_CHUNK carries an `error` (the receiver destroys the blob stream: "Blob error: …")
 *   withhold  the record is sent, its chunks never are (the receiver waits blobTimeout for them)
 *   truncate  the chunks stop short of the declared size, then say finished
 *   orphan    the blob is sent as usual, then its last piece as a whole transfer for a fileId no record has
 *
 * The synthesizer faults the blobs it makes; a replay faults the captured chunks, chunk by chunk (faultedChunk).
 */
import type { BlobFault, BlobFaultKind } from '../events/schema.js';
import { blobChunkFrames } from '../protocol/blob.js';
import { type BlobChunkHeader, decodeControlFrame, encodeBlobChunk } from '../protocol/control-frame.js';

export const BLOB_FAULT_KINDS: readonly BlobFaultKind[] = ['error', 'withhold', 'truncate', 'orphan'];

/** The error text an `error` fault's last chunk carries (the receiver logs it). */
export const INJECTED_ERROR = 'harper-replay injected blob fault';

/** Parses `KIND:EVERY[,KIND:EVERY]`, e.g. `error:7,withhold:11`; throws a usage message naming what is wrong. */
export function parseBlobFaults(text: string): BlobFault[] {
  const faults = text.split(',').map((part) => {
    const match = /^\s*([a-z]+)\s*:\s*(\d+)\s*$/.exec(part);
    if (!match) throw new Error(`--blob-faults "${part.trim()}" is not KIND:EVERY (e.g. error:7)`);
    const [, kind, every] = match as unknown as [string, string, string];
    if (!BLOB_FAULT_KINDS.includes(kind as BlobFaultKind)) {
      throw new Error(`--blob-faults: unknown kind "${kind}"; known: ${BLOB_FAULT_KINDS.join(', ')}`);
    }
    if (Number(every) < 1) throw new Error(`--blob-faults ${kind}:${every}: EVERY must be 1 or more`);
    return { kind: kind as BlobFaultKind, every: Number(every) };
  });
  const kinds = faults.map((f) => f.kind);
  const repeated = kinds.find((kind, i) => kinds.indexOf(kind) !== i);
  if (repeated) throw new Error(`--blob-faults: ${repeated} is given twice`);
  return faults;
}

/** The fault of blob `n` (1-based, in record order), if any. */
export function faultOf(faults: readonly BlobFault[], n: number): BlobFaultKind | undefined {
  return faults.find((fault) => n % fault.every === 0)?.kind;
}

/** The BLOB_CHUNK frames a blob is sent as under `kind` (none: as it should be). */
export function faultedChunks(
  kind: BlobFaultKind | undefined,
  fileId: string,
  content: Uint8Array,
): Buffer[] {
  const pieces = [...blobChunkFrames(fileId, content)];
  if (kind === undefined) return pieces;
  let passed = 0;
  return pieces.flatMap((raw) => {
    const frame = decodeControlFrame(raw);
    if (frame.type !== 'BLOB_CHUNK') return [raw];
    const out = faultedChunk(kind, raw, frame.header, frame.chunk, passed);
    passed += frame.chunk.length;
    return out;
  });
}

/**
 * One BLOB_CHUNK of a blob (its encoded frame `raw`, header and bytes) as sent under `kind`; `passed` is how many
 * bytes of the blob its earlier chunks carried. Chunk by chunk, so a replay can fault the chunks a capture carries.
 */
export function faultedChunk(
  kind: BlobFaultKind | undefined,
  raw: Buffer,
  header: BlobChunkHeader,
  chunk: Uint8Array,
  passed: number,
): Buffer[] {
  switch (kind) {
    case undefined:
      return [raw];
    case 'withhold':
      return [];
    case 'error':
      // Every piece as usual, but the last one says the transfer failed instead of just finishing.
      return header.finished ? [encodeBlobChunk({ ...header, error: INJECTED_ERROR }, chunk)] : [raw];
    case 'truncate': {
      // Bytes up to half the declared size, then a finished chunk: the declared size is never reached.
      const { finished, ...open } = header;
      const half = Math.floor((header.size ?? passed + chunk.length) / 2);
      const keep = Math.max(0, Math.min(chunk.length, half - passed));
      const out = keep > 0 ? [encodeBlobChunk(open, chunk.subarray(0, keep))] : [];
      if (finished) out.push(encodeBlobChunk({ ...open, finished: true }, new Uint8Array(0)));
      return out;
    }
    case 'orphan':
      // The blob as usual; after its last piece, that piece again as a whole transfer no record refers to.
      return header.finished
        ? [
            raw,
            encodeBlobChunk({ fileId: `${header.fileId}-orphan`, size: chunk.length, finished: true }, chunk),
          ]
        : [raw];
  }
}
