/** --listen: one shape ([HOST:]PORT), one default host, one parser for every command that listens. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { captureFlags } from '../../../src/cli/capture-options.js';
import { DEFAULT_LISTEN_HOST, listenFlag, parseListen } from '../../../src/cli/listen-flag.js';
import { loadFlags } from '../../../src/cli/load-command.js';
import { parseFlags } from './support.js';

describe('parseListen', () => {
  it('takes PORT (on the loopback host) or HOST:PORT, IPv6 in brackets', () => {
    assert.equal(DEFAULT_LISTEN_HOST, '127.0.0.1');
    assert.deepEqual(parseListen('9950'), { host: '127.0.0.1', port: 9950 });
    assert.deepEqual(parseListen(':9950'), { host: '127.0.0.1', port: 9950 });
    assert.deepEqual(parseListen('0.0.0.0:0'), { host: '0.0.0.0', port: 0 });
    assert.deepEqual(parseListen('[::1]:65535'), { host: '::1', port: 65535 });
    assert.deepEqual(parseListen('localhost:1'), { host: 'localhost', port: 1 });
  });

  it('refuses anything else, naming the flag and the shape', () => {
    for (const text of ['', 'abc', 'host:', '65536', '1.2.3.4:99999', '12345678', '-1', '9950 ']) {
      if (text === '9950 ') {
        assert.equal(parseListen(text).port, 9950, 'surrounding blanks are not part of the value');
        continue;
      }
      assert.throws(() => parseListen(text), {
        message: `"${text}" is not [HOST:]PORT with a port from 0 to 65535 (e.g. 9950, or 0.0.0.0:9950 for other machines)`,
      });
    }
  });
});

describe('--listen on every command that has it', () => {
  it('is the same flag: shape, help value and shared help text', async () => {
    for (const flags of [captureFlags, loadFlags]) {
      assert.equal(flags.listen.helpValue, '[HOST:]PORT');
      assert.match(String(flags.listen.summary), /listens on \[HOST:\]PORT \(host 127\.0\.0\.1 by default/);
      const parsed = await parseFlags(flags as typeof loadFlags, ['--listen', '0.0.0.0:9950']);
      assert.deepEqual(parsed.listen, { host: '0.0.0.0', port: 9950 });
      // A custom parser's refusal: exit 2 through oclif's failedFlagParsing code (package.json), not this error.
      await assert.rejects(
        parseFlags(flags, ['--listen', 'x:y']),
        /Parsing --listen\s+"x:y" is not \[HOST:\]PORT/,
      );
    }
  });

  it('a default is shown as written and parsed like a given value', async () => {
    const flag = listenFlag('Test: the tool', '127.0.0.1:0');
    assert.equal(await (flag.defaultHelp as () => Promise<string>)(), '127.0.0.1:0');
    assert.deepEqual(flag.default, { host: '127.0.0.1', port: 0 });
    assert.equal(listenFlag('Test: the tool').default, undefined);
  });
});
