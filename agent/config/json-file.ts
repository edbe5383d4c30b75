import { readFile } from 'node:fs/promises';
import { layerFromRecord, type ConfigLayer, type ConfigSourceKind } from './layers.js';
import { ConfigError } from './schema.js';

/**
 * Reads a JSON settings file (`{ "serverUrl": "…", … }`) as a config layer; a missing file is no layer.
 * Anything else that goes wrong is a ConfigError naming the file.
 */
export async function readJsonConfigFile(path: string, kind: ConfigSourceKind): Promise<ConfigLayer | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new ConfigError('CONFIG_UNREADABLE', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, '')); // Notepad writes a BOM
  } catch (err) {
    throw new ConfigError('CONFIG_MALFORMED', `${path} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw new ConfigError('CONFIG_MALFORMED', `${path} must hold a JSON object of settings`);
  return layerFromRecord(kind, path, json as Record<string, unknown>);
}
