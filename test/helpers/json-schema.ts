/**
 * Every --json output in the tests is checked against its command's published schema (schemas/, generated from the
 * result types): runCli does it for any run with --json, so a field that drifts from its type fails the test that
 * printed it.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';

const validators = new Map<string, ValidateFunction>();
const ajv = new Ajv({ strict: false, allErrors: true });

function validatorFor(command: string): ValidateFunction {
  let validate = validators.get(command);
  if (!validate) {
    const url = new URL(`../../../schemas/${command}.schema.json`, import.meta.url);
    validate = ajv.compile(JSON.parse(readFileSync(url, 'utf8')));
    validators.set(command, validate);
  }
  return validate;
}

/** Throws unless `stdout` is exactly one JSON document valid under `command`'s schema. */
export function assertJsonDocument(command: string, stdout: string): void {
  let document: unknown;
  try {
    document = JSON.parse(stdout);
  } catch {
    throw new Error(`${command} --json: stdout is not one JSON document:\n${stdout.slice(0, 2000)}`);
  }
  const validate = validatorFor(command);
  if (!validate(document)) {
    const errors = (validate.errors ?? []).slice(0, 8).map((e) => `${e.instancePath || '/'} ${e.message}`);
    throw new Error(`${command} --json does not match schemas/${command}.schema.json:\n${errors.join('\n')}`);
  }
}
