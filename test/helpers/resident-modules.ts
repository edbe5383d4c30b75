import { readFileSync } from 'node:fs';

const README = new URL('../../agent/runtime/README.md', import.meta.url);

/**
 * The modules the resident supervisor may load, as agent/runtime/README.md declares them: the first cell of each row
 * between its `resident-modules` markers (repository paths of the .ts sources).
 */
export function residentModules(): Set<string> {
  const text = readFileSync(README, 'utf8');
  const start = text.indexOf('<!-- resident-modules:start -->');
  const end = text.indexOf('<!-- resident-modules:end -->');
  if (start < 0 || end < start) throw new Error('agent/runtime/README.md has no resident-modules section');
  const modules = new Set<string>();
  for (const line of text.slice(start, end).split('\n')) {
    const m = /^\|\s*`([^`]+\.ts)`\s*\|/.exec(line);
    if (m) modules.add(m[1]!);
  }
  return modules;
}
