/** The version recorded in run metadata and capture headers is package.json's, from source and from dist alike. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { TOOL_VERSION } from '../../../src/common/version.js';

describe('TOOL_VERSION', () => {
  it("is package.json's version", () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    assert.equal(TOOL_VERSION, pkg.version);
    assert.match(TOOL_VERSION, /^\d+\.\d+\.\d+/);
  });
});
