import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const BUNDLE = join(REPO, 'dist', 'cli');

/**
 * The source files behind the module URLs a process loaded, as paths from the repository root
 * (`agent/runtime/supervisor.ts`, `node_modules/zod/v4/core/core.js`): a file of the CLI bundle (dist/cli/, built by
 * scripts/bundle-cli.mjs) stands for the files esbuild put into it, read from its metafile; any other file for itself.
 * Builtins (`node:…`) are left out.
 */
export function loadedSources(urls: Iterable<string>): string[] {
  const meta = JSON.parse(readFileSync(join(BUNDLE, 'meta.json'), 'utf8')) as {
    outputs: Record<string, { inputs: Record<string, unknown> }>;
  };
  const out = new Set<string>();
  for (const url of urls) {
    if (!url.startsWith('file:')) continue;
    const path = relative(REPO, fileURLToPath(url));
    const bundled = meta.outputs[path];
    if (bundled) for (const input of Object.keys(bundled.inputs)) out.add(input);
    else out.add(path);
  }
  return [...out].sort();
}
