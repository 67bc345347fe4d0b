import { parseDuration } from '../common/units.js';

/** --since: '0' (full copy), 'now', a duration back from now ('10m'), or an ISO time. Returns sender-local ms. */
export function parseSince(text: string, now = Date.now()): number {
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  if (trimmed === 'now') return now;
  const usage = `--since "${text}" is not 0, now, a duration back from now (10m, 1h30m) or an ISO time (2026-01-02T03:04:05Z)`;
  if (/^\d[\d.]*[a-z][\da-z.]*$/i.test(trimmed)) {
    try {
      return now - parseDuration(trimmed);
    } catch {
      throw new Error(usage);
    }
  }
  // A bare number would be read by Date.parse as a year or a month (5 → 2001-05-01): refused, not guessed.
  if (/^\d+(\.\d+)?$/.test(trimmed)) throw new Error(usage);
  const parsed = Date.parse(trimmed.replace(/^(\d{4}-\d{2}-\d{2})[ t]/, '$1T'));
  if (Number.isNaN(parsed)) throw new Error(usage);
  return parsed;
}

/** A default capture file name: source host, database and UTC time. */
export function defaultCaptureName(source: string, database: string, at = new Date()): string {
  let host = 'source';
  try {
    const url = new URL(source);
    host = `${url.hostname}-${url.port || (url.protocol.startsWith('https') || url.protocol === 'wss:' ? 443 : 80)}`;
  } catch {}
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${host.replace(/[^A-Za-z0-9.-]/g, '_')}-${database.replace(/[^A-Za-z0-9_-]/g, '_')}-${stamp}.hrcap`;
}
