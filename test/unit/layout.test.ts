/**
 * The tree keeps its promises: every src module with code has a unit test file of its own
 * (test/unit/<folder>/<module>.test.ts), or is named in the README's short list of modules covered only by the
 * integration tests, with the reason. Type-only modules (nothing at run time) need neither.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));

function modules(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? modules(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

/** Whether the compiled module does anything at run time (a types-only module compiles to `export {};`). */
function hasCode(module: string): boolean {
  const js = readFileSync(join(root, 'dist', module.replace(/\.ts$/, '.js')), 'utf8')
    .replace(/\/\/# sourceMappingURL=.*$/m, '')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*(export \{\};|import .*;)\s*$/gm, '')
    .trim();
  return js.length > 0;
}

/** The README's list: lines "- `src/…ts` — why" under "Modules covered only by the integration tests". */
function integrationOnly(): string[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const start = readme.indexOf('Modules covered only by the integration tests');
  assert.ok(start >= 0, 'the README has the list');
  const section = readme.slice(start, readme.indexOf('\n\n', readme.indexOf('\n- ', start)));
  return [...section.matchAll(/^- `(src\/[^`]+\.ts)`/gm)].map((m) => m[1] as string);
}

const unitTestOf = (module: string) =>
  join('test/unit', relative('src', module).replace(/\.ts$/, '.test.ts'));

describe('layout', () => {
  const all = modules('src').sort();
  const listed = integrationOnly();

  it('every src module with code has its own unit test file or a line in the README list', () => {
    const missing = all.filter(
      (m) => hasCode(m) && !existsSync(join(root, unitTestOf(m))) && !listed.includes(m),
    );
    assert.deepEqual(missing, [], `modules without ${'test/unit/…'} and not in the README list`);
  });

  it('the README list is short, names real modules, and none of them has a unit test file after all', () => {
    assert.ok(listed.length > 0 && listed.length <= 10, `${listed.length} modules listed`);
    for (const module of listed) {
      assert.ok(all.includes(module), `${module} exists`);
      assert.ok(
        !existsSync(join(root, unitTestOf(module))),
        `${module} has ${unitTestOf(module)}: drop it from the list`,
      );
    }
  });
});
