// Stages the agent as every installer ships it, into out/stage/agent/:
//   bin/appwacht.js, dist/cli/ (the esbuild bundle, scripts/bundle-cli.mjs), assets/default-policy.json,
//   package.json (name and version: agent/version.ts reads them) and node_modules/ with only the packages the bundle
//   leaves outside (they find files of their own next to their code, or are loaded on first use) and their dependencies.
// The installed agent never needs npm: it is these files and the shipped Node runtime (node-runtime.mjs).
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, STAGE_AGENT } from './paths.mjs';

/** What dist/cli imports by bare name at run time (scripts/bundle-cli.mjs `external`, plus the createRequire'd yaml). */
export const AGENT_EXTERNALS = ['node-notifier', 'ps-list', 'yaml'];

/** The package and its production dependencies, found the way Node resolves them from the repository root. */
function dependencyClosure(names) {
  const seen = new Set();
  const visit = (name) => {
    if (seen.has(name)) return;
    const manifest = join(REPO, 'node_modules', name, 'package.json');
    if (!existsSync(manifest)) throw new Error(`${name} is not installed (npm ci first)`);
    seen.add(name);
    return readFile(manifest, 'utf8').then(async (text) => {
      const pkg = JSON.parse(text);
      for (const dep of Object.keys(pkg.dependencies ?? {})) await visit(dep);
    });
  };
  return names.reduce((p, n) => p.then(() => visit(n)), Promise.resolve()).then(() => [...seen].sort());
}

export async function stageAgent(dest = STAGE_AGENT) {
  if (!existsSync(join(REPO, 'dist', 'cli', 'appwacht.js'))) throw new Error('dist/cli is missing: run npm run build first');
  await rm(dest, { recursive: true, force: true });
  await mkdir(join(dest, 'assets'), { recursive: true });
  await cp(join(REPO, 'bin'), join(dest, 'bin'), { recursive: true });
  // Left out: meta.json (esbuild's metafile) is for the tests, and the source maps (14 of dist/cli's 22 MB, one build per
  // command) for developers: the installed agent runs without --enable-source-maps, and its bundle keeps names and
  // lines as written, so a stack trace from the field is read against the same version's build.
  await cp(join(REPO, 'dist', 'cli'), join(dest, 'dist', 'cli'), {
    recursive: true,
    filter: (src) => !src.endsWith('meta.json') && !src.endsWith('.js.map'),
  });
  await cp(join(REPO, 'assets', 'default-policy.json'), join(dest, 'assets', 'default-policy.json'));
  const root = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8'));
  const packages = await dependencyClosure(AGENT_EXTERNALS);
  const manifest = {
    name: root.name,
    version: root.version,
    private: true,
    type: 'module',
    description: 'Appwacht agent, as installed (bundled CLI; run by the shipped Node runtime).',
    dependencies: Object.fromEntries(AGENT_EXTERNALS.map((n) => [n, root.dependencies[n]])),
  };
  await writeFile(join(dest, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
  for (const name of packages) {
    await cp(join(REPO, 'node_modules', name), join(dest, 'node_modules', name), { recursive: true });
  }
  return { dest, packages };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { dest, packages } = await stageAgent();
  console.log(`staged the agent in ${dest} with ${packages.join(', ')}`);
}
