/** A capture's shape summary (the `shapes` event's table) that the summary and shape-lines tests both print. */
import type { ShapeSummary } from '../../src/events/schema.js';

/** The dog table of c.hrcap, shaped into a scratch table: one string attribute, nothing indexed. */
export const capturedDogShape: ShapeSummary = {
  from: 'c.hrcap#dog',
  kind: 'capture',
  table: 'dog_hr_1_abcd',
  scratch: true,
  primaryKey: 'id',
  attributes: [{ name: 'name', type: 'string' }],
  indexed: [],
  meanRecordBytes: 12,
  maxRecordBytes: 14,
};
