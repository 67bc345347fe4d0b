#!/usr/bin/env node
// Writes (or, with --check, compares) the JSON Schema of every command's --json document, generated from the
// TypeScript types in src/cli/json-documents.ts with typescript-json-schema (it reads the types through the
// compiler's own checker, so indexed, mapped and intersected result types resolve as tsc sees them).
// `npm run schemas` after changing a result type; `npm test` fails while a schema here is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as TJS from 'typescript-json-schema';

export const DOCUMENTS = {
  synth: 'SynthDocument',
  replay: 'ReplayDocument',
  bench: 'BenchDocument',
  report: 'ReportDocument',
  capture: 'CaptureDocument',
  export: 'ExportDocument',
  inspect: 'InspectDocument',
  cleanup: 'CleanupDocument',
};

const root = new URL('../', import.meta.url);
export const schemaPath = (command) => fileURLToPath(new URL(`schemas/${command}.schema.json`, root));

// The checker names imported types `import("/abs/path/to/module",{with:…}).Name`: machine-dependent, so cut to Name.
const IMPORTED = /import\("[^"]*"(?:,\{with:\{"resolution-mode":"import"\}\})?\)\./g;
const clean = (name) => name.replace(IMPORTED, '');

function relocate(value) {
  if (Array.isArray(value)) return value.map(relocate);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => {
      if (key === '$ref' && typeof inner === 'string' && inner.startsWith('#/definitions/')) {
        const name = clean(decodeURIComponent(inner.slice('#/definitions/'.length)));
        return [key, `#/definitions/${encodeURIComponent(name)}`];
      }
      if (key === 'definitions') {
        return [
          key,
          Object.fromEntries(Object.entries(inner).map(([name, d]) => [clean(name), relocate(d)])),
        ];
      }
      return [key, relocate(inner)];
    }),
  );
}

export function generateSchemas() {
  const program = TJS.getProgramFromFiles([fileURLToPath(new URL('src/cli/json-documents.ts', root))], {
    strict: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: true,
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    target: 'ES2022',
  });
  const generator = TJS.buildGenerator(program, { required: true, ignoreErrors: false });
  if (!generator) throw new Error('src/cli/json-documents.ts does not compile');
  return Object.fromEntries(
    Object.entries(DOCUMENTS).map(([command, type]) => [
      command,
      {
        $schema: 'http://json-schema.org/draft-07/schema#',
        $id: `harper-replay/${command}.schema.json`,
        ...relocate(generator.getSchemaForSymbol(type)),
      },
    ]),
  );
}

export const schemaText = (schema) => `${JSON.stringify(schema, null, 2)}\n`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const [command, schema] of Object.entries(generateSchemas())) {
    if (!check) writeFileSync(schemaPath(command), schemaText(schema));
    else if (readFileSync(schemaPath(command), 'utf8') !== schemaText(schema)) {
      stale++;
      console.error(`schemas/${command}.schema.json is stale: run npm run schemas`);
    }
  }
  process.exit(stale ? 1 : 0);
}
