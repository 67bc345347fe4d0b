/**
 * The seam between what a synthetic record holds (its shape) and how the synthesizer frames it: every table of a
 * synthetic run has one RecordEncoder, asked for every entry put into a frame.
 */
import type { TableStructure } from '../protocol/control-frame.js';

/** How the records of one table are written: the synthesizer asks it for every entry it puts. */
export interface RecordEncoder {
  readonly tableName: string;
  /** The TABLE_FIXED_STRUCTURE sent in the preamble (declared attributes = what the target indexes). */
  tableStructure(): TableStructure;
  /** Upper bound of the encoded value of any record (bytes), to size the frame buffer. */
  readonly valueBound: number;
  /** Writes the value of key `id` in its `generation`-th version (0 = first insert, 1 = first update, …) at pos
   *  of target (a TxnFrameWriter entry), returns the new pos. Deterministic from (seed, id, generation). */
  write(target: Buffer, pos: number, view: DataView, id: number, generation: number, poolAt?: number): number;
  /**
   * Bytes the encoder copies values from. A frame writer given them (TxnFrameWriter's pool) keeps a copy inside
   * every target and passes its offset as write's `poolAt`: copying within the target allocates nothing.
   */
  readonly copySource?: Uint8Array;
  /** The record the target should hold for (id, generation): what verification compares. */
  expected(id: number, generation: number): Record<string, unknown>;
}
