import { parseDuration } from '../common/units.js';

/** --since: '0' (full copy), 'now', a duration back from now ('10m'), or an ISO time. Returns sender-local ms. */
export function parseSince(text: string, now = Date.now()): number {
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  if (trimmed === 'now') return now;
  if (/^\d/.test(trimmed) && /[a-z]$/i.test(trimmed) && !trimmed.includes('T'))
    return now - parseDuration(trimmed);
  const parsed = Date.parse(trimmed);
  if (Number.isNaN(parsed))
    throw new Error(`--since "${text}" is not 0, now, a duration (10m) or an ISO time`);
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
