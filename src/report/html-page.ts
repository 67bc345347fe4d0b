/**
 * What every HTML output shares: uPlot's script and styles to inline (a report opens without a network), and
 * escaping for text and for JSON embedded in a <script> element.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export function uplotAssets(): { script: string; style: string } {
  const require = createRequire(import.meta.url);
  const dist = dirname(require.resolve('uplot'));
  return {
    script: readFileSync(join(dist, 'uPlot.iife.min.js'), 'utf8'),
    style: readFileSync(join(dist, 'uPlot.min.css'), 'utf8'),
  };
}

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text safe inside an element or an attribute value. */
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);

/** JSON safe to embed in a <script> element. */
export const embedJson = (value: unknown): string => JSON.stringify(value).replace(/</g, '\\u003c');
