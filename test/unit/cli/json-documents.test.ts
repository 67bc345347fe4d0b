/**
 * The published schemas of the --json documents: current with the result types (regenerated here and compared), and
 * strict enough to catch a document that drifts from them.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { jsonDocument } from '../../../src/cli/json-contract.js';
import { inspectCapture } from '../../../src/run/inspect-run.js';
import { assertJsonDocument } from '../../helpers/json-schema.js';

const root = new URL('../../../../', import.meta.url);
const generator = new URL('schemas/generate.mjs', root).href;

describe('schemas/', () => {
  it('are what the result types generate today (npm run schemas rewrites them)', async () => {
    const { generateSchemas, schemaPath, schemaText } = await import(generator);
    const schemas = generateSchemas() as Record<string, unknown>;
    assert.deepEqual(Object.keys(schemas).sort(), [
      'bench',
      'capture',
      'cleanup',
      'export',
      'inspect',
      'replay',
      'report',
      'synth',
    ]);
    for (const [command, schema] of Object.entries(schemas)) {
      assert.equal(
        readFileSync(schemaPath(command), 'utf8'),
        schemaText(schema),
        `schemas/${command}.schema.json is stale: run npm run schemas`,
      );
    }
  });

  it('accept a real document and refuse one that drifts from its type', async () => {
    const file = fileURLToPath(new URL('captures/catchup-40x500.hrcap', root));
    const result = await inspectCapture(
      file,
      { listFrames: false, decode: false },
      { frame() {}, decoded() {} },
    );
    const document = jsonDocument(result, 0);
    assertJsonDocument('inspect', JSON.stringify(document));
    const drifted = [
      { ...document, exitCode: 'zero' },
      { ...document, error: 'a string' },
      { ...document, frames: { ...(document.frames as object), total: '49' } },
      { ...document, error: { message: 'x', exitCode: 6, kind: 'no-such-kind' } },
    ];
    for (const wrong of drifted)
      assert.throws(() => assertJsonDocument('inspect', JSON.stringify(wrong)), /does not match/);
    assert.throws(
      () => assertJsonDocument('inspect', `${JSON.stringify(document)}\nmore`),
      /not one JSON document/,
    );
  });
});
