/**
 * --template FILE: a record shape written by hand, JSON or YAML (the `yaml` package reads both). A file that cannot
 * be read or whose content is not a valid template is a bad input file (exit 6), like a corrupt capture; the
 * message names the file and the place in it (`attributes[3].size: "abc" is not a size`).
 */
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { ExitCode, HarperReplayError, inputFileError } from '../common/errors.js';
import { parseRecordShape, type RecordShape, ShapeError } from './record-shape.js';

/** The shape a template's text describes; throws ShapeError naming the place of the first mistake. */
export function parseTemplate(text: string): RecordShape {
  let doc: unknown;
  try {
    doc = parse(text, { prettyErrors: false });
  } catch (error) {
    throw new ShapeError(`not JSON or YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  return parseRecordShape(doc);
}

export async function loadTemplate(path: string): Promise<RecordShape> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw inputFileError(error, path);
  }
  try {
    return parseTemplate(text);
  } catch (error) {
    if (!(error instanceof ShapeError)) throw error;
    throw new HarperReplayError(`${path}: ${error.message}`, ExitCode.BAD_INPUT);
  }
}
