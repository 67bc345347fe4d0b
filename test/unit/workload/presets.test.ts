import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_PRESET, PRESETS, presetNames } from '../../../src/workload/presets.js';

describe('presets', () => {
  it('are named by their key and have positive shapes', () => {
    assert.deepEqual(presetNames(), Object.keys(PRESETS));
    assert.ok(presetNames().includes(DEFAULT_PRESET));
    for (const [key, preset] of Object.entries(PRESETS)) {
      assert.equal(preset.name, key);
      assert.ok(preset.frames > 0 && preset.recordsPerFrame > 0 && preset.recordSize > 0, key);
      assert.ok(preset.blobSize >= 0, key);
      assert.ok(preset.description.length > 0, key);
    }
  });

  it('describe the documented scenarios', () => {
    assert.equal(PRESETS['oversized-10k']!.recordsPerFrame, 10_000);
    assert.equal(PRESETS['catchup-40x500']!.frames * PRESETS['catchup-40x500']!.recordsPerFrame, 20_000);
    const blobs = PRESETS['blobs-50k']!;
    assert.equal(blobs.blobSize, 50 * 1024);
    assert.equal(blobs.frames * blobs.recordsPerFrame, 200);
  });
});
