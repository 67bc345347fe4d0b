/**
 * Blobs: a record refers to its blob with msgpack extension 11 whose payload is plain MessagePack
 * `[options, storageIndex, fileId]` (file-backed) or `[options, content]` (inline); the bytes travel separately in
 * BLOB_CHUNK frames `[146, {fileId, size, finished?}, chunk]` of at most 256 KiB (resources/blob.ts).
 */
import { addExtension, pack, unpack } from 'msgpackr';
import { BLOB_CHUNK_SIZE, BLOB_EXTENSION_TYPE } from './codes.js';
import { type BlobChunkHeader, encodeBlobChunk } from './control-frame.js';

export interface BlobOptions {
  size?: number;
  type?: string;
  [key: string]: unknown;
}

/** What a decoded record holds where Harper stored a Blob. */
export class BlobReference {
  constructor(
    readonly options: BlobOptions,
    /** File-backed: the sender's file id (a join key for BLOB_CHUNK frames on the same connection). */
    readonly fileId?: string,
    readonly storageIndex?: number,
    /** Inline blobs carry their content in the reference. */
    readonly content?: Uint8Array,
  ) {}

  get size(): number | undefined {
    return this.options.size ?? this.content?.length;
  }

  toJSON(): Record<string, unknown> {
    return this.content
      ? { blob: 'inline', size: this.size, options: this.options }
      : { blob: 'file', fileId: this.fileId, size: this.size, storageIndex: this.storageIndex };
  }
}

/** The ext-11 payload of a file-backed blob reference. */
export function encodeBlobReferencePayload(fileId: string, size: number, storageIndex = 0): Buffer {
  return pack([{ size }, storageIndex, fileId]);
}

export function decodeBlobReferencePayload(payload: Uint8Array): BlobReference {
  const decoded = unpack(payload) as unknown;
  if (!Array.isArray(decoded) || typeof decoded[0] !== 'object' || decoded[0] === null) {
    throw new Error('blob reference is not [options, …]');
  }
  const options = decoded[0] as BlobOptions;
  if (decoded[1] instanceof Uint8Array) return new BlobReference(options, undefined, undefined, decoded[1]);
  return new BlobReference(options, String(decoded[2]), Number(decoded[1]));
}

let registered = false;
/** Makes msgpackr decode extension 11 into BlobReference (and encode BlobReference back). Idempotent. */
export function registerBlobExtension(): void {
  if (registered) return;
  registered = true;
  addExtension({
    Class: BlobReference,
    type: BLOB_EXTENSION_TYPE,
    pack: (blob: BlobReference) =>
      blob.content
        ? pack([blob.options, blob.content])
        : encodeBlobReferencePayload(blob.fileId ?? '', blob.size ?? 0, blob.storageIndex ?? 0),
    unpack: (payload: Uint8Array) => decodeBlobReferencePayload(payload),
  });
}

/**
 * BLOB_CHUNK frames for one blob: pieces of at most `chunkSize`, `finished` on the last (with `lastHeader`'s fields
 * too, e.g. an `error`).
 */
export function* blobChunkFrames(
  fileId: string,
  content: Uint8Array,
  chunkSize = BLOB_CHUNK_SIZE,
  lastHeader: Partial<BlobChunkHeader> = {},
): Generator<Buffer> {
  const size = content.length;
  if (size === 0) {
    yield encodeBlobChunk({ fileId, size, finished: true, ...lastHeader }, content);
    return;
  }
  for (let offset = 0; offset < size; offset += chunkSize) {
    const end = Math.min(size, offset + chunkSize);
    const header = end === size ? { fileId, size, finished: true, ...lastHeader } : { fileId, size };
    yield encodeBlobChunk(header, content.subarray(offset, end));
  }
}
