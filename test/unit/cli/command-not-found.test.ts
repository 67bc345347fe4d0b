/** A mistyped command: one line with the nearest command, exit 127, and the --json document (run as the CLI). */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { notFoundMessage } from '../../../src/cli/command-not-found.js';

const BIN = fileURLToPath(new URL('../../../../bin/run.js', import.meta.url));
const COMMANDS = ['bench', 'capture', 'cleanup', 'export', 'inspect', 'replay', 'report', 'synth'];

describe('notFoundMessage', () => {
  it('names the nearest command when it is close, else points at --help', () => {
    assert.equal(notFoundMessage('synt', COMMANDS, 'hr'), '"synt" is not a hr command; did you mean synth?');
    assert.equal(
      notFoundMessage('replya', COMMANDS, 'hr'),
      '"replya" is not a hr command; did you mean replay?',
    );
    assert.equal(
      notFoundMessage('xyzzy', COMMANDS, 'hr'),
      '"xyzzy" is not a hr command; run hr --help for the list',
    );
    assert.equal(notFoundMessage('x', [], 'hr'), '"x" is not a hr command; run hr --help for the list');
  });
});

describe('the command_not_found hook', () => {
  it('one line, exit 127; under --json one document of kind unknown-command', () => {
    const plain = spawnSync(process.execPath, [BIN, 'synt'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(plain.status, 127);
    assert.equal(plain.stderr, 'Error: "synt" is not a harper-replay command; did you mean synth?\n');
    assert.equal(plain.stdout, '');
    const json = spawnSync(process.execPath, [BIN, 'synt', '--json'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(json.status, 127);
    assert.deepEqual(JSON.parse(json.stdout), {
      exitCode: 127,
      error: {
        message: '"synt" is not a harper-replay command; did you mean synth?',
        exitCode: 127,
        kind: 'unknown-command',
      },
    });
  });
});
