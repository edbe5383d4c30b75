/**
 * The supervisor's module graph against the list agent/runtime/README.md declares (what `appwacht run` may keep
 * resident, and why). Static: the imports in the sources, from the CLI entry through `appwacht run` to the supervisor.
 * supervisor-imports.test.ts checks the same list against what a real run loads.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { residentModules } from '../../helpers/resident-modules.js';

const REPO = new URL('../../../', import.meta.url).pathname;
/** Where `appwacht run` goes: the CLI, its `run` command (imported lazily by name) and the supervisor (lazily by mode). */
const ROOTS = ['agent/cli/main.ts', 'agent/cli/commands/run.ts', 'agent/runtime/supervisor.ts'];

/** The modules a file loads: every import and re-export but `import type`/`export type` (verbatimModuleSyntax keeps the rest). */
function loads(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(join(REPO, file), 'utf8'), ts.ScriptTarget.ES2022);
  const out: string[] = [];
  for (const s of source.statements) {
    if (ts.isImportDeclaration(s) && !s.importClause?.isTypeOnly) out.push((s.moduleSpecifier as ts.StringLiteral).text);
    else if (ts.isExportDeclaration(s) && !s.isTypeOnly && s.moduleSpecifier)
      out.push((s.moduleSpecifier as ts.StringLiteral).text);
  }
  return out;
}

function residentGraph(): { modules: Set<string>; packages: Map<string, string> } {
  const modules = new Set<string>();
  const packages = new Map<string, string>();
  const todo = [...ROOTS];
  for (let file = todo.pop(); file !== undefined; file = todo.pop()) {
    if (modules.has(file)) continue;
    modules.add(file);
    for (const specifier of loads(file)) {
      if (specifier.startsWith('.')) todo.push(relative(REPO, join(REPO, dirname(file), specifier)).replace(/\.js$/, '.ts'));
      else packages.set(specifier, file);
    }
  }
  return { modules, packages };
}

describe('what the resident supervisor loads (agent/runtime/README.md)', () => {
  const declared = residentModules();
  const graph = residentGraph();

  it('declares a list (the README table was read)', () => {
    assert.ok(declared.size >= ROOTS.length, `only ${declared.size} modules declared`);
    for (const root of ROOTS) assert.ok(declared.has(root), `${root} is declared`);
  });

  it('every module the supervisor imports is declared, with its reason', () => {
    const undeclared = [...graph.modules].filter((m) => !declared.has(m)).sort();
    assert.deepEqual(
      undeclared,
      [],
      'imported by the supervisor but not in agent/runtime/README.md: add it with why, or keep it out',
    );
  });

  it('every declared module is still imported (the list says what is true)', () => {
    const stale = [...declared].filter((m) => !graph.modules.has(m)).sort();
    assert.deepEqual(stale, [], 'declared in agent/runtime/README.md but no longer imported: drop it from the list');
  });

  it('imports no package but node builtins (no zod, undici, yaml, …)', () => {
    const foreign = [...graph.packages].filter(([p]) => !p.startsWith('node:')).map(([p, by]) => `${p} (by ${by})`);
    assert.deepEqual(foreign, []);
  });
});
