// Reads action.yml the way GitHub's tooling does: a real YAML parser (strict, unique keys), warnings are errors.
import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';

export interface ActionInput {
  description?: unknown;
  required?: unknown;
  default?: unknown;
  [key: string]: unknown;
}

export interface ActionMetadata {
  name?: unknown;
  description?: unknown;
  branding?: { icon?: unknown; color?: unknown };
  inputs?: Record<string, ActionInput>;
  outputs?: Record<string, { description?: unknown; [key: string]: unknown }>;
  runs?: { using?: unknown; main?: unknown; [key: string]: unknown };
  [key: string]: unknown;
}

/** Parses YAML text; any error or warning throws, naming the file, line and column. */
export function parseYaml(text: string, file: string): unknown {
  const doc = parseDocument(text, { strict: true, uniqueKeys: true, prettyErrors: true });
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) throw new Error(`${file} is not valid YAML:\n${problems.map((p) => p.message).join('\n')}`);
  return doc.toJS();
}

export const actionYmlUrl = new URL('../action.yml', import.meta.url);

export async function readActionMetadata(url: URL = actionYmlUrl): Promise<ActionMetadata> {
  const data = parseYaml(await readFile(url, 'utf8'), 'action.yml');
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new Error('action.yml is not a mapping');
  return data as ActionMetadata;
}
