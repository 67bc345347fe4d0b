/** Record keys use ordered-binary, the key encoding of Harper's LMDB stores. */
import { readKey, writeKey } from 'ordered-binary';

export type RecordKey = string | number | boolean | symbol | Uint8Array | RecordKey[];

export { readKey as readRecordKey, writeKey as writeRecordKey };

/** Encodes a key alone (allocates: fine outside hot loops). */
export function encodeRecordKey(key: RecordKey): Buffer {
  const scratch = Buffer.allocUnsafe(4096);
  const end = writeKey(key, scratch, 0);
  return Buffer.from(scratch.subarray(0, end));
}
