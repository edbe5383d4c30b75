// Bundles the agent CLI (agent/cli/main.ts and everything it imports, zod and undici included) with esbuild into
// dist/cli/: appwacht.js plus the chunks its commands load on demand. Run by `npm run build` after tsc.
//
// Why: a start of the CLI spent most of its time resolving, reading and compiling ~200 separate ES modules (zod alone
// is ~95); a bundle is a handful of files. Why chunks and not one file: `appwacht --help` and the resident supervisor
// of `appwacht run` would otherwise parse all ~2.5 MB of it; with code splitting each command loads only the chunks it
// needs (BENCHMARKS.md, "Start-up"). The chunks live in one folder, which is what an installer copies.
//
// Left outside the bundle: packages that find files of their own next to their code at run time (node-notifier's
// helper binaries, ps-list's fastlist.exe), and yaml, loaded with createRequire on first use (agent/lazy-yaml.ts). Code
// that only some runs need (the plist parsers, undici, each command) is in chunks of its own, imported when needed.
// dist/cli/meta.json (esbuild's metafile) tells which source files each chunk holds; tests use it to check what a
// process loaded (test/helpers/loaded-sources.ts).
import { build } from 'esbuild';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * zod re-exports all its ~50 error-message locales as `z.locales` (366 kB, half of zod in the bundle), and a namespace
 * re-export cannot be tree-shaken. The agent speaks German and English, so `z.locales` keeps `de` and `en` here.
 */
const zodLocales = {
  name: 'zod-locales-de-en',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      args.importer.includes('/node_modules/zod/')
        ? { path: join(dirname(args.importer), '..', 'locales', 'index.js'), namespace: 'zod-locales' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: `export { default as de } from ${JSON.stringify(join(dirname(args.path), 'de.js'))};\nexport { default as en } from ${JSON.stringify(join(dirname(args.path), 'en.js'))};\n`,
      resolveDir: dirname(args.path),
    }));
  },
};

/**
 * The agent only parses property lists, but `plist` re-exports its builder too, which imports xmlbuilder (160 kB), and
 * plist does not declare itself free of side effects, so esbuild keeps every module it imports. Said here for its own
 * modules: the unused builder and xmlbuilder drop out of the bundle.
 */
const plistParseOnly = {
  name: 'plist-parse-only',
  setup(b) {
    b.onResolve({ filter: /^\.\/.*\.js$/ }, async (args) => {
      if (!args.importer.includes('/node_modules/plist/') || args.pluginData?.plist) return undefined;
      const { path, errors } = await b.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: { plist: true },
      });
      return errors.length > 0 ? { errors } : { path, sideEffects: false };
    });
  },
};

const repo = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${repo}dist/cli`;

await rm(outdir, { recursive: true, force: true });
const result = await build({
  absWorkingDir: repo,
  entryPoints: { appwacht: 'agent/cli/main.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  external: ['node-notifier', 'ps-list'],
  plugins: [zodLocales, plistParseOnly],
  // CommonJS packages inside the bundle (undici) require Node's builtins; an ES module has no `require` of its own.
  // Made on first call: createRequire costs ~3 ms the first time, and most chunks never require anything.
  banner: {
    js: "let __appwachtRequire;\nfunction require(id) {\n  __appwachtRequire ??= process.getBuiltinModule('node:module').createRequire(import.meta.url);\n  return __appwachtRequire(id);\n}",
  },
  // Readable stack traces without --enable-source-maps: names and lines stay as written; the maps are for the rest.
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
});
for (const file of Object.keys(result.metafile.outputs).filter((f) => f.endsWith('.js'))) {
  const path = join(repo, file);
  await writeFile(path, builtinsWithoutImport(await readFile(path, 'utf8'), file));
}
await writeFile(`${outdir}/meta.json`, JSON.stringify(result.metafile));

/**
 * Node's builtins are taken with `process.getBuiltinModule`, not `import`. An ES module import of a builtin builds its
 * namespace by reading every export, and that wakes each lazy getter: `import 'node:util'` alone loads 36 of Node's
 * internal modules (streams, worker_threads, readline…), `import 'node:fs'` 34. getBuiltinModule hands over the object
 * and only what the code touches loads (BENCHMARKS.md, "Start-up", fifth pass). esbuild prints each import on lines
 * of its own; the replacement keeps their line count, so the source maps stay true.
 */
function builtinsWithoutImport(code, file) {
  const out = code.replace(/^import (?:(\{[^}]*\})|\* as ([\w$]+)|([\w$]+)) from "(node:[^"]+)";$/gm, (_, named, ns, def, id) => {
    const binding = named ? named.replace(/ as /g, ': ') : (ns ?? def);
    return `const ${binding} = process.getBuiltinModule(${JSON.stringify(id)});`;
  });
  const left = out.match(/^import\b[^;]*"node:[^"]+";$/m);
  if (left) throw new Error(`${file}: an import of a Node builtin in a form this build does not rewrite: ${left[0]}`);
  return out;
}
