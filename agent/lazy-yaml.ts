import { createRequire } from 'node:module';
import type { parse as YamlParse } from 'yaml';

// Loaded on first use, and outside the CLI bundle (scripts/bundle-cli.mjs; the installers ship the package): the YAML
// parser costs ~3 MB resident, and only snap inventories and the update client read YAML.
let yaml: { parse: typeof YamlParse } | undefined;

/** yaml's parse(); `maxAliasCount` bounds alias expansion (a "billion laughs" document). */
export function parseYaml(text: string, options: { maxAliasCount: number }): unknown {
  yaml ??= createRequire(import.meta.url)('yaml') as { parse: typeof YamlParse };
  return yaml.parse(text, options);
}
