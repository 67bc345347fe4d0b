/** The one --json contract: exitCode and error first, the measurements after, whatever the result looked like. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonDocument, jsonError } from '../../../src/cli/json-contract.js';
import { ExitCode } from '../../../src/common/errors.js';

describe('jsonDocument', () => {
  it('a success: exitCode 0 and error null first, the result after, its own error and exitCode not repeated', () => {
    const document = jsonDocument({ frames: 3, exitCode: 0 }, 1);
    assert.deepEqual(document, { exitCode: 0, error: null, frames: 3 });
    assert.deepEqual(Object.keys(document).slice(0, 2), ['exitCode', 'error']);
  });

  it("a result's error string becomes the error object with its exit code and kind", () => {
    assert.deepEqual(jsonDocument({ error: 'connection refused', exitCode: 4, sent: 0 }, 0), {
      exitCode: 4,
      error: { message: 'connection refused', exitCode: 4, kind: 'unreachable' },
      sent: 0,
    });
  });

  it('a breach without an error string names the breached thresholds', () => {
    const document = jsonDocument(
      {
        exitCode: ExitCode.THRESHOLD_BREACHED,
        thresholds: [
          { expression: 'peakRss<1GiB', ok: true },
          { expression: 'oomEvents==0', ok: false },
        ],
      },
      0,
    );
    assert.deepEqual(document.error, {
      message: 'threshold breached: oomEvents==0',
      exitCode: 99,
      kind: 'threshold-breached',
    });
  });

  it('a result without an exit code takes the process exit code; anything else is wrapped', () => {
    assert.deepEqual(jsonDocument({ rows: 1 }, ExitCode.BAD_INPUT), {
      exitCode: 6,
      error: { message: 'bad-input', exitCode: 6, kind: 'bad-input' },
      rows: 1,
    });
    assert.deepEqual(jsonDocument(undefined, 0), { exitCode: 0, error: null, result: null });
    assert.deepEqual(jsonDocument([1, 2], 0), { exitCode: 0, error: null, result: [1, 2] });
  });

  it('an unknown code is an error of kind error', () => {
    assert.deepEqual(jsonError('boom', 42), { message: 'boom', exitCode: 42, kind: 'error' });
  });
});
