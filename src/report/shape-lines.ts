/** The summary's "record shapes" section: per table where its shape came from, its attributes and sizes. */

import { formatCount } from '../common/units.js';
import type { ShapeSummary } from '../events/schema.js';

export function shapeLines(shapes: readonly ShapeSummary[] | undefined): string[] {
  if (!shapes?.length) return [];
  const lines = ['', 'record shapes'];
  for (const s of shapes) {
    const fate = s.scratch ? (s.dropped ? ' (scratch, dropped)' : ' (scratch, kept)') : '';
    lines.push(`  ${s.table}${fate} like ${s.kind} ${s.from}`);
    const attributes = s.attributes
      .map((a) => `${a.name}:${a.type}${a.nullRate ? ` (${Math.round(a.nullRate * 100)}% null)` : ''}`)
      .join(', ');
    lines.push(`    key ${s.primaryKey}; ${s.attributes.length} attributes: ${attributes}`);
    lines.push(
      `    indexed: ${s.indexed.length ? s.indexed.join(', ') : 'none'}; record ${s.meanRecordBytes} B mean, ${s.maxRecordBytes} B max`,
    );
    if (s.capturedRecords !== undefined)
      lines.push(
        `    captured records: ${formatCount(s.capturedRecords)}${s.rewrittenIds === undefined ? '' : `; ${formatCount(s.rewrittenIds)} captured ids re-created first, then rewritten by the mix`}`,
      );
    if (s.skipped?.length) lines.push(`    not synthesized (binary or blobs): ${s.skipped.join(', ')}`);
  }
  return lines;
}
