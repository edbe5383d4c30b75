#!/usr/bin/env node
// Runs every test/**/*.test.ts with Node's built-in runner (TypeScript via tsx).
// Node 20's --test does not expand globs, so the file list is built here.
// Usage: node scripts/run-tests.mjs [path-prefix …]   e.g. test/agent/inventory
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const prefixes = process.argv.slice(2).map((p) => p.replace(/\/$/, ''));

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'fixtures') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else if (name.endsWith('.test.ts')) yield relative(root, path);
  }
}

const files = [...walk(join(root, 'test'))]
  .filter((f) => prefixes.length === 0 || prefixes.some((p) => f === p || f.startsWith(p + '/')))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${prefixes.join(' ') || 'test/'}`);
  process.exit(2);
}

const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`, ...files],
  { cwd: root, stdio: 'inherit' },
);
process.exit(result.status ?? 1);
