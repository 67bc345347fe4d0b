/** --template files: JSON or YAML, and every bad file a bad-input error (6) naming the file and the place. */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ExitCode, HarperReplayError } from '../../../src/common/errors.js';
import { loadTemplate, parseTemplate } from '../../../src/workload/shape-template.js';

const dir = mkdtempSync(join(tmpdir(), 'hr-template-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

async function rejectsBadInput(path: string, message: RegExp): Promise<void> {
  await assert.rejects(loadTemplate(path), (error: Error) => {
    assert.ok(error instanceof HarperReplayError);
    assert.equal(error.exitCode, ExitCode.BAD_INPUT);
    assert.match(error.message, message);
    return true;
  });
}

describe('templates', () => {
  it('reads the shipped YAML template and the same shape as JSON', async () => {
    const yaml = await loadTemplate('templates/products.yaml');
    assert.equal(yaml.attributes.length, 10);
    const json = file('p.json', JSON.stringify({ attributes: [{ name: 'a', type: 'int', range: [1, 2] }] }));
    assert.deepEqual(await loadTemplate(json), {
      primaryKey: 'id',
      attributes: [{ name: 'a', type: 'int', range: { min: 1, max: 2 } }],
    });
  });

  it('names the file and the place of a mistake; unreadable files are bad input too', async () => {
    const bad = file(
      'bad.yaml',
      'attributes:\n  - {name: a, type: int}\n  - {name: b, type: string, size: abc}\n',
    );
    await rejectsBadInput(bad, /bad\.yaml: attributes\[1\]\.size: "abc" is not a size$/);
    await rejectsBadInput(file('broken.yaml', 'attributes: [\n'), /broken\.yaml: not JSON or YAML/);
    await rejectsBadInput(join(dir, 'missing.yaml'), /no such file: .*missing\.yaml/);
    await rejectsBadInput(dir, /is a directory/);
    assert.throws(() => parseTemplate('42'), /the template is 42, not an object with attributes/);
  });
});
