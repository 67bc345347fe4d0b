/**
 * Sender-side blob faults (PR #150's scenario, from the sender's end): every Nth blob of a run is sent wrong in one
 * of four ways, deterministically (blob n, 1-based in record order, gets the first kind whose N divides n):
 *
 *   error     its last BLOB_CHUNK carries an `error` (the receiver destroys the blob stream: "Blob error: …")
 *   withhold  the record is sent, its chunks never are (the receiver waits blobTimeout for them)
 *   truncate  the chunks stop short of the declared size, then say finished
 *   orphan    the blob is sent as usual, then chunks for a fileId no record references
 */
import type { BlobFault, BlobFaultKind } from '../events/schema.js';
import { blobChunkFrames } from '../protocol/blob.js';
import { BLOB_CHUNK_SIZE } from '../protocol/codes.js';
import { encodeBlobChunk } from '../protocol/control-frame.js';

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
  const size = content.length;
  switch (kind) {
    case undefined:
      return [...blobChunkFrames(fileId, content)];
    case 'withhold':
      return [];
    case 'error':
      // Every piece as usual, but the last one says the transfer failed instead of just finishing.
      return [...blobChunkFrames(fileId, content, BLOB_CHUNK_SIZE, { error: INJECTED_ERROR })];
    case 'truncate':
      // Half the bytes, then a finished chunk: the declared size is never reached.
      return [
        encodeBlobChunk({ fileId, size }, content.subarray(0, Math.floor(size / 2))),
        encodeBlobChunk({ fileId, size, finished: true }, new Uint8Array(0)),
      ];
    case 'orphan':
      return [
        ...blobChunkFrames(fileId, content),
        encodeBlobChunk({ fileId: `${fileId}-orphan`, size, finished: true }, content),
      ];
  }
}
