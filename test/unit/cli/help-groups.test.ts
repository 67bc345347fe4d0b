/** Help groups: one table, the same group for a flag in every command, nothing else about a flag changed. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { benchFlags } from '../../../src/cli/bench-options.js';
import { captureFlags } from '../../../src/cli/capture-options.js';
import { withHelpGroups } from '../../../src/cli/help-groups.js';
import { loadFlags } from '../../../src/cli/load-command.js';
import { replayFlags } from '../../../src/cli/replay-options.js';
import { synthFlags } from '../../../src/cli/workload-flags.js';

describe('withHelpGroups', () => {
  it('adds a group to the flags it knows and leaves the rest of each definition as it was', () => {
    const grouped = withHelpGroups(loadFlags);
    assert.deepEqual(Object.keys(grouped), Object.keys(loadFlags));
    for (const [name, definition] of Object.entries(grouped)) {
      const original = loadFlags[name as keyof typeof loadFlags];
      assert.deepEqual({ ...definition, helpGroup: undefined }, { ...original, helpGroup: undefined }, name);
    }
    assert.equal(grouped.target.helpGroup, 'TARGET');
    assert.equal(grouped.ca.helpGroup, 'TLS');
    assert.equal(grouped['ack-timeout'].helpGroup, 'FLOW');
    assert.equal(grouped.threshold.helpGroup, 'REPORT');
    assert.equal(grouped.force.helpGroup, 'OUTPUT');
  });

  it('gives a flag the same group in every command, and leaves the workload flags under FLAGS', () => {
    const commands = [loadFlags, synthFlags, replayFlags, benchFlags, captureFlags].map((flags) =>
      withHelpGroups(flags as Record<string, object>),
    );
    const seen = new Map<string, string | undefined>();
    for (const flags of commands) {
      for (const [name, definition] of Object.entries(flags)) {
        const group = (definition as { helpGroup?: string }).helpGroup;
        if (seen.has(name)) assert.equal(group, seen.get(name), name);
        seen.set(name, group);
      }
    }
    assert.equal(seen.get('preset'), undefined);
    assert.equal(seen.get('frames'), undefined);
  });
});
