/** synth's shape flags: what --like names, --scale, and every combination that makes no sense refused in one line. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadFlags } from '../../../src/cli/load-command.js';
import { likeSource, parseScale, shapeOptions } from '../../../src/cli/shape-flags.js';
import { synthFlags, synthOptions } from '../../../src/cli/workload-flags.js';
import { parseOperationMix } from '../../../src/workload/operation-mix.js';
import { parseFlags, withoutHarperEnvironment } from './support.js';

withoutHarperEnvironment();

const parse = (...argv: string[]) => parseFlags({ ...loadFlags, ...synthFlags }, argv);

describe('shape flags', () => {
  it('--like names a capture or a table', () => {
    assert.deepEqual(likeSource('captures/a.hrcap'), { kind: 'capture', path: 'captures/a.hrcap' });
    assert.deepEqual(likeSource('x.hrcap'), { kind: 'capture', path: 'x.hrcap' });
    assert.deepEqual(likeSource('data.products'), { kind: 'table', database: 'data', table: 'products' });
    assert.throws(
      () => likeSource('products'),
      /--like "products" is neither a capture \(FILE.hrcap\) nor a table/,
    );
  });

  it('--scale reads 10x and 10, refuses the rest', () => {
    assert.equal(parseScale('10x'), 10);
    assert.equal(parseScale('2.5'), 2.5);
    assert.throws(() => parseScale('ten'), /--scale "ten" is not a factor like 10x/);
    assert.throws(() => parseScale('0x'), /not a factor/);
  });

  it('--like DB.TABLE loads that database; the shape options reach the run', async () => {
    const synth = synthOptions(
      await parse('--like', 'shop.products', '--like', 'captures/catchup-40x500.hrcap', '--keep-table'),
    );
    assert.equal(synth.database, 'shop');
    assert.deepEqual(synth.shapes, {
      sources: [
        { kind: 'table', database: 'shop', table: 'products' },
        { kind: 'capture', path: 'captures/catchup-40x500.hrcap' },
      ],
      keepTable: true,
      intoSourceTable: false,
    });
    const template = synthOptions(await parse('--template', 'templates/products.yaml'));
    assert.deepEqual(template.shapes?.sources, [{ kind: 'template', path: 'templates/products.yaml' }]);
    assert.equal(template.database, 'data');
    assert.equal(synthOptions(await parse()).shapes, undefined);
    // A shaped mix is no longer refused (the frames wait for the acks they depend on).
    const mixed = synthOptions(
      await parse('--template', 'templates/products.yaml', '--mix', 'insert=70,update=30'),
    );
    assert.deepEqual(mixed.workload.mix, parseOperationMix('insert=70,update=30'));
    assert.deepEqual(mixed.workload.keys, { kind: 'uniform' });
  });

  it('refuses nonsense with one line naming the flags', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--like', 'a.hrcap', '--record-size', '1KB'], /--record-size does not go with --like/],
      [['--template', 't.yaml', '--blob-size', '1KB'], /--blob-size does not go with --template/],
      [['--template', 't.yaml', '--like', 'a.hrcap'], /--template and --like both/],
      [['--scale', '10x'], /--scale goes with --like/],
      [['--like', 'data.t', '--scale', '10x'], /--scale multiplies a capture's record count/],
      [
        ['--like', 'a.hrcap', '--scale', '10x', '--frames', '3'],
        /--scale decides how many records go: drop --frames/,
      ],
      [['--like', 'a.hrcap', '--into-source-table'], /--into-source-table goes with --like DB.TABLE/],
      [['--template', 't.yaml', '--keep-table'], /--keep-table goes with --like/],
      [['--like', 'a.t', '--like', 'b.t'], /several databases \(a, b\)/],
      [['--like', 'a.t', '--databases', '2'], /--like a\.… loads database a/],
      [
        ['--like', 'a.hrcap', '--scale', '10x', '--duration', '5s', '--rate', '10fps'],
        /--scale sets the frame count/,
      ],
    ];
    for (const [argv, message] of cases) {
      const flags = await parse(...argv);
      assert.throws(() => synthOptions(flags), message, argv.join(' '));
    }
    assert.equal(shapeOptions({ database: 'data' }), undefined);
  });
});
